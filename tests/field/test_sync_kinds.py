"""Each kind of work a phone sends, through the sync API (issue 21): a declaration's verification, a help
measure's progress, the change requests (a member born, married in, moved in, died, married out; new income
figures) and a member's new phone — accepted, refused with the owning service's own Chinese reason, and a
conflict where the same field changed on the web meanwhile."""

import datetime
from decimal import Decimal

import pytest

from fupin.assistance import services as assistance
from fupin.assistance.models import MeasureCatalogue
from fupin.changes.models import ChangeRequest
from fupin.declarations import services as declarations
from fupin.declarations.models import Channel, Declaration, Status
from fupin.field.models import Conflict
from fupin.registry import codes
from fupin.registry import services as registry
from tests import factories

TODAY = datetime.date.today()


def _line(phone, change):
    answer = phone.sync(change)
    assert answer.status_code == 200, answer.content
    return answer.json()["results"][0]


def _declaration(by, household=None, village=factories.VILLAGE):
    head = household.members.get(relation=codes.Relation.HEAD) if household else None
    return declarations.intake(
        by=by,
        channel=Channel.CADRE,
        village_code=village,
        name=head.name if head else "孙八",
        id_number=head.id_number if head else factories.id_number(),
        phone="13907970123",
        hardship="illness",
        description="家里老人住院，花费很大",
        consent=True,
    )


# ---------------------------------------------------------------- declarations (申报核实)


def test_a_declaration_verified_from_the_phone_enters_review_and_empty_findings_are_refused(
    clerk_phone, users
):
    household = factories.make_household(head="周九", status=codes.HouseholdStatus.UNREGISTERED)
    found = _declaration(users["clerk"], household)
    refused = _line(clerk_phone, clerk_phone.change("declaration", None, declaration=found.pk, findings=" "))
    assert refused["outcome"] == "refused"
    assert refused["errors"] == {"findings": "请填写入户核实情况"}  # declarations.cases.verify's own message
    line = _line(
        clerk_phone, clerk_phone.change("declaration", None, declaration=found.pk, findings="属实，已入户")
    )
    assert line["outcome"] == "accepted", (line["message"], line.get("errors"))
    assert line["message"] == "已入户核实，进入评议审核"
    found.refresh_from_db()
    assert found.status != Status.RECEIVED and "属实，已入户" in found.findings
    again = _line(clerk_phone, clerk_phone.change("declaration", None, declaration=found.pk, findings="再核"))
    assert again["outcome"] == "refused" and again["message"]  # already verified: the service's reason


def test_the_paired_helper_records_findings_for_the_village_to_confirm(phone, users, household):
    found = _declaration(users["clerk"], household)
    assert found.household_id == household.pk
    line = _line(phone, phone.change("declaration", household, declaration=found.pk, findings="家中确有病人"))
    assert line["outcome"] == "accepted" and line["message"] == "入户核实情况已记录，待村里确认"
    found.refresh_from_db()
    assert found.status == Status.RECEIVED and "家中确有病人" in found.findings


def test_another_villages_declaration_is_not_found_as_if_it_did_not_exist(clerk_phone, users):
    foreign = _declaration(users["sibling_clerk"], village=factories.SIBLING_VILLAGE)
    missing = Declaration.objects.order_by("-pk").first().pk + 1000
    lines = [
        _line(clerk_phone, clerk_phone.change("declaration", None, declaration=pk, findings="核实"))
        for pk in (foreign.pk, missing)
    ]
    # before: the other village's answered "入户核实由村扶贫专干或驻村工作队办理", confirming it exists
    assert [(x["outcome"], x["message"]) for x in lines] == [("refused", "未找到，或不在您的管辖范围内")] * 2
    foreign.refresh_from_db()
    assert foreign.status == Status.RECEIVED and not foreign.findings


# ---------------------------------------------------------------- help measures (帮扶措施)


