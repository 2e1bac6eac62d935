"""The change requests that correct a registered member's identity (更正成员身份信息) and a year's guarantee
check (更正两不愁三保障): checked by the registry's rules on proposal and again on approval, conflicting with
other open requests on the same member or ID number, applied by the township and audited."""

import datetime

import pytest
from django.urls import reverse

from fupin.audit.chain import opened_changes
from fupin.audit.models import AuditEntry
from fupin.changes import services
from fupin.changes.models import ChangeKind, ChangeStatus
from fupin.registry import services as registry
from fupin.registry.models import GUARANTEES, GuaranteeCheck, Member
from tests import factories

pytestmark = pytest.mark.django_db

BIRTH = datetime.date(1999, 1, 2)


def propose(household, by, kind, payload, reason="户籍证明更正", reference="派出所户籍证明"):
    return services.propose(
        household, by=by, kind=kind, payload=payload, reason=reason, evidence_reference=reference
    )


@pytest.fixture
def household(users):
    return factories.make_household(members=3)


def son_of(household):
    return household.members.exclude(relation="head").order_by("pk").first()


def test_identity_correction_applies_on_approval_with_sex_and_birth_from_the_number(users, household):
    son = son_of(household)
    new_id = factories.id_number(birth=BIRTH, sex="F")
    request = propose(
        household,
        users["clerk"],
        ChangeKind.MEMBER_IDENTITY,
        {"member_id": son.pk, "id_number": new_id, "name": "张秀英"},
    )
    assert Member.objects.get(pk=son.pk).id_number == son.id_number  # nothing before the review
    services.approve(request, by=users["township"])
    son.refresh_from_db()
    assert (son.id_number, son.name, son.sex, son.birth_date, son.name_initials) == (
        new_id,
        "张秀英",
        "F",
        BIRTH,
        "ZXY",
    )
    entry = AuditEntry.objects.filter(action="update_member", target_id=str(son.pk)).latest("id")
    assert opened_changes(entry.changes)["id_number"][1] == new_id  # kept encrypted (audit.chain)
    assert entry.changes["change_request"][1].startswith(f"#{request.pk}")


def test_identity_correction_of_the_head_renames_the_household(users, household):
    head = household.members.get(relation="head")
    request = propose(
        household,
        users["clerk"],
        ChangeKind.MEMBER_IDENTITY,
        {"member_id": head.pk, "id_number": head.id_number, "name": "张三峰"},
    )
    services.approve(request, by=users["township"])
    household.refresh_from_db()
    assert household.head_name == "张三峰"


def test_identity_correction_checks_the_number_and_its_uniqueness(users, household):
    son = son_of(household)
    bad = factories.id_number(sex="M")[:-1] + "0"
    bad = bad if bad != factories.id_number(sex="M") else bad[:-1] + "1"
    cases = [
        ({"id_number": "123", "name": "张秀英"}, "id_number"),
        ({"id_number": son.id_number, "name": son.name}, "id_number"),  # no change
        (
            {"id_number": household.members.get(relation="head").id_number, "name": "张秀英"},
            "id_number",
        ),  # taken
        ({"id_number": son.id_number, "name": "  "}, "name"),
    ]
    for payload, field in cases:
        with pytest.raises(services.ChangeError) as e:
            propose(household, users["clerk"], ChangeKind.MEMBER_IDENTITY, {"member_id": son.pk} | payload)
        assert field in e.value.errors, (payload, e.value.errors)
    other = factories.make_household(head="李四", members=1)
    with pytest.raises(services.ChangeError, match="已登记在"):
        propose(
            household,
            users["clerk"],
            ChangeKind.MEMBER_IDENTITY,
            {"member_id": son.pk, "id_number": other.members.get().id_number, "name": "李四"},
        )


def test_identity_correction_is_checked_again_on_approval(users, household):
    son = son_of(household)
    new_id = factories.id_number(birth=BIRTH, sex="F")
    request = propose(
        household,
        users["clerk"],
        ChangeKind.MEMBER_IDENTITY,
        {"member_id": son.pk, "id_number": new_id, "name": "张秀英"},
    )
    # meanwhile the number is registered in another household (outside the registry, a direct edit)
    other = factories.make_household(head="李四", members=1, status="applicant")
    registry.update_member(
        other.members.get(), by=users["clerk"], id_number=new_id, name="李四", sex="", birth_date=None
    )
    with pytest.raises(services.ChangeError, match="已不能生效"):
        services.approve(request, by=users["township"])
    assert Member.objects.get(pk=son.pk).id_number == son.id_number


def test_identity_correction_conflicts_with_other_open_requests_on_the_member_or_number(users, household):
    son = son_of(household)
    new_id = factories.id_number(birth=BIRTH, sex="F")
    first = propose(
        household,
        users["clerk"],
        ChangeKind.MEMBER_IDENTITY,
        {"member_id": son.pk, "id_number": new_id, "name": "张秀英"},
    )
    with pytest.raises(services.ChangeConflict, match=f"#{first.pk}"):
        propose(household, users["clerk"], ChangeKind.MEMBER_LEAVE, {"member_id": son.pk, "cause": "died"})
    other = factories.make_household(head="李四", members=1)
    with pytest.raises(services.ChangeConflict):  # the same new number joining another household
        propose(
            other,
            users["clerk"],
            ChangeKind.MEMBER_JOIN,
            {"cause": "born", "member": {"name": "李小", "relation": "son", "id_number": new_id}},
        )


