"""A full identification walk for one village, and the refusals along the way."""

import datetime

import pytest

from fupin.accounts.scope import ScopeError
from fupin.audit.models import AuditEntry
from fupin.procedures import notices, selection, selectors, services
from fupin.procedures.models import EntryState, Notice, NoticeKind, Objection, Quota, Stage, StageRecord
from fupin.procedures.services import ProcedureError
from fupin.registry import codes
from fupin.registry.models import Consent, Household
from tests import factories

from .conftest import YEAR, applicant, at, upload, votes_for_all


def _survey_and_appraise(batch, clerk, *, day: int, exceptions=None, against=None):
    selection.complete_survey(batch, by=clerk, exceptions=exceptions or {}, now=at(day))
    batch.refresh_from_db()
    selection.record_appraisal(
        batch,
        by=clerk,
        held_on=at(day).date(),
        representatives=12,
        present=9,
        votes=votes_for_all(batch, 9, against),
        minutes=upload("minutes.pdf"),
        now=at(day),
    )
    batch.refresh_from_db()


def test_full_identification_through_every_stage(users, quota):
    clerk, township, county = users["clerk"], users["township"], users["county"]
    assert Quota.objects.get(region_id=factories.VILLAGE, year=YEAR).persons == 8
    h1, h2, h3 = applicant("赵一", "2000"), applicant("钱二", "2500"), applicant("孙三", "3000")
    h4, h5, h6 = applicant("李四", "3500"), applicant("周五", "5200"), applicant("吴六", "3900")

    batch = services.open_batch(
        by=clerk, village_code=factories.VILLAGE, kind="identification", year=YEAR, now=at(0)
    )
    services.add_households(
        batch,
        by=clerk,
        household_ids=[h.pk for h in (h1, h2, h3, h4, h5, h6)],
        primary_cause=codes.PovertyCause.ILLNESS,
        now=at(0),
    )
    assert Household.objects.get(pk=h1.pk).status == codes.HouseholdStatus.APPLICANT

    # Skipping ahead is refused with the reason.
    with pytest.raises(ProcedureError, match="当前处于“申请”环节"):
        selection.record_appraisal(
            batch,
            by=clerk,
            held_on=at(0).date(),
            representatives=10,
            present=9,
            votes={},
            minutes=upload(),
            now=at(0),
        )
    with pytest.raises(ProcedureError, match="只能在“县级复审”环节办理"):
        services.announce(batch, by=county, opinion="同意", now=at(0))

    services.complete_application(batch, by=clerk, now=at(1))
    batch.refresh_from_db()
    h5_entry = batch.entries.get(household=h5)
    _survey_and_appraise(
        batch,
        clerk,
        day=2,
        exceptions={h5_entry.pk: ("housing", "住房为D级危房，无力改造")},
        against={batch.entries.get(household=h4).pk: 6},
    )
    entries = {e.household_id: e for e in batch.entries.all()}
    assert [entries[h.pk].rank for h in (h1, h2, h3, h4, h6, h5)] == [1, 2, 3, 4, 5, 6]
    assert entries[h6.pk].state == EntryState.NOT_SELECTED and "超出本村贫困人口规模" in entries[h6.pk].reason
    assert entries[h5.pk].state == EntryState.SELECTED and "住房困难" in entries[h5.pk].reason
    assert entries[h4.pk].state == EntryState.NOT_SELECTED and "过半数" in entries[h4.pk].reason
    assert batch.stage == Stage.FIRST_NOTICE

    # The village notice: closing before it is posted or before 7 days is refused.
    with pytest.raises(ProcedureError, match="公示尚未张贴"):
        notices.close_notice(batch, by=clerk, now=at(3))
    notice = notices.post_notice(batch, by=clerk, photo=upload("posted.jpg"), now=at(3, 10))
    assert [r["head_name"] for r in notice.entries] == ["赵一", "钱二", "孙三", "周五"]
    assert all("*" in r["id_masked"] for r in notice.entries)
    with pytest.raises(ProcedureError, match="公示期未满，不能提前结束"):
        notices.close_notice(batch, by=clerk, now=at(9, 23))

    # Objections: one upheld (the household leaves), one rejected with a reason.
    e2, e3 = batch.entries.get(household=h2), batch.entries.get(household=h3)
    upheld = notices.record_objection(
        batch, by=clerk, entry=e2, objector="村民甲", content="家有两辆货车，经营运输", now=at(4)
    )
    rejected = notices.record_objection(batch, by=clerk, entry=e3, content="在县城有住房", now=at(5))
    with pytest.raises(ProcedureError, match="2 条异议尚未处理"):
        notices.close_notice(batch, by=clerk, now=at(11))
    with pytest.raises(ProcedureError, match="请填写核查情况"):
        notices.resolve_objection(upheld, by=clerk, upheld=True, resolution="  ")
    notices.resolve_objection(upheld, by=clerk, upheld=True, resolution="经核实登记有两辆营运货车", now=at(6))
    notices.resolve_objection(
        rejected, by=clerk, upheld=False, resolution="经住建局核查，县城无房产登记", now=at(6)
    )
    assert batch.entries.get(pk=e2.pk).state == EntryState.WITHDRAWN
    assert Objection.objects.get(pk=rejected.pk).state == Objection.State.REJECTED

    notices.close_notice(batch, by=clerk, now=at(11, 0))
    batch.refresh_from_db()
    assert batch.stage == Stage.TOWNSHIP_REVIEW

    # The village may not review; the township sends the batch back with a reason.
    with pytest.raises(ScopeError):
        services.approve_review(batch, by=clerk, opinion="同意", now=at(12))
    with pytest.raises(ProcedureError, match="退回须写明理由"):
        services.send_back(batch, by=township, reason="", now=at(12))
    services.send_back(
        batch, by=township, reason="孙三户收入调查缺务工收入证明，请补充后重新评议", now=at(12)
    )
    batch.refresh_from_db()
    assert batch.stage == Stage.SURVEY

    # Second pass through survey, appraisal and the village notice.
    _survey_and_appraise(
        batch,
        clerk,
        day=13,
        exceptions={h5_entry.pk: ("housing", "住房为D级危房，无力改造")},
        against={batch.entries.get(household=h4).pk: 6},
    )
    assert batch.entries.get(pk=e2.pk).state == EntryState.WITHDRAWN  # an upheld objection stays decided
    notices.post_notice(batch, by=clerk, photo=upload(), now=at(14))
    notices.close_notice(batch, by=clerk, now=at(22))
    batch.refresh_from_db()
    services.approve_review(batch, by=township, opinion="经审核，名单符合识别标准和程序", now=at(23))
    batch.refresh_from_db()
    assert batch.stage == Stage.SECOND_NOTICE
    with pytest.raises(ScopeError):
        notices.post_notice(batch, by=clerk, photo=upload(), now=at(23))
    second = notices.post_notice(batch, by=township, photo=upload(), now=at(23))
    assert second.kind == NoticeKind.TOWNSHIP and second.region_id == factories.VILLAGE[:9]
    notices.close_notice(batch, by=township, now=at(31))
    batch.refresh_from_db()
    assert batch.stage == Stage.COUNTY_REVIEW

    # County review: a single household is sent back; an open objection blocks the announcement.
    services.return_household(
        batch.entries.get(household=h5), by=county, reason="例外情形缺住建部门危房鉴定", now=at(32)
    )
    late = notices.record_objection(
        batch, by=county, entry=batch.entries.get(household=h1), content="户主儿子在外地有工作", now=at(32)
    )
    with pytest.raises(ProcedureError, match="异议未处理，不能公告"):
        services.announce(batch, by=county, opinion="同意", now=at(33))
    notices.resolve_objection(
        late, by=county, upheld=False, resolution="务工收入已计入，人均仍低于标准", now=at(33)
    )
    notice = services.announce(batch, by=county, opinion="复审通过，予以公告", now=at(33))
    batch.refresh_from_db()
    assert batch.stage == Stage.ANNOUNCED and notice.kind == NoticeKind.ANNOUNCEMENT

    poor = Household.objects.get(pk=h1.pk)
    assert (poor.status, poor.registration_year, poor.household_type, poor.primary_cause) == (
        codes.HouseholdStatus.POOR,
        YEAR,
        codes.HouseholdType.GENERAL_POOR,
        codes.PovertyCause.ILLNESS,
    )
    # 钱二's place, freed by the upheld objection, went to 吴六 (next by income) in the second pass.
    assert (
        Household.objects.get(pk=h3.pk).status
        == Household.objects.get(pk=h6.pk).status
        == codes.HouseholdStatus.POOR
    )
    for h in (h2, h4, h5):  # withdrawn, voted down, returned: back to where they were
        assert Household.objects.get(pk=h.pk).status == codes.HouseholdStatus.UNREGISTERED
    assert AuditEntry.objects.filter(household=h1, action="procedure_identification").exists()
    actions = list(batch.records.values_list("action", flat=True))
    assert actions.count(StageRecord.Action.SEND_BACK) == 1 and actions[-1] == StageRecord.Action.ANNOUNCE
    assert batch.records.filter(action=StageRecord.Action.POST_NOTICE).first().evidence.count() == 1
    assert selectors.quota_usage(factories.VILLAGE, YEAR) == {"quota": 8, "used": 6, "left": 2}


