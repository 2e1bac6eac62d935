"""Issue 14, finding 7 (a) and (c): a helper's page shows only the households its reader may read; a helper
set inactive (离岗) reads and writes nothing of their former households."""

import pytest

from fupin.accounts.scope import ScopeError
from fupin.assistance import services
from fupin.assistance.models import Helper
from fupin.audit.models import AuditEntry
from fupin.registry import selectors
from fupin.registry.models import Household
from tests import factories

from .conftest import TODAY, pair


@pytest.fixture
def county_helper(make_helper, county_user):
    """A helper bound to the county, paired in two townships."""
    helper = make_helper("县直干部", region=factories.VILLAGE[:6])
    own = factories.make_household(head="本村户")
    far = factories.make_household(factories.OTHER_TOWNSHIP_VILLAGE, head="外乡户")
    near = factories.make_household(factories.SIBLING_VILLAGE, head="邻村户")
    for household in (own, far, near):
        pair(household, helper, county_user)
    return helper


@pytest.mark.parametrize(
    "who, shown, hidden",
    [
        ("clerk", ["本村户"], ["外乡户", "邻村户"]),
        ("team", ["本村户"], ["外乡户", "邻村户"]),
        ("township", ["本村户", "邻村户"], ["外乡户"]),
        ("county", ["本村户", "邻村户", "外乡户"], []),
    ],
)
def test_helper_page_lists_only_households_the_reader_may_read(
    client, users, county_helper, who, shown, hidden
):
    client.force_login(users[who])
    page = client.get(f"/assistance/helpers/{county_helper.pk}/").content.decode()
    for name in shown:
        assert name in page, (who, name)
    for name in hidden:
        assert name not in page, (who, name)


def test_inactive_helper_reads_and_writes_nothing_of_their_former_households(
    client, county_user, helper_with_login
):
    household = factories.make_household(head="原帮扶户")
    pair(household, helper_with_login, county_user)
    helper_user = helper_with_login.user
    assert selectors.household_for(helper_user, household.pk) == household  # paired and active: theirs

    # set 离岗 as the admin site or a data correction does; update_helper itself asks for the pairings to be
    # moved first
    Helper.objects.filter(pk=helper_with_login.pk).update(active=False)
    with pytest.raises(Household.DoesNotExist):
        selectors.household_for(helper_user, household.pk)
    assert not selectors.households_for(helper_user).exists()
    last = AuditEntry.objects.order_by("-pk").first().pk
    with pytest.raises(ScopeError):
        services.record_visit(household, by=helper_user, visited_on=TODAY, findings="离岗后仍来走访")
    client.force_login(helper_user)
    for path in (
        f"/households/{household.pk}/",
        f"/assistance/households/{household.pk}/",
        f"/assistance/households/{household.pk}/handbook.pdf",
    ):
        assert client.get(path).status_code == 404, path
    assert "原帮扶户" not in client.get("/assistance/mine/").content.decode()
    response = client.post(
        f"/assistance/households/{household.pk}/visits/new/",
        {"visited_on": TODAY.isoformat(), "findings": "离岗后仍来走访", "kind": "home"},
    )
    assert response.status_code in (403, 404)
    assert not household.visits.exists()
    assert not AuditEntry.objects.filter(pk__gt=last).exists()

    Helper.objects.filter(pk=helper_with_login.pk).update(
        active=True
    )  # back at post: the pairing is theirs again
    assert selectors.household_for(helper_user, household.pk) == household
