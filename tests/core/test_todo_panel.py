"""The to-do list on each role's home page (issue 18, build item 2): the page a role lands on after sign-in
shows its items, each linking to where it is done; other pages do not; the household list's cached page shows
them fresh."""

import pytest
from django.core.cache import cache
from django.test import Client

from fupin.changes import services as changes
from fupin.changes.models import ChangeKind
from fupin.core import todo
from fupin.registry import codes
from tests import factories

pytestmark = pytest.mark.django_db
PANEL = 'class="card todo-panel"'


def _propose(household, clerk):
    changes.propose(
        household,
        by=clerk,
        kind=ChangeKind.TYPE_CHANGE,
        payload={"household_type": codes.HouseholdType.DIBAO_POOR},
        reason="低保认定",
        evidence_reference="认定表",
    )


def _landing(client) -> str:
    response = client.get("/", follow=True)
    assert response.status_code == 200
    return response.content.decode()


def test_the_township_lands_on_its_list_with_its_items_linked(users):
    _propose(factories.make_household(), users["clerk"])
    client = Client()
    client.force_login(users["township"])
    page = _landing(client)
    assert PANEL in page and 'href="/changes/?status=proposed"' in page
    for other in ("/todo/", "/changes/"):
        assert PANEL not in client.get(other).content.decode(), other


@pytest.mark.parametrize("who", ["clerk", "county", "liaison", "helper"])
def test_every_role_lands_on_a_page_with_its_to_do_panel(users, who):
    user = users[who] if who in users else factories.make_user("helper_user", "helper", factories.VILLAGE)
    client = Client()
    client.force_login(user)
    page = _landing(client)
    assert PANEL in page, who
    assert page.count(todo.PANEL_MARK) == 0


def test_the_cached_list_page_shows_the_items_as_they_are_now(users):
    household = factories.make_household()
    client = Client()
    client.force_login(users["township"])
    assert "/changes/?status=proposed" not in _landing(client)
    _landing(client)  # the page is now in the fragment cache
    _propose(household, users["clerk"])
    cache.delete(
        todo._cache_key(users["township"])
    )  # the items' own 30 s, not the page's cache, may delay them
    assert 'href="/changes/?status=proposed"' in _landing(client)