def test_notice_cannot_end_before_seven_days_and_counts_working_days_when_configured(users):
    posted = at(0, 15)  # Monday 1 September 2025, 15:00
    assert services.notice_ends_at(posted) == at(8, 0)
    ends = services.notice_ends_at(posted, rule="working", holidays=["2025-09-03"])
    # 2,(3 holiday),4,5,(6,7 weekend),8,9,10,11 → seven working days end after the 11th
    assert ends.date() == datetime.date(2025, 9, 12)


def test_objection_outside_a_notice_or_review_is_refused(users, quota):
    clerk = users["clerk"]
    h = applicant("赵一", "2000")
    batch = services.open_batch(
        by=clerk, village_code=factories.VILLAGE, kind="identification", year=YEAR, now=at(0)
    )
    entry = services.add_households(
        batch, by=clerk, household_ids=[h.pk], primary_cause="illness", now=at(0)
    )[0]
    with pytest.raises(ProcedureError, match="只能在"):
        notices.record_objection(batch, by=clerk, entry=entry, content="x", now=at(0))


def test_a_household_cannot_be_in_two_open_batches_or_outside_the_village(users, quota):
    clerk = users["clerk"]
    h = applicant("赵一", "2000")
    stranger = applicant("外村", "2000", village=factories.SIBLING_VILLAGE)
    batch = services.open_batch(
        by=clerk, village_code=factories.VILLAGE, kind="identification", year=YEAR, now=at(0)
    )
    with pytest.raises(ProcedureError, match="不属于"):
        services.add_households(
            batch, by=clerk, household_ids=[stranger.pk], primary_cause="illness", now=at(0)
        )
    services.add_households(batch, by=clerk, household_ids=[h.pk], primary_cause="illness", now=at(0))
    with pytest.raises(ProcedureError, match="已有进行中"):
        services.open_batch(
            by=clerk, village_code=factories.VILLAGE, kind="identification", year=YEAR, now=at(0)
        )
    with pytest.raises(ScopeError):
        services.open_batch(
            by=users["sibling_clerk"], village_code=factories.VILLAGE, kind="identification", year=YEAR
        )


