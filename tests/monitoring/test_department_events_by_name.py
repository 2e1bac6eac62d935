"""Pushed department events that name their person by name and birth date (or with a wrong ID): one member
under the county is matched as by the ID and marked so; several, or an ID and a name that disagree, are
candidates for a person to decide; none is unmatched. Another county's members are never matched."""

import datetime

import pytest

from fupin.monitoring.models import DepartmentEvent, Finding
from fupin.monitoring.pushed import UNRESOLVED_RULE
from fupin.registry.models import Consent
from tests import factories
from tests.api.conftest import token_client

from .test_department_events import COUNTY, SAME, URL, _batch_finding

BIRTH = datetime.date(1968, 3, 1)  # every factory household's head


def by_name(name, birth=BIRTH, event_id="MZ-N-1", **extra):
    return {
        "event_id": event_id,
        "kind": "death",
        "name": name,
        "birth_date": birth.isoformat(),
        "occurred_on": "2025-03-02",
        "county": COUNTY,
        "details": {"死亡日期": "2025-03-02"},
    } | extra


@pytest.fixture
def own(users):
    return factories.make_household(head="王五", members=2)


@pytest.mark.django_db(transaction=True)
def test_one_member_with_the_name_and_birth_date_is_the_id_finding_marked(users, own):
    head = own.members.get(relation="head")
    response = token_client(users["liaison"]).post(URL, by_name("王五"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["match"] == "name_birth" and body["matched_members"] == 1 and body["findings_count"] == 1
    assert body["candidates_count"] == 0 and "姓名和出生日期" in body["message"]
    pushed = Finding.objects.get(member=head)
    batch = _batch_finding(users, head)
    assert [getattr(pushed, f) for f in SAME] == [getattr(batch, f) for f in SAME]
    assert pushed.evidence == {"比对方式": "按姓名和出生日期匹配", "死亡日期": "2025-03-02"}
    assert batch.evidence == {"死亡日期": "2025-03-02"}


@pytest.mark.django_db(transaction=True)
def test_a_wrong_id_beside_the_name_and_birth_date_matches_by_them(users, own):
    head = own.members.get(relation="head")
    liaison = token_client(users["liaison"])
    bad_check_digit = head.id_number[:17] + ("0" if head.id_number[17] != "0" else "1")
    body = liaison.post(URL, by_name("王五", id_number=bad_check_digit)).json()
    assert body["match"] == "name_birth" and body["findings_count"] == 1
    assert "身份证号有误" in body["message"]
    nobodys = factories.id_number(birth=datetime.date(1970, 1, 1))
    body = liaison.post(URL, by_name("王五", event_id="MZ-N-2", id_number=nobodys)).json()
    assert body["match"] == "name_birth" and body["matched_members"] == 1
    assert Finding.objects.filter(member=head, rule="deceased_listed").count() == 2


@pytest.mark.django_db(transaction=True)
def test_several_with_the_name_and_birth_date_are_candidates_each_read_in_scope(users, own):
    other = factories.make_household(factories.OTHER_TOWNSHIP_VILLAGE, head="王五")
    heads = {own.members.get(relation="head"), other.members.get(relation="head")}
    body = token_client(users["liaison"]).post(URL, by_name("王五")).json()
    assert body["match"] == "ambiguous" and body["matched_members"] == 0
    assert body["candidates_count"] == 2 and body["findings_count"] == 2
    assert body["candidates"] == []  # a liaison reads no registry member: the count only
    findings = Finding.objects.filter(rule=UNRESOLVED_RULE)
    assert {f.member for f in findings} == heads
    assert not Finding.objects.filter(rule="deceased_listed").exists()  # nobody marked dead on a guess
    assert all(f.evidence["候选人数"] == "2" and "请核实是否本人" in f.detail for f in findings)
    event = DepartmentEvent.objects.get()
    county = token_client(users["county"]).get(f"{URL}{event.pk}/").json()
    assert {c["member"] for c in county["candidates"]} == {m.pk for m in heads}
    # each candidate's finding is read where its village is, as every finding is
    township = token_client(users["township"]).get("/api/v1/monitoring/findings/").json()["results"]
    assert [f["household"] for f in township] == [own.pk]
    other_township = token_client(users["other_township"]).get("/api/v1/monitoring/findings/").json()
    assert [f["household"] for f in other_township["results"]] == [other.pk]


@pytest.mark.django_db(transaction=True)
def test_another_countys_person_with_the_name_and_birth_date_is_never_matched(users):
    factories.make_household(factories.OTHER_COUNTY_VILLAGE, head="王五")
    liaison = token_client(users["liaison"])
    body = liaison.post(URL, by_name("王五")).json()
    assert body["match"] == "unmatched" and body["matched_members"] == 0 and body["candidates_count"] == 0
    assert not Finding.objects.exists()
    mine = factories.make_household(head="王五")
    body = liaison.post(URL, by_name("王五", event_id="MZ-N-2")).json()
    assert body["match"] == "name_birth" and body["matched_members"] == 1  # not ambiguous: one in the county
    assert Finding.objects.get().household_id == mine.pk


@pytest.mark.django_db(transaction=True)
def test_an_id_and_a_name_that_disagree_are_candidates_not_a_finding(users, own):
    head = own.members.get(relation="head")
    namesake = factories.make_household(factories.SIBLING_VILLAGE, head="李四").members.get(relation="head")
    body = token_client(users["liaison"]).post(URL, by_name("李四", id_number=head.id_number)).json()
    assert body["match"] == "conflict" and body["matched_members"] == 0
    assert body["candidates_count"] == 2
    assert not Finding.objects.filter(rule="deceased_listed").exists()
    found = Finding.objects.filter(rule=UNRESOLVED_RULE)
    assert {f.member_id for f in found} == {head.pk, namesake.pk}
    assert all("指向不同的人" in f.detail for f in found)
    # the same ID with the member's own name and birth date is the plain ID match
    body = token_client(users["liaison"]).post(
        URL, by_name("王五", event_id="MZ-N-2", id_number=head.id_number)
    )
    assert body.json()["match"] == "id_number" and body.json()["findings_count"] == 1


@pytest.mark.django_db
def test_nobody_with_the_name_and_birth_date_is_counted_unmatched(users, own):
    body = token_client(users["liaison"]).post(URL, by_name("赵六")).json()
    assert body["match"] == "unmatched" and body["matched_members"] == 0 and body["findings_count"] == 0
    assert "未在登记成员中找到" in body["message"]
    assert not Finding.objects.exists()


@pytest.mark.django_db
def test_a_candidate_without_consent_is_counted_unauthorised_not_listed(users, own):
    head = own.members.get(relation="head")
    Consent.objects.filter(member=head).update(vehicle=False)
    vehicle = by_name("王五", kind="vehicle", details={"车辆类型": "小型轿车"})
    body = token_client(users["liaison"]).post(URL, vehicle).json()
    assert body["matched_members"] == 0 and body["unauthorised_members"] == 1
    assert not Finding.objects.exists()


@pytest.mark.django_db
def test_without_an_id_the_name_and_birth_date_are_both_needed(users, own):
    liaison = token_client(users["liaison"])
    no_birth = liaison.post(URL, by_name("王五") | {"birth_date": None})
    assert no_birth.status_code == 422 and "身份证号" in no_birth.json()["errors"]["id_number"]
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    future = liaison.post(URL, by_name("王五", birth=tomorrow))
    assert future.status_code == 422 and "birth_date" in future.json()["errors"]
    assert not DepartmentEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_loss_whose_person_is_uncertain_records_no_risk_event_and_its_pages_show_it(client, users, own):
    other = factories.make_household(factories.SIBLING_VILLAGE, head="王五")
    loss = by_name(
        "王五", kind="disaster_loss", amount="8000.00", occurred_on=datetime.date.today().isoformat()
    )
    body = token_client(users["liaison"]).post(URL, loss).json()
    assert body["match"] == "ambiguous" and body["risk_event"] is None and body["candidates_count"] == 2
    findings = Finding.objects.filter(rule=UNRESOLVED_RULE)
    assert {f.household_id for f in findings} == {own.pk, other.pk}
    assert {f.department for f in findings} == {"registry"}  # a loss has no department list
    client.force_login(users["county"])
    check = client.get(f"/monitoring/checks/{body['cross_check']}/")
    assert check.status_code == 200
    page = client.get(f"/monitoring/findings/{findings.first().pk}/")
    assert page.status_code == 200 and "推送事件对应的人待确认" in page.content.decode()
