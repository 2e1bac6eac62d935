"""Pairing (结对帮扶, 四定两不): every poor household has a helper, loads are capped, history is kept."""

import datetime

import pytest

from fupin.accounts.scope import ScopeError
from fupin.assistance import roster, selectors, services
from fupin.assistance.models import Pairing
from fupin.audit.models import AuditEntry
from tests import factories

from .conftest import TODAY, pair


def test_every_unpaired_poor_household_is_listed_until_paired(users, county_user, make_helper):
    poor = factories.make_household(head="贫困甲")  # as after an announcement: status poor
    monitored = factories.make_household(head="监测乙", status="monitored", exit_year=2020)
    exited = factories.make_household(head="脱贫丙", status="exited", exit_year=2020)
    factories.make_household(head="申请丁", status="applicant")
    listed = set(selectors.unpaired_households(county_user).values_list("pk", flat=True))
    assert listed == {poor.pk, monitored.pk}
    assert exited.pk not in listed
    pair(poor, make_helper(), county_user)
    assert set(selectors.unpaired_households(county_user).values_list("pk", flat=True)) == {monitored.pk}
    coverage = selectors.coverage_by_region(county_user, factories.VILLAGE[:6])
    assert (coverage["total"]["needing"], coverage["total"]["paired"], coverage["total"]["unpaired"]) == (
        2,
        1,
        1,
    )
    assert coverage["total"]["coverage"] == 50.0
    township = next(r for r in coverage["rows"] if r["code"] == factories.VILLAGE[:9])
    assert township["unpaired"] == 1


def test_unpaired_list_respects_scope(users, county_user):
    factories.make_household(factories.OTHER_TOWNSHIP_VILLAGE)
    assert not selectors.unpaired_households(users["township"]).exists()
    assert selectors.unpaired_households(users["other_township"]).count() == 1


def test_a_helpers_load_is_capped_per_county(users, county_user, make_helper):
    helper = make_helper()
    services.update_settings(
        by=county_user, county_code=factories.VILLAGE[:6], load_cap=2, visit_interval_days=60
    )
    households = [factories.make_household(head=f"户主{i}") for i in range(3)]
    pair(households[0], helper, county_user)
    pair(households[1], helper, county_user)
    with pytest.raises(services.AssistanceError) as e:
        pair(households[2], helper, county_user)
    assert "上限" in e.value.errors["helper"]
    assert selectors.unpaired_households(county_user).get() == households[2]
    # ending a pairing frees a place
    services.update_settings(
        by=county_user, county_code=factories.VILLAGE[:6], load_cap=3, visit_interval_days=60
    )
    pair(households[2], helper, county_user)


def test_the_cap_of_another_county_does_not_apply(users, make_helper, unit):
    county = users["county"]
    other_county = users["other_county"]
    services.update_settings(
        by=other_county, county_code=factories.OTHER_COUNTY_VILLAGE[:6], load_cap=1, visit_interval_days=30
    )
    helper = make_helper()
    for i in range(3):
        pair(factories.make_household(head=f"户主{i}"), helper, county)
    assert Pairing.objects.filter(helper=helper, ended_on__isnull=True).count() == 3


def test_reassigning_keeps_the_history(users, county_user, make_helper):
    household = factories.make_household()
    first, second = make_helper("王一"), make_helper("李二")
    pair(household, first, county_user, days_ago=400)
    with pytest.raises(services.AssistanceError):  # a second active pairing is refused
        pair(household, second, county_user)
    with pytest.raises(services.AssistanceError) as e:
        services.reassign_household(household, second, by=county_user, on=TODAY, reason="")
    assert "reason" in e.value.errors
    services.reassign_household(household, second, by=county_user, on=TODAY, reason="王一调离")
    rows = list(Pairing.objects.filter(household=household).order_by("started_on"))
    assert [(p.helper.name, p.ended_on, p.end_reason) for p in rows] == [
        ("王一", TODAY, "王一调离"),
        ("李二", None, ""),
    ]
    assert rows[0].ended_by == county_user
    assert set(AuditEntry.objects.filter(household=household).values_list("action", flat=True)) >= {
        "pair",
        "reassign",
    }
    data = selectors.household_assistance(household)
    assert data["current"].helper.name == "李二" and len(data["pairings"]) == 2


def test_no_unpairing_before_exit(users, county_user, make_helper):
    from fupin.registry import services as registry

    household = factories.make_household()
    pair(household, make_helper(), county_user)
    with pytest.raises(services.AssistanceError) as e:
        services.end_pairing(household, by=county_user, on=TODAY, reason="不想帮了")
    assert "不脱贫不脱钩" in e.value.errors["household"]
    registry.apply_key_facts(
        household, by=county_user, action="change_request", status="exited", exit_year=TODAY.year
    )
    ended = services.end_pairing(household, by=county_user, on=TODAY, reason="已稳定脱贫")
    assert ended.ended_on == TODAY
    assert Pairing.objects.filter(household=household).count() == 1  # ended, never deleted


def test_pairing_refuses_wrong_region_inactive_helper_and_future_dates(users, county_user, make_helper):
    household = factories.make_household()
    far = make_helper("远方", region=factories.OTHER_TOWNSHIP_VILLAGE)
    with pytest.raises(services.AssistanceError) as e:
        pair(household, far, county_user)
    assert "工作区域" in e.value.errors["helper"]
    idle = make_helper("闲置")
    roster.update_helper(idle, by=county_user, active=False)
    with pytest.raises(services.AssistanceError):
        pair(household, idle, county_user)
    with pytest.raises(services.AssistanceError) as e:
        services.pair_household(
            household, make_helper("明日"), by=county_user, started_on=TODAY + datetime.timedelta(days=1)
        )
    assert "started_on" in e.value.errors


def test_only_township_and_county_offices_pair(users, make_helper):
    household = factories.make_household()
    helper = make_helper()
    for who in ("clerk", "team", "prefecture"):
        with pytest.raises(ScopeError):
            services.pair_household(household, helper, by=users[who], started_on=TODAY)
    with pytest.raises(ScopeError):  # out of region
        services.pair_household(household, helper, by=users["other_township"], started_on=TODAY)
    services.pair_household(household, helper, by=users["township"], started_on=TODAY)


def test_a_helper_with_households_cannot_be_retired(users, county_user, make_helper):
    helper = make_helper()
    pair(factories.make_household(), helper, county_user)
    with pytest.raises(services.AssistanceError) as e:
        roster.update_helper(helper, by=county_user, active=False)
    assert "仍结对1户" in e.value.errors["active"]
