"""The household list API caches a village's list under the version of its data, as the list's page does:
the same
answer from the cache, and a write to the village's households answered afresh at once (issue 19's
benchmark)."""

from tests import factories


def test_a_villages_list_is_cached_until_its_data_changes(api, users, household):
    client = api("county")
    url = "/api/v1/households/"
    params = {"region": factories.VILLAGE, "limit": 50}
    first = client.get(url, params)
    assert first.status_code == 200 and first["Content-Type"].startswith("application/json")
    again = client.get(url, params)
    assert again.json() == first.json()
    assert [h["number"] for h in first.json()["results"]] == [household.number]
    added = factories.make_household(head="新户")
    after = client.get(url, params).json()
    assert {h["number"] for h in after["results"]} == {household.number, added.number}
    # another county's office, whose scope does not hold the village, never gets the cached answer
    other = api("other_county").get(url, params)
    assert other.status_code == 200 and other.json()["results"] == []
    # the head's ID number stays masked in the cached answer too
    head = household.members.get(relation="head")
    assert head.id_number not in client.get(url, params).content.decode()
