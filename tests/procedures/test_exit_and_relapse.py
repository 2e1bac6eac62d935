"""Exit (脱贫) through every stage, relapse (返贫) back through identification, village exit (出列)."""

import datetime
from decimal import Decimal

import pytest

from fupin.procedures import notices, selection, selectors, services, village_profiles
from fupin.procedures.models import EntryState
from fupin.procedures.services import ProcedureError
from fupin.registry import codes
from fupin.registry import services as registry
from fupin.registry.models import Household
from tests import factories

from .conftest import YEAR, at, upload, votes_for_all


def _walk_notices_and_reviews(batch, *, clerk, township, county, day: int):
    selection.record_appraisal(
        batch,
        by=clerk,
        held_on=at(day).date(),
        representatives=10,
        present=10,
        votes=votes_for_all(batch, 10) if not batch.is_village_procedure else {None: (9, 1)},
        minutes=upload("minutes.pdf"),
        now=at(day),
    )
    notices.post_notice(batch, by=clerk, photo=upload(), now=at(day))
    notices.close_notice(batch, by=clerk, now=at(day + 8))
    services.approve_review(batch, by=township, opinion="审核通过", now=at(day + 8))
    notices.post_notice(batch, by=township, photo=upload(), now=at(day + 8))
    notices.close_notice(batch, by=township, now=at(day + 16))
    return services.announce(batch, by=county, opinion="复审通过", now=at(day + 16))


def _poor(head, income, *, guarantees_met=True):
    h = factories.make_household(head=head, income=income, year=YEAR, registration_year=2016)
    items = {g: True for g in ("food", "clothing", "education", "medical", "housing", "water")}
    notes = {}
    if not guarantees_met:
        items["housing"], notes["housing"] = False, "C级危房未改造"
    registry.record_guarantees(
        h,
        by=factories.admin_user(),
        year=YEAR,
        checked_on=datetime.date(2025, 8, 20),
        items=items,
        notes=notes,
    )
    return h


def test_full_exit_through_every_stage(users):
    clerk, township, county = users["clerk"], users["township"], users["county"]
    ready, unconfirmed = _poor("王富", "6200"), _poor("刘稳", "5100")
    below, unsafe = _poor("陈贫", "3100"), _poor("黄危", "7000", guarantees_met=False)

    batch = services.open_batch(by=clerk, village_code=factories.VILLAGE, kind="exit", year=YEAR, now=at(0))
    assert services.propose_exit_candidates(batch, by=clerk, now=at(0)) == 2  # above the line, guarantees met
    with pytest.raises(ProcedureError, match="不能进入贫困户脱贫程序"):
        services.add_households(
            batch,
            by=clerk,
            household_ids=[factories.make_household(status="exited", exit_year=2019).pk],
            now=at(0),
        )
    services.add_households(
        batch, by=clerk, household_ids=[below.pk], now=at(0)
    )  # proposed by hand, will fail the check
    services.confirm_by_helper(
        batch.entries.filter(household__in=[ready, below]), by=clerk, helper_name="县农业局 张干部", now=at(0)
    )
    services.complete_application(batch, by=clerk, now=at(1))
    batch.refresh_from_db()
    selection.complete_survey(batch, by=clerk, now=at(1))
    batch.refresh_from_db()
    entries = {e.household_id: e for e in batch.entries.all()}
    assert entries[ready.pk].state == EntryState.SELECTED
    assert "帮扶责任人未确认" in entries[unconfirmed.pk].reason
    assert "未超过扶贫标准 4000" in entries[below.pk].reason
    assert unsafe.pk not in entries

    notice = _walk_notices_and_reviews(batch, clerk=clerk, township=township, county=county, day=2)
    assert [r["head_name"] for r in notice.entries] == ["王富"]
    h = Household.objects.get(pk=ready.pk)
    assert (h.status, h.exit_year) == (codes.HouseholdStatus.EXITED, YEAR)
    assert Household.objects.get(pk=unconfirmed.pk).status == codes.HouseholdStatus.POOR


