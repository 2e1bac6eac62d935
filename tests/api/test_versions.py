"""API writes carry the version they were based on (issue 16, finding 3): ETag on GET, If-Match on PATCH; 428
without it, 412 with the current record and its ETag when someone saved in between."""

from decimal import Decimal

import pytest

from fupin.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def _url(household):
    return f"/api/v1/households/{household.pk}/"


def test_a_patch_without_if_match_is_refused_with_428(api, household):
    response = api("clerk").client.patch(
        _url(household), {"phone": "13900000002"}, content_type="application/json"
    )
    assert response.status_code == 428 and "If-Match" in response.json()["detail"]
    household.refresh_from_db()
    assert household.phone == "13812345678"


def test_a_patch_on_an_older_version_answers_412_with_the_current_record_and_etag(api, household):
    clerk, team = api("clerk"), api("team")
    etag = clerk.get(_url(household))["ETag"]
    assert team.get(_url(household))["ETag"] == etag
    first = clerk.patch(_url(household), {"phone": "13900000002"}, HTTP_IF_MATCH=etag)
    assert (
        first.status_code == 200
        and first["ETag"] != etag
        and first.json()["version"] == int(first["ETag"].strip('"'))
    )

    stale = team.patch(_url(household), {"phone": "13812345678", "address": "新址"}, HTTP_IF_MATCH=etag)
    body = stale.json()
    assert stale.status_code == 412 and stale["ETag"] == first["ETag"]
    assert body["current"]["phone"] == "139****0002" and body["current"]["version"] == first.json()["version"]
    assert {"field": "phone", "label": "联系电话", "theirs": "13900000002", "mine": "13812345678"} in body[
        "changes"
    ]
    household.refresh_from_db()
    assert household.phone == "13900000002" and household.address != "新址"
    assert not AuditEntry.objects.filter(action="update", username="team").exists()

    again = team.patch(_url(household), {"address": "新址"}, HTTP_IF_MATCH=stale["ETag"])
    assert again.status_code == 200
    household.refresh_from_db()
    assert (household.phone, household.address) == ("13900000002", "新址")


def test_if_match_star_and_malformed_values(api, household):
    clerk = api("clerk")
    assert clerk.patch(_url(household), {"address": "甲"}, HTTP_IF_MATCH="*").status_code == 200
    assert clerk.patch(_url(household), {"address": "乙"}, HTTP_IF_MATCH='"abc"').status_code == 412
    assert clerk.patch(_url(household), {"address": "乙"}, HTTP_IF_MATCH='W/"1"').status_code == 412


def test_a_member_has_its_own_etag_and_the_same_rules(api, household):
    son = household.members.exclude(relation="head").get()
    url = f"/api/v1/members/{son.pk}/"
    clerk, team = api("clerk"), api("team")
    got = clerk.get(url)
    assert got.status_code == 200 and got.json()["id"] == son.pk and got["ETag"] == f'"{son.version}"'
    assert clerk.client.patch(url, {"phone": "1"}, content_type="application/json").status_code == 428
    assert clerk.patch(url, {"phone": "13900000002"}, HTTP_IF_MATCH=got["ETag"]).status_code == 200
    stale = team.patch(url, {"health": "chronic"}, HTTP_IF_MATCH=got["ETag"])
    assert stale.status_code == 412 and stale.json()["current"]["phone"] == "139****0002"


def test_members_outside_the_scope_are_not_found(api, household):
    son = household.members.exclude(relation="head").get()
    assert api("sibling_clerk").get(f"/api/v1/members/{son.pk}/").status_code == 404


# --- a year's income and guarantee check: PUT creates or corrects; a correction names its version
# ---------------


def _income(household, year=2025):
    return f"/api/v1/households/{household.pk}/incomes/{year}/"


def _guarantees(household, year=2025):
    return f"/api/v1/households/{household.pk}/guarantees/{year}/"


CHECKED = {"checked_on": "2025-10-01"} | dict.fromkeys(
    ("food", "clothing", "education", "medical", "housing", "water"), True
)


def test_a_correction_of_a_years_income_needs_if_match_and_never_overwrites_a_newer_one(api, household):
    clerk, team = api("clerk"), api("team")
    raw = clerk.client.put(_income(household), {"wages": "1"}, content_type="application/json")
    assert raw.status_code == 428  # the year's record exists: a correction names its version
    etag = clerk.get(_income(household))["ETag"]
    first = clerk.put(_income(household), {"wages": "9100"}, HTTP_IF_MATCH=etag)
    assert first.status_code == 200 and first["ETag"] != etag and first.json()["wages"] == "9100.00"

    stale = team.put(_income(household), {"wages": "7000", "production": "1200"}, HTTP_IF_MATCH=etag)
    body = stale.json()
    assert stale.status_code == 412 and stale["ETag"] == first["ETag"]
    assert body["current"]["wages"] == "9100.00"
    assert any(c["field"] == "wages" and Decimal(c["theirs"]) == 9100 for c in body["changes"])
    assert clerk.get(_income(household)).json()["wages"] == "9100.00"
    assert AuditEntry.objects.filter(action="record_income", username="team").count() == 0
    assert team.put(_income(household), {"wages": "9100", "production": "1200"}).status_code == 200


def test_a_new_years_entry_needs_no_if_match_but_never_overwrites_one_made_meanwhile(api, household):
    clerk, team = api("clerk"), api("team")
    assert clerk.get(_guarantees(household)).status_code == 404
    first = clerk.put(_guarantees(household), CHECKED)
    assert first.status_code == 200 and first["ETag"] == '"1"'
    # the second client also meant to create it (no If-Match): the check made meanwhile is not overwritten
    stale = team.client.put(
        _guarantees(household),
        CHECKED | {"water": False, "notes": {"water": "缺水"}},
        content_type="application/json",
    )
    assert stale.status_code == 428
    stale = team.put(
        _guarantees(household), CHECKED | {"food": False, "notes": {"food": "缺粮"}}, HTTP_IF_MATCH='"0"'
    )
    assert stale.status_code == 412 and stale.json()["current"]["food"] is True
    assert team.get(_guarantees(household)).json()["food"] is True