def test_survey_needs_the_years_income_and_a_quota(users, tree):
    clerk = users["clerk"]
    h = applicant("赵一", None)
    batch = services.open_batch(
        by=clerk, village_code=factories.VILLAGE, kind="identification", year=YEAR, now=at(0)
    )
    services.add_households(batch, by=clerk, household_ids=[h.pk], primary_cause="illness", now=at(0))
    services.complete_application(batch, by=clerk, now=at(0))
    with pytest.raises(ProcedureError, match="未录入2025年收入：赵一"):
        selection.complete_survey(batch, by=clerk, now=at(1))
    factories.services.record_income(h, by=clerk, year=YEAR, wages="3000")
    with pytest.raises(ProcedureError, match="尚未下达2025年贫困人口规模"):
        selection.complete_survey(batch, by=clerk, now=at(1))


def test_appraisal_needs_minutes_and_a_quorum(users, quota):
    clerk = users["clerk"]
    h = applicant("赵一", "2000")
    batch = services.open_batch(
        by=clerk, village_code=factories.VILLAGE, kind="identification", year=YEAR, now=at(0)
    )
    services.add_households(batch, by=clerk, household_ids=[h.pk], primary_cause="illness", now=at(0))
    services.complete_application(batch, by=clerk, now=at(0))
    selection.complete_survey(batch, by=clerk, now=at(1))
    batch.refresh_from_db()
    votes = votes_for_all(batch, 7)
    with pytest.raises(ProcedureError, match="会议记录"):
        selection.record_appraisal(
            batch,
            by=clerk,
            held_on=at(1).date(),
            representatives=12,
            present=9,
            votes=votes,
            minutes=None,
            now=at(1),
        )
    with pytest.raises(ProcedureError, match="不足应到 12 人的三分之二"):
        selection.record_appraisal(
            batch,
            by=clerk,
            held_on=at(1).date(),
            representatives=12,
            present=7,
            votes=votes,
            minutes=upload(),
            now=at(1),
        )
    assert Notice.objects.count() == 0


def test_the_application_is_not_completed_without_the_households_consent(users, quota):
    clerk = users["clerk"]
    signed, unsigned = applicant("赵一", "2000"), applicant("钱二", "2500")
    Consent.objects.filter(household=unsigned).delete()
    batch = services.open_batch(
        by=clerk, village_code=factories.VILLAGE, kind="identification", year=YEAR, now=at(0)
    )
    services.add_households(
        batch,
        by=clerk,
        household_ids=[signed.pk, unsigned.pk],
        primary_cause=codes.PovertyCause.ILLNESS,
        now=at(0),
    )
    with pytest.raises(ProcedureError, match="尚未登记经济状况核对授权书：钱二") as refused:
        services.complete_application(batch, by=clerk, now=at(1))
    assert "户详情页" in str(refused.value) and "赵一" not in str(refused.value)
    factories.give_consent(unsigned)
    services.complete_application(batch, by=clerk, now=at(1))
    batch.refresh_from_db()
    assert batch.stage == "survey"