def test_county_sees_exits_that_are_late(users):
    clerk = users["clerk"]
    _poor("王富", "6200")
    batch = services.open_batch(by=clerk, village_code=factories.VILLAGE, kind="exit", year=YEAR, now=at(0))
    services.propose_exit_candidates(batch, by=clerk, now=at(0))
    late = selectors.exit_progress(users["county"], YEAR, today=datetime.date(2026, 1, 5))
    assert [(r["batch"].pk, r["late"]) for r in late] == [(batch.pk, True)]
    assert (
        selectors.exit_progress(users["county"], YEAR, today=datetime.date(2025, 10, 1))[0]["late"] is False
    )
    assert selectors.exit_progress(users["other_county"], YEAR, today=datetime.date(2026, 1, 5)) == []


def test_relapse_reenters_through_identification_with_its_cause(users):
    clerk, township, county = users["clerk"], users["township"], users["county"]
    h = factories.make_household(
        head="返贫户", income="2600", year=YEAR, status="exited", exit_year=2019, registration_year=2016
    )
    batch = services.open_batch(
        by=clerk, village_code=factories.VILLAGE, kind="relapse", year=YEAR, now=at(0)
    )
    with pytest.raises(ProcedureError, match="返贫原因"):
        services.add_households(batch, by=clerk, household_ids=[h.pk], now=at(0))
    services.add_households(
        batch, by=clerk, household_ids=[h.pk], primary_cause=codes.PovertyCause.DISASTER, now=at(0)
    )
    services.complete_application(batch, by=clerk, now=at(1))
    batch.refresh_from_db()
    selection.complete_survey(batch, by=clerk, now=at(1))
    batch.refresh_from_db()
    _walk_notices_and_reviews(batch, clerk=clerk, township=township, county=county, day=2)
    h.refresh_from_db()
    assert (h.status, h.primary_cause, h.exit_year, h.registration_year) == (
        codes.HouseholdStatus.POOR,
        "disaster",
        None,
        2016,
    )


def test_village_exit_checks_the_provinces_criteria(users):
    clerk, township, county = users["clerk"], users["township"], users["county"]
    factories.make_household(head="甲", members=3, income="3000")  # 3 poor persons
    village_profiles.save_village_profile(
        by=clerk,
        village_code=factories.VILLAGE,
        year=YEAR,
        population=120,
        rural_population=100,
        has_hardened_road=True,
        has_safe_water=True,
        has_electricity=True,
        has_clinic=False,
        has_broadband=True,
    )
    batch = services.open_batch(
        by=clerk, village_code=factories.VILLAGE, kind="village_exit", year=YEAR, now=at(0)
    )
    services.complete_application(batch, by=clerk, now=at(0))
    batch.refresh_from_db()
    with pytest.raises(ProcedureError) as e:
        selection.complete_survey(batch, by=clerk, now=at(1))
    assert "贫困发生率低于 2.00%（3.00%（3/100人））" in str(e.value) and "有标准化卫生室（否）" in str(
        e.value
    )
    # A western province's 3 % rule, and the clinic built: the village qualifies.
    from fupin.procedures.models import VillageCriteria

    VillageCriteria.objects.create(
        region_prefix="36", kind="exit", incidence_percent=Decimal("3.5"), require_clinic=True
    )
    village_profiles.save_village_profile(
        by=clerk, village_code=factories.VILLAGE, year=YEAR, has_clinic=True
    )
    selection.complete_survey(batch, by=clerk, now=at(1))
    batch.refresh_from_db()
    _walk_notices_and_reviews(batch, clerk=clerk, township=township, county=county, day=2)
    from fupin.procedures.models import VillageProfile

    profile = VillageProfile.objects.get(village_id=factories.VILLAGE, year=YEAR)
    assert (profile.is_poor_village, profile.exit_year) == (False, YEAR)


def test_poverty_line_most_specific_region_wins(users):
    from fupin.procedures.models import PolicyYear

    assert selectors.poverty_line(2015, "360722100001") == Decimal("2855")
    assert selectors.poverty_line(2025, "360722100001") == Decimal(
        "4000"
    )  # the 2020 standard carries forward
    PolicyYear.objects.create(region_prefix="36", year=2025, poverty_line=Decimal("4500"))
    PolicyYear.objects.create(region_prefix="360722", year=2025, poverty_line=Decimal("5000"))
    assert selectors.poverty_line(2025, "360722100001") == Decimal("5000")
    assert selectors.poverty_line(2025, "360723100001") == Decimal("4500")
    assert selectors.poverty_line(2025, "110101001001") == Decimal("4000")
    with pytest.raises(ProcedureError, match="尚未设定扶贫标准"):
        selectors.poverty_line(2012, "36")
