"""The access log (issue 17, item 2): every way of seeing a sensitive value unmasked writes an entry (who,
role, persons, fields, purpose) chained in the county's audit chain; the county office reads its county's log,
filters it by user and person, exports it; one user revealing more persons than the bound in an hour opens a
problem."""

import io

import pytest
from django.db import connection
from django.urls import reverse
from openpyxl import load_workbook

from fupin.audit.models import AccessedPerson, AuditEntry
from fupin.audit.verify import verify
from fupin.monitoring.models import Problem
from tests import factories
from tests.api.conftest import token_client


@pytest.fixture
def household(users):
    return factories.make_household(phone="13812345678", bank_account="6217001234567890123")


def access_entries():
    return list(AuditEntry.objects.filter(action__startswith="access.").order_by("id"))


def reveal_on_page(client, household, purpose="verify", note=""):
    return client.post(
        reverse("registry:household_reveal", args=[household.pk]), {"purpose": purpose, "note": note}
    )


def test_the_household_page_masks_and_writes_nothing_until_revealed(client, users, household):
    head = household.members.get(relation="head")
    client.force_login(users["clerk"])
    page = client.get(reverse("registry:household_detail", args=[household.pk])).content.decode()
    assert head.id_number not in page and "13812345678" not in page and "6217001234567890123" not in page
    assert "查看完整证件号码和电话" in page
    assert access_entries() == []


def test_revealing_on_the_household_page_logs_who_role_persons_fields_and_purpose(client, users, household):
    head = household.members.get(relation="head")
    client.force_login(users["clerk"])
    response = reveal_on_page(client, household, "other", "核对低保申请")
    page = response.content.decode()
    assert response.status_code == 200 and head.id_number in page and "6217001234567890123" in page
    [entry] = access_entries()
    assert (
        entry.action == "access.page" and entry.user_id == users["clerk"].pk and entry.role == "village_clerk"
    )
    assert entry.changes["purpose"] == "other" and entry.changes["note"] == "核对低保申请"
    assert set(entry.changes["fields"]) == {"id_number", "phone", "bank_account"}
    members = set(household.members.values_list("pk", flat=True))
    assert set(entry.changes["persons"]) == members
    assert set(AccessedPerson.objects.filter(entry=entry).values_list("member_id", flat=True)) == members
    assert entry.chain == factories.VILLAGE[:6]  # in the county's audit chain


