"""ID numbers, phones and bank accounts: masked in lists always, in details unless the role works with them."""
import pytest

from fupin.registry import idnumber
from tests import factories

FULL_ROLES = ["clerk", "team", "township", "county", "admin"]
MASKED_ROLES = ["prefecture", "province"]


@pytest.mark.parametrize("user", FULL_ROLES + MASKED_ROLES)
def test_list_is_always_masked(api, household, user):
    head = household.members.get(relation="head")
    item = api(user).get("/api/v1/households/").json()["results"][0]
    assert item["head_id_number"] == idnumber.mask(head.id_number) != head.id_number
    assert item["phone"] == "138****5678"
    assert "bank_account" not in item


@pytest.mark.parametrize("user", FULL_ROLES)
def test_detail_shows_identifiers_to_the_roles_that_enter_them(api, household, user):
    body = api(user).get(f"/api/v1/households/{household.pk}/").json()
    assert body["phone"] == "13812345678" and body["bank_account"] == "6217001234567890123"
    numbers = set(household.members.values_list("id_number", flat=True))
    assert {m["id_number"] for m in body["members"]} == numbers


@pytest.mark.parametrize("user", MASKED_ROLES)
def test_detail_is_masked_for_supervising_roles(api, household, user):
    body = api(user).get(f"/api/v1/households/{household.pk}/").json()
    assert body["phone"] == "138****5678"
    assert body["bank_account"] == idnumber.mask("6217001234567890123")
    for member in body["members"]:
        assert "*" in member["id_number"] and member["id_number"] not in set(household.members.values_list("id_number", flat=True))


def test_member_phone_masked_for_supervising_roles(api, household):
    member = household.members.get(relation="son")
    api("clerk").patch(f"/api/v1/members/{member.pk}/", {"phone": "13900001111"})
    clerk_view = api("clerk").get(f"/api/v1/households/{household.pk}/").json()["members"]
    province_view = api("province").get(f"/api/v1/households/{household.pk}/").json()["members"]
    assert [m["phone"] for m in clerk_view] == ["", "13900001111"]
    assert [m["phone"] for m in province_view] == ["", "139****1111"]


@pytest.mark.parametrize("user, masked", [("clerk", False), ("prefecture", True)])
def test_audit_trail_masks_identifiers_in_changes(api, household, user, masked):
    head = household.members.get(relation="head")
    entries = api(user).get(f"/api/v1/households/{household.pk}/audit/", {"limit": 200}).json()["results"]
    added = next(e for e in entries if e["action"] == "add_member" and e["target_id"] == str(head.pk))
    created = next(e for e in entries if e["action"] == "create")
    if masked:
        assert added["changes"]["id_number"] == [None, idnumber.mask(head.id_number)]
        assert created["changes"]["phone"] == [None, "138****5678"]
        assert created["changes"]["bank_account"] == [None, idnumber.mask("6217001234567890123")]
    else:
        assert added["changes"]["id_number"] == [None, head.id_number]
        assert created["changes"]["phone"] == [None, "13812345678"]


def test_search_by_id_number_does_not_reveal_it_in_the_list(api, household):
    head = household.members.get(relation="head")
    response = api("province").get("/api/v1/households/", {"q": head.id_number})
    assert head.id_number not in response.content.decode()
    assert response.json()["count"] == 1


def test_sibling_village_numbers_are_not_searchable(api, household):
    other = factories.make_household(factories.SIBLING_VILLAGE, head="李四")
    number = other.members.get(relation="head").id_number
    assert api("clerk").get("/api/v1/households/", {"q": number}).json()["count"] == 0