@pytest.fixture
def measure(household, helper):
    assistance.save_plan(household, by=helper.user, target_exit_year=TODAY.year)
    return assistance.add_measure(
        household,
        by=helper.user,
        catalogue=MeasureCatalogue.objects.first(),
        content="发放鸡苗200只",
        year=TODAY.year,
        deadline=TODAY + datetime.timedelta(days=90),
        planned_amount=Decimal("2000"),
    )


def _measure_base(measure):
    return {
        "status": measure.status,
        "actual_amount": str(measure.actual_amount),
        "result": measure.result,
        "income_increase": str(measure.income_increase),
        "completed_on": None,
    }


def test_a_help_measures_progress_syncs_and_a_bad_status_is_refused_with_the_services_reason(
    phone, household, measure
):
    base = _measure_base(measure)
    bad = phone.change("measure", household, measure=measure.pk, base=base, changes={"status": "finished"})
    refused = _line(phone, bad)
    assert refused["outcome"] == "refused" and refused["errors"]["status"]
    change = phone.change(
        "measure",
        household,
        measure=measure.pk,
        base=base,
        changes={"status": "in_progress", "actual_amount": "800"},
    )
    line = _line(phone, change)
    assert line["outcome"] == "accepted" and line["record"] == {"type": "measure", "id": measure.pk}
    measure.refresh_from_db()
    assert measure.status == "in_progress" and measure.actual_amount == Decimal("800")


def test_a_measure_changed_on_the_web_meanwhile_merges_or_conflicts(phone, household, measure, helper):
    base = _measure_base(measure)
    assistance.update_measure(measure, by=helper.user, result="鸡苗已发放", actual_amount=Decimal("1500"))
    change = phone.change(
        "measure",
        household,
        measure=measure.pk,
        base=base,
        changes={"status": "in_progress", "actual_amount": "900"},
    )
    line = _line(phone, change)
    assert line["outcome"] == "conflict"
    assert [c["field"] for c in line["conflicts"]] == ["actual_amount"]
    assert "result" in line["kept"]
    measure.refresh_from_db()
    assert measure.status == "in_progress"  # merged: only the phone changed it
    assert measure.actual_amount == Decimal("1500") and measure.result == "鸡苗已发放"  # the newer value kept
    assert Conflict.objects.get().mine == "900"


# ---------------------------------------------------------------- change requests (变更申请)


def _request(phone, household, kind, payload, reason="核实属实"):
    return phone.change(
        "change_request",
        household,
        change_kind=kind,
        payload=payload,
        reason=reason,
        evidence_reference="村委会证明",
    )


@pytest.mark.parametrize("cause", ["born", "married_in", "moved_in"])
def test_a_member_joining_is_proposed_from_the_phone(clerk_phone, household, cause):
    birth = datetime.date(2024, 2, 3) if cause == "born" else datetime.date(1998, 5, 6)
    relation = codes.Relation.GRANDSON if cause == "born" else codes.Relation.SON
    member = {"name": "张新", "relation": relation, "id_number": factories.id_number(birth=birth)}
    line = _line(
        clerk_phone, _request(clerk_phone, household, "member_join", {"cause": cause, "member": member})
    )
    assert line["outcome"] == "accepted" and line["message"] == "变更申请已提交，待乡镇审核"
    request = ChangeRequest.objects.get(pk=line["record"]["id"])
    assert request.kind == "member_join" and request.payload["cause"] == cause


def test_a_member_joining_is_refused_with_the_registrys_reasons(clerk_phone, household):
    line = _line(
        clerk_phone, _request(clerk_phone, household, "member_join", {"cause": "adopted", "member": {}})
    )
    assert line["outcome"] == "refused" and line["errors"] == {"cause": "请选择增员原因（出生、婚入、迁入）"}
    bad_id = {"name": "张新", "relation": codes.Relation.GRANDSON, "id_number": "360722202402030000"}
    line = _line(
        clerk_phone, _request(clerk_phone, household, "member_join", {"cause": "born", "member": bad_id})
    )
    assert line["outcome"] == "refused" and line["errors"]["id_number"]
    line = _line(clerk_phone, _request(clerk_phone, household, "member_join", {"cause": "born"}, reason=" "))
    assert line["outcome"] == "refused"
    assert not ChangeRequest.objects.exists()