def test_the_htmx_reveal_swaps_the_members_section(client, users, household):
    head = household.members.get(relation="head")
    client.force_login(users["clerk"])
    response = client.post(
        reverse("registry:household_reveal", args=[household.pk]),
        {"purpose": "casework"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith("<section") and head.id_number in body
    assert len(access_entries()) == 1


@pytest.mark.parametrize("purpose, note", [("", ""), ("nonsense", ""), ("other", "")])
def test_a_reveal_without_a_purpose_shows_nothing_and_logs_nothing(client, users, household, purpose, note):
    head = household.members.get(relation="head")
    client.force_login(users["clerk"])
    response = reveal_on_page(client, household, purpose, note)
    assert response.status_code == 422 and head.id_number not in response.content.decode()
    assert access_entries() == []


@pytest.mark.parametrize("who", ["prefecture", "province", "sibling_clerk", "other_county", "liaison"])
def test_other_roles_and_regions_cannot_reveal(client, users, household, who):
    client.force_login(users[who])
    response = reveal_on_page(client, household)
    assert response.status_code in (403, 404)
    assert access_entries() == []


def test_anonymous_cannot_reveal(client, household):
    response = reveal_on_page(client, household)
    assert response.status_code == 302 and access_entries() == []


def test_the_api_masks_by_default_and_logs_a_reveal_with_its_purpose(users, household):
    head = household.members.get(relation="head")
    api = token_client(users["township"])
    url = f"/api/v1/households/{household.pk}/"
    assert head.id_number not in api.get(url).content.decode() and access_entries() == []
    assert api.get(url, {"reveal": "id_number"}).status_code == 422  # no purpose
    assert api.get(url, {"reveal": "password", "purpose": "verify"}).status_code == 422
    assert access_entries() == []
    body = api.get(url, {"reveal": "id_number", "purpose": "inspection"}).json()
    assert head.id_number in [m["id_number"] for m in body["members"]]
    assert body["phone"] == "138****5678"  # only what was asked for
    [entry] = access_entries()
    assert entry.action == "access.api" and entry.changes["fields"] == ["id_number"]
    assert entry.changes["purpose"] == "inspection"
    member = api.get(f"/api/v1/members/{head.pk}/", {"reveal": "phone", "purpose": "contact"})
    assert member.status_code == 200 and access_entries()[-1].changes["persons"] == [head.pk]


def test_the_api_refuses_a_reveal_to_roles_without_identifiers(users, household):
    api = token_client(users["prefecture"])
    response = api.get(f"/api/v1/households/{household.pk}/", {"reveal": "all", "purpose": "verify"})
    assert response.status_code == 403 and access_entries() == []


def test_the_member_edit_form_holds_full_values_and_is_logged(client, users, household):
    head = household.members.get(relation="head")
    client.force_login(users["clerk"])
    page = client.get(reverse("registry:member_edit", args=[household.pk, head.pk])).content.decode()
    assert head.id_number in page
    [entry] = access_entries()
    assert entry.action == "access.form" and entry.changes["persons"] == [head.pk]
    assert entry.changes["purpose"] == "edit"


def test_the_county_finds_a_reveal_by_user_and_by_id_number(client, users, household):
    head = household.members.get(relation="head")
    client.force_login(users["clerk"])
    reveal_on_page(client, household, "contact")
    client.force_login(users["team"])
    reveal_on_page(client, household, "verify")
    client.force_login(users["county"])
    log = reverse("access:log")
    page = client.get(log).content.decode()
    assert "clerk" in page and "team" in page and "联系本人" in page and head.name in page
    assert head.id_number not in page
    by_user = client.get(log, {"user": "clerk"}).content.decode()
    assert "联系本人" in by_user and "核实身份" not in by_user
    by_person = client.get(log, {"id_number": head.id_number}).content.decode()
    assert "联系本人" in by_person and "核实身份" in by_person
    nobody = client.get(log, {"id_number": "110101199001011237"}).content.decode()
    assert "没有符合条件的查看记录" in nobody


def test_the_county_exports_its_log_to_xlsx(client, users, household):
    client.force_login(users["clerk"])
    reveal_on_page(client, household, "contact")
    client.force_login(users["county"])
    response = client.get(reverse("access:export"))
    body = (
        b"".join(response.streaming_content) if hasattr(response, "streaming_content") else response.content
    )
    rows = list(load_workbook(io.BytesIO(body), read_only=True).active.iter_rows(values_only=True))
    assert rows[0][:5] == ("时间", "查看人", "角色", "方式", "用途")
    assert rows[1][1] == "clerk" and rows[1][4] == "联系本人" and rows[1][6] == 2


def test_another_county_sees_none_of_it_and_other_roles_none_at_all(client, users, household):
    client.force_login(users["clerk"])
    reveal_on_page(client, household, "contact")
    client.force_login(users["other_county"])
    assert (
        "clerk"
        not in client.get(reverse("access:log")).content.decode().split("<main", 1)[-1].split("</main>")[0]
    )
    for who in ("clerk", "team", "township", "prefecture", "province", "liaison", "sibling_clerk"):
        client.force_login(users[who])
        assert client.get(reverse("access:log")).status_code == 403, who
        assert client.get(reverse("access:export")).status_code == 403, who
    client.logout()
    assert client.get(reverse("access:log")).status_code == 302


def test_unusual_reading_opens_one_problem_for_the_county(client, users, settings):
    settings.FUPIN_ACCESS_ALERT_PERSONS = 3
    households = [factories.make_household(head=f"户主{i}") for i in range(3)]  # 2 members each
    client.force_login(users["clerk"])
    reveal_on_page(client, households[0])
    assert not Problem.objects.exists()
    reveal_on_page(client, households[1])  # 4 persons within the hour: over the bound
    [problem] = Problem.objects.all()
    assert problem.region_code == factories.VILLAGE[:6] and "clerk" in problem.description
    reveal_on_page(client, households[2])
    assert Problem.objects.count() == 1  # once per crossing, not once per reveal


def test_removing_an_access_entry_is_found_by_audit_verify(client, users, household):
    client.force_login(users["clerk"])
    reveal_on_page(client, household, "contact")
    reveal_on_page(client, household, "verify")
    assert verify().ok
    first = access_entries()[0]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE id = %s", [first.pk])
    report = verify()
    assert not report.ok and any("删除" in str(p) for p in report.problems)


def test_a_search_that_matched_on_an_id_number_is_logged(client, users, household):
    head = household.members.get(relation="head")
    client.force_login(users["clerk"])
    client.get(reverse("registry:household_list"), {"q": "张三"})
    assert access_entries() == []  # a name search shows no number
    client.get(reverse("registry:household_list"), {"q": head.id_number})
    client.get(reverse("registry:household_list"), {"q": head.id_number})  # cached page: logged again
    entries = access_entries()
    assert len(entries) == 2 and all(e.action == "access.search" for e in entries)
    assert entries[0].changes["persons"] == [head.pk] and entries[0].changes["fields"] == ["id_number"]
    client.get(reverse("registry:household_list"), {"q": "999999"})  # matched nobody: nothing to log
    assert len(access_entries()) == 2
