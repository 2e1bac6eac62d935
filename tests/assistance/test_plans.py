"""Help plans and measures: the default class from the household, money in Decimal, progress audited."""

import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin.accounts.scope import ScopeError
from fupin.assistance import services
from fupin.assistance.models import HelpMeasure, MeasureCatalogue, MeasureStatus, PlanClass
from fupin.audit.models import AuditEntry
from fupin.registry import services as registry
from tests import factories

from .conftest import TODAY, pair


def _no_labour(household, by):
    for m in household.members.all():
        registry.update_member(m, by=by, labour_skill="lost")


def test_dibao_and_wubao_households_without_labour_default_to_the_safety_net(users, county_user):
    dibao = factories.make_household(household_type="dibao")
    _no_labour(dibao, county_user)
    wubao = factories.make_household(household_type="wubao", members=1)
    dibao_with_labour = factories.make_household(household_type="dibao")
    registry.update_member(dibao_with_labour.members.first(), by=county_user, labour_skill="ordinary")
    general = factories.make_household(household_type="general_poor")
    _no_labour(general, county_user)
    assert services.default_plan_class(dibao) == PlanClass.SAFETY_NET
    assert services.default_plan_class(wubao) == PlanClass.SAFETY_NET
    assert services.default_plan_class(dibao_with_labour) == PlanClass.DEVELOPMENT
    assert services.default_plan_class(general) == PlanClass.DEVELOPMENT
    plan = services.save_plan(dibao, by=county_user, target_exit_year=TODAY.year)
    assert plan.plan_class == PlanClass.SAFETY_NET


def test_a_measure_needs_a_plan_and_is_attributed_to_the_paired_helper(users, county_user, make_helper):
    household = factories.make_household()
    helper = make_helper()
    pair(household, helper, county_user)
    planting = MeasureCatalogue.objects.get(code="planting")
    with pytest.raises(services.AssistanceError):
        services.add_measure(
            household, by=county_user, catalogue=planting, content="脐橙5亩", year=TODAY.year, deadline=TODAY
        )
    services.save_plan(household, by=county_user, target_exit_year=TODAY.year + 1, goals="发展脐橙")
    m = services.add_measure(
        household,
        by=county_user,
        catalogue=planting,
        content="脐橙5亩",
        year=TODAY.year,
        deadline=datetime.date(TODAY.year, 12, 31),
        planned_amount="3000.50",
        funding_source="财政专项",
    )
    assert (
        m.helper == helper
        and m.planned_amount == Decimal("3000.50")
        and m.village_code == household.village_id
    )
    assert AuditEntry.objects.filter(action="add_measure", household=household).exists()


def test_measure_money_is_checked_and_never_float(users, county_user):
    household = factories.make_household()
    services.save_plan(household, by=county_user, target_exit_year=TODAY.year)
    item = MeasureCatalogue.objects.get(code="breeding")
    for bad, message in (("-1", "负数"), ("12.345", "两位小数"), ("abc", "金额"), ("NaN", "金额")):
        with pytest.raises(services.AssistanceError) as e:
            services.add_measure(
                household,
                by=county_user,
                catalogue=item,
                content="养猪",
                year=TODAY.year,
                deadline=TODAY,
                planned_amount=bad,
            )
        assert message in e.value.errors["planned_amount"]
    with pytest.raises(TypeError):
        services.add_measure(
            household,
            by=county_user,
            catalogue=item,
            content="养猪",
            year=TODAY.year,
            deadline=TODAY,
            planned_amount=12.5,
        )


def test_completing_a_measure_needs_its_result(users, county_user):
    household = factories.make_household()
    services.save_plan(household, by=county_user, target_exit_year=TODAY.year)
    m = services.add_measure(
        household,
        by=county_user,
        catalogue=MeasureCatalogue.objects.get(code="housing"),
        content="C级危房改造",
        year=TODAY.year,
        deadline=TODAY,
        planned_amount="15000",
    )
    with pytest.raises(services.AssistanceError) as e:
        services.update_measure(m, by=county_user, status=MeasureStatus.DONE)
    assert "result" in e.value.errors
    m = services.update_measure(
        m, by=county_user, status=MeasureStatus.DONE, result="已完成改造并入住", actual_amount="14500"
    )
    assert m.completed_on == TODAY and m.actual_amount == Decimal("14500.00")
    entry = AuditEntry.objects.filter(action="update_measure").latest("id")
    assert entry.changes["status"] == ["planned", "done"]
    # reopening clears the completion date
    m = services.update_measure(m, by=county_user, status=MeasureStatus.IN_PROGRESS)
    assert m.completed_on is None


def test_who_may_plan(users, county_user, helper_with_login):
    household = factories.make_household()
    with pytest.raises(ScopeError):
        services.save_plan(household, by=users["clerk"], target_exit_year=TODAY.year)
    with pytest.raises(ScopeError):
        services.save_plan(household, by=users["province"], target_exit_year=TODAY.year)
    with pytest.raises(ScopeError):  # not paired to this helper
        services.save_plan(household, by=helper_with_login.user, target_exit_year=TODAY.year)
    pair(household, helper_with_login, county_user)
    services.save_plan(household, by=helper_with_login.user, target_exit_year=TODAY.year)
    services.save_plan(household, by=users["team"], target_exit_year=TODAY.year + 1)


@settings(max_examples=40, deadline=None)
@given(
    st.decimals(
        min_value=0, max_value=Decimal("99999999.99"), places=2, allow_nan=False, allow_infinity=False
    )
)
def test_any_two_place_amount_round_trips_exactly(amount):
    errors: dict = {}
    assert services._money(str(amount), "x", errors) == amount and not errors


def test_cancelled_measures_do_not_count_in_money_totals(users, county_user):
    from fupin.assistance.selectors import household_assistance

    household = factories.make_household()
    services.save_plan(household, by=county_user, target_exit_year=TODAY.year)
    item = MeasureCatalogue.objects.get(code="education")
    a = services.add_measure(
        household,
        by=county_user,
        catalogue=item,
        content="雨露计划",
        year=TODAY.year,
        deadline=TODAY,
        planned_amount="3000",
    )
    services.add_measure(
        household,
        by=county_user,
        catalogue=item,
        content="助学",
        year=TODAY.year,
        deadline=TODAY,
        planned_amount="1000",
    )
    services.update_measure(a, by=county_user, status=MeasureStatus.CANCELLED)
    assert household_assistance(household)["money"]["planned"] == Decimal("1000.00")
    assert HelpMeasure.objects.count() == 2