@pytest.mark.parametrize("cause", ["died", "married_out"])
def test_a_member_leaving_is_proposed_and_a_second_request_for_them_is_a_conflict(
    clerk_phone, household, cause
):
    son = household.members.exclude(relation=codes.Relation.HEAD).first()
    first = _line(
        clerk_phone, _request(clerk_phone, household, "member_leave", {"cause": cause, "member_id": son.pk})
    )
    assert first["outcome"] == "accepted"
    # the same member in another open request: the changes service's own refusal (ChangeConflict)
    second = _line(
        clerk_phone, _request(clerk_phone, household, "member_leave", {"cause": cause, "member_id": son.pk})
    )
    assert second["outcome"] == "refused" and second["message"]
    assert ChangeRequest.objects.count() == 1


def test_new_income_figures_are_proposed_and_a_year_without_income_is_refused(clerk_phone, household):
    figures = {"year": 2025, "wages": "12000.00", "production": "3000", "productive_expenditure": "1000"}
    line = _line(clerk_phone, _request(clerk_phone, household, "income_correction", figures))
    assert line["outcome"] == "accepted"
    assert ChangeRequest.objects.get().payload["per_capita_net_income"] == "7000.00"  # (12000+3000−1000) ÷ 2
    line = _line(clerk_phone, _request(clerk_phone, household, "income_correction", figures | {"year": 2019}))
    assert line["outcome"] == "refused"
    assert line["errors"] == {"year": "该户这一年尚无收入记录：请选择已录入的年度"}


def test_a_helper_cannot_propose_a_change_request(phone, household):
    son = household.members.exclude(relation=codes.Relation.HEAD).first()
    line = _line(phone, _request(phone, household, "member_leave", {"cause": "died", "member_id": son.pk}))
    assert line["outcome"] == "refused" and line["message"] == "不在您的管辖范围内"
    assert not ChangeRequest.objects.exists()


# ---------------------------------------------------------------- a member's new phone


def _member_base(m):
    return {
        "phone": m.phone,
        "health": m.health,
        "schooling": m.schooling,
        "work_status": m.work_status,
        "work_months": m.work_months,
    }


def test_a_new_phone_is_saved_a_bad_figure_refused_and_one_changed_on_the_web_meanwhile_conflicts(
    clerk_phone, users, household
):
    head = household.members.get(relation=codes.Relation.HEAD)
    base, version = _member_base(head), head.version
    bad = clerk_phone.change(
        "member", household, member=head.pk, version=version, base=base, changes={"work_months": 13}
    )
    refused = _line(clerk_phone, bad)
    assert refused["outcome"] == "refused"
    assert refused["errors"] == {
        "work_months": "务工时间应在0到12个月之间"
    }  # registry.validation's own message
    good = clerk_phone.change(
        "member", household, member=head.pk, version=version, base=base, changes={"phone": "13907971111"}
    )
    assert _line(clerk_phone, good)["outcome"] == "accepted"
    head.refresh_from_db()
    assert head.phone == "13907971111"
    # the web changes it again; the phone, still on its old copy, sends another number
    registry.update_member(head, by=users["clerk"], phone="13907972222")
    stale = clerk_phone.change(
        "member",
        household,
        member=head.pk,
        version=version,
        base=base | {"phone": "13907971111"},
        changes={"phone": "13907973333"},
    )
    line = _line(clerk_phone, stale)
    assert line["outcome"] == "conflict" and line["conflicts"][0]["mine"] == "13907973333"
    head.refresh_from_db()
    assert head.phone == "13907972222"
    assert Conflict.objects.get(field="phone").theirs == "13907972222"
