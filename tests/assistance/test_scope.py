"""A helper (帮扶责任人) reads only the households paired to them, through every registry selector."""

import pytest

from fupin.accounts.scope import ScopeError, ensure_can_edit, household_filter
from fupin.registry import selectors
from fupin.registry.models import Household, Member
from tests import factories

from .conftest import TODAY, pair


def _numbers(qs):
    return set(qs.values_list("number", flat=True))


def test_helper_sees_only_paired_households(users, county_user, helper_with_login):
    helper_user = helper_with_login.user
    mine = factories.make_household(head="张三丰")
    neighbour = factories.make_household(head="张无忌")  # same village, paired to nobody
    pair(mine, helper_with_login, county_user)
    assert _numbers(selectors.households_for(helper_user)) == {mine.number}
    assert selectors.household_for(helper_user, mine.pk) == mine
    with pytest.raises(Household.DoesNotExist):
        selectors.household_for(helper_user, neighbour.pk)
    head = neighbour.members.get(relation="head")
    with pytest.raises(Member.DoesNotExist):
        selectors.member_for(helper_user, head.pk)
    assert selectors.member_for(helper_user, mine.members.get(relation="head").pk).name == "张三丰"
    # the search cannot reach the neighbour either
    assert _numbers(selectors.households_for(helper_user, q="张")) == {mine.number}
    assert _numbers(selectors.households_for(helper_user, q=head.id_number)) == set()
    assert (
        sum(r["households"] for r in selectors.region_breakdown(helper_user, factories.VILLAGE, 5).values())
        == 1
    )


def test_helper_loses_access_when_the_household_is_reassigned(
    users, county_user, helper_with_login, make_helper
):
    from fupin.assistance import services

    household = factories.make_household()
    pair(household, helper_with_login, county_user)
    other = make_helper("赵接替")
    services.reassign_household(household, other, by=county_user, on=TODAY, reason="原帮扶责任人调离")
    assert not selectors.households_for(helper_with_login.user).exists()


def test_helper_without_pairings_sees_nothing_and_other_roles_are_unchanged(users, helper_with_login):
    h = factories.make_household()
    assert not selectors.households_for(helper_with_login.user).exists()
    assert _numbers(selectors.households_for(users["clerk"])) == {h.number}
    assert _numbers(selectors.households_for(users["county"])) == {h.number}
    assert household_filter(users["liaison"]) is None


def test_helper_cannot_correct_the_registry(county_user, helper_with_login):
    household = factories.make_household()
    pair(household, helper_with_login, county_user)
    user = helper_with_login.user
    # a helper reads no region as a whole (so no region-wide page or list reaches them) ...
    assert user.scope_prefix is None and user.helper_region == factories.VILLAGE[:9]
    assert not user.in_scope(household.village_id)
    # ... only their paired households, and those they cannot correct
    assert selectors.households_for(user).get() == household
    assert user.sees_identifiers and not user.can_edit_registry
    with pytest.raises(ScopeError):
        ensure_can_edit(user, household.village_id)


def test_helper_outside_their_region_sees_nothing_even_if_paired(users, county_user, helper_with_login):
    """The region bound to the account still applies: a pairing cannot widen it."""
    from fupin.assistance.models import Pairing

    far = factories.make_household(factories.OTHER_TOWNSHIP_VILLAGE)
    Pairing.objects.create(household=far, helper=helper_with_login, started_on=TODAY, started_by=county_user)
    assert not selectors.households_for(helper_with_login.user).exists()