def test_identity_correction_masked_for_a_role_that_may_not_see_numbers(client, users, household):
    son = son_of(household)
    new_id = factories.id_number(birth=BIRTH, sex="F")
    request = propose(
        household,
        users["clerk"],
        ChangeKind.MEMBER_IDENTITY,
        {"member_id": son.pk, "id_number": new_id, "name": "张秀英"},
    )
    client.force_login(users["province"])
    page = client.get(reverse("changes:detail", args=[request.pk])).content.decode()
    assert "张秀英" in page and new_id not in page and son.id_number not in page


def test_identity_correction_proposed_by_the_form(client, users, household):
    son = son_of(household)
    new_id = factories.id_number(birth=BIRTH, sex="F")
    client.force_login(users["clerk"])
    url = reverse("changes:propose") + f"?household={household.pk}&kind=member_identity"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "member_id": son.pk,
            "id_number": new_id,
            "name": "张秀英",
            "reason": "户籍证明更正",
            "evidence_reference": "派出所户籍证明",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    request = household.change_requests.get()
    assert request.kind == ChangeKind.MEMBER_IDENTITY and request.payload["id_number"] == new_id


# ---------------------------------------------------------------- 更正两不愁三保障


def check(household, by, **items):
    return registry.record_guarantees(
        household,
        by=by,
        year=2025,
        checked_on=datetime.date(2025, 11, 2),
        items={g: True for g in GUARANTEES} | items,
        notes={g: "未达标" for g, met in items.items() if not met},
    )


def test_guarantee_correction_applies_on_approval(users, household):
    check(household, users["clerk"])
    payload = {
        "year": 2025,
        "checked_on": "2025-12-01",
        "items": {"water": False},
        "notes": {"water": "水源枯竭"},
    }
    request = propose(household, users["clerk"], ChangeKind.GUARANTEE_CORRECTION, payload)
    request = services.approve(request, by=users["township"])
    corrected = GuaranteeCheck.objects.get(household=household, year=2025)
    assert not corrected.water and corrected.notes == {"water": "水源枯竭"}
    assert corrected.checked_on == datetime.date(2025, 12, 1)
    entry = AuditEntry.objects.filter(action="record_guarantees", household=household).latest("id")
    assert entry.changes["water"] == [True, False] and "change_request" in entry.changes
    assert request.status == ChangeStatus.APPROVED


def test_guarantee_correction_refuses_a_missing_note_no_change_and_a_year_without_check(users, household):
    check(household, users["clerk"])
    refused = [
        ({"year": 2025, "items": {"water": False}}, "water"),
        ({"year": 2025, "items": {}, "checked_on": "2025-11-02"}, "year"),
        ({"year": 2024, "items": {"water": False}, "notes": {"water": "x"}}, "year"),
        ({"year": 2025, "items": {"water": "no"}}, "items"),
        ({"year": 2025, "items": {}, "checked_on": "2999-01-01"}, "checked_on"),
    ]
    for payload, field in refused:
        with pytest.raises(services.ChangeError) as e:
            propose(household, users["clerk"], ChangeKind.GUARANTEE_CORRECTION, payload)
        assert field in e.value.errors, (payload, e.value.errors)


def test_guarantee_correction_made_stale_by_a_direct_edit_is_refused(users, household):
    check(household, users["clerk"])
    request = propose(
        household,
        users["clerk"],
        ChangeKind.GUARANTEE_CORRECTION,
        {"year": 2025, "items": {"water": False}, "notes": {"water": "水源枯竭"}},
    )
    check(household, users["clerk"], housing=False)
    with pytest.raises(services.ChangeError, match="两不愁三保障核查已有变动"):
        services.approve(request, by=users["township"])


def test_guarantee_correction_proposed_by_the_form_and_shown_to_the_reviewer(client, users, household):
    check(household, users["clerk"])
    client.force_login(users["clerk"])
    url = reverse("changes:propose") + f"?household={household.pk}&kind=guarantee_correction"
    page = client.get(url).content.decode()
    assert "饮水安全有保障" in page and 'value="2025-11-02"' in page
    form = {"year": "2025", "checked_on": "2025-11-02"} | {g: "1" for g in GUARANTEES}
    response = client.post(
        url, form | {"water": "0", "reason": "复核发现饮水不达标", "evidence_reference": "复核记录"}
    )
    assert response.status_code == 200 and "未达标的项目须说明情况" in response.content.decode()
    response = client.post(
        url,
        form
        | {
            "water": "0",
            "water_note": "水源枯竭",
            "reason": "复核发现饮水不达标",
            "evidence_reference": "复核记录",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    request = household.change_requests.get()
    client.force_login(users["township"])
    page = client.get(reverse("changes:detail", args=[request.pk])).content.decode()
    assert "水源枯竭" in page and "未达标" in page
    client.post(reverse("changes:approve", args=[request.pk]), {"comment": "核实"})
    assert not GuaranteeCheck.objects.get(household=household, year=2025).water
