"""The to-do list (待办, issue 18, to build 2): each role's items from every app, scoped, linked, counted."""

import datetime

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from fupin.changes import services as changes
from fupin.changes.models import ChangeKind
from fupin.core.todo import collect
from fupin.monitoring import problems
from fupin.monitoring.models import ProblemSource
from fupin.registry import codes
from tests import factories

TODAY = timezone.localdate()


@pytest.fixture
def work(users):
    """A change request waiting for the township, an overdue problem and one due in three days in the
    village."""
    household = factories.make_household(members=2)
    changes.propose(
        household,
        by=users["clerk"],
        kind=ChangeKind.TYPE_CHANGE,
        payload={"household_type": codes.HouseholdType.DIBAO_POOR},
        reason="低保认定",
        evidence_reference="认定表",
    )
    for days in (-3, 3):
        problems.create_problem(
            by=users["township"],
            source=ProblemSource.INSPECTION,
            region_code=factories.VILLAGE,
            description="危房改造滞后",
            deadline=TODAY + datetime.timedelta(days=days),
        )
    return household


def counts(user) -> dict[str, int]:
    return {t.kind: t.count for t in collect(user, TODAY)}


def test_each_level_sees_what_waits_for_it(users, work):
    township = counts(users["township"])
    assert township["changes.proposed"] == 1
    assert township["monitoring.overdue"] == 1 and township["monitoring.due"] == 1
    clerk = counts(users["clerk"])
    assert "changes.proposed" not in clerk  # the village proposes; it is not asked to review
    assert clerk["monitoring.overdue"] == 1
    assert counts(users["county"])["changes.proposed"] == 1


@pytest.mark.parametrize(
    "who", ["sibling_clerk", "other_township", "other_county", "prefecture", "province", "liaison"]
)
def test_other_regions_and_read_only_roles_see_none_of_it(users, work, who):
    assert counts(users[who]) == {}


def test_the_page_links_each_item_to_where_it_is_done_and_the_navigation_counts(users, work):
    client = Client()
    client.force_login(users["township"])
    page = client.get("/todo/").content.decode()
    assert 'href="/changes/?status=proposed"' in page
    assert 'href="/monitoring/problems/?overdue=1"' in page
    cache.clear()
    nav = client.get("/households/").content.decode()
    total = sum(counts(users["township"]).values())
    assert total >= 3 and f'<span class="badge" aria-label="{total} 项">{total}</span>' in nav
    assert client.get("/changes/?status=proposed").status_code == 200


def test_anonymous_is_sent_to_sign_in(db):
    response = Client().get("/todo/")
    assert response.status_code == 302 and "/accounts/login" in response["Location"]


def test_counts_cost_one_query_per_kind(users, work, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        collect(users["township"], TODAY)


def test_the_cached_household_list_shows_the_count_of_now(users, work):
    """The village's list page is cached under its data's version, which a new problem does not change: the
    navigation's count is put in on each request, so it is never the count the page was cached with."""
    from fupin.core import todo

    clerk = users["clerk"]
    client = Client()
    client.force_login(clerk)
    cache.clear()
    before = sum(counts(clerk).values())
    assert f'aria-label="{before} 项">{before}</span>' in client.get("/households/").content.decode()
    problems.create_problem(
        by=users["township"],
        source=ProblemSource.INSPECTION,
        region_code=factories.VILLAGE,
        description="饮水工程未完工",
        deadline=TODAY - datetime.timedelta(days=1),
    )
    cache.delete(todo._cache_key(clerk))  # as after CACHE_SECONDS
    after = sum(counts(clerk).values())
    assert after == before + 1
    assert f'aria-label="{after} 项">{after}</span>' in client.get("/households/").content.decode()
