"""The household list's cache: a village's list is served from it, yet always shows what a fresh render would.

Every test compares against a render made with the cache emptied, after writes made through
the services and straight through the database (a bulk update no Python code hears of).
"""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fupin.core import fragments
from fupin.core.idnumber import mask
from fupin.regions.models import Region
from fupin.registry import codes, services
from fupin.registry.models import Household, Member
from tests import factories

pytestmark = pytest.mark.django_db

LIST = reverse("registry:household_list")
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def empty_caches():
    """The shared cache and this process's own copies of fragments."""
    cache.clear()
    fragments.forget_local()


@pytest.fixture(autouse=True)
def _empty_cache():
    empty_caches()
    yield
    empty_caches()


def get(client, params=None, **extra) -> tuple[str, int]:
    """The page and the number of queries it took."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST, params or {}, **extra)
    assert response.status_code == 200
    return response.content.decode(), len(queries.captured_queries)


def rows(page: str) -> str:
    return page.split("<tbody>")[1].split("</tbody>")[0] if "<tbody>" in page else ""


def fresh(client, params=None, **extra) -> str:
    """What the page is without the cache."""
    empty_caches()
    return get(client, params, **extra)[0]


def without_tokens(page: str) -> str:
    """The page with its per-request CSRF tokens blanked, to compare two renders."""
    page = CSRF_INPUT.sub('name="csrfmiddlewaretoken" value=""', page)
    return re.sub(r'"X-CSRFToken": "[^"]+"', '"X-CSRFToken": ""', page)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_villages_list_is_served_from_the_cache_the_second_time(users):
    factories.make_household(head="张三丰")
    client = logged_in(users["township"])
    params = {"region": factories.VILLAGE, "status": "poor"}
    first, uncached_queries = get(client, params)
    second, cached_queries = get(client, params)
    assert cached_queries < uncached_queries and cached_queries <= 3  # session, user, the version
    assert without_tokens(second) == without_tokens(first) and "张三丰" in second


def test_a_write_through_the_services_shows_on_the_next_request(users):
    household = factories.make_household(head="张三丰")
    client = logged_in(users["clerk"])
    assert "因病" in rows(get(client)[0])
    services.update_household(household, by=users["clerk"], primary_cause=codes.PovertyCause.DISABILITY)
    page = get(client)[0]
    assert "因残" in rows(page) and "因病" not in rows(page)
    assert without_tokens(page) == without_tokens(fresh(client))


def test_a_bulk_update_in_the_database_shows_on_the_next_request(users):
    household = factories.make_household(head="张三丰")
    client = logged_in(users["township"])
    params = {"region": factories.VILLAGE}
    get(client, params)
    Household.objects.filter(pk=household.pk).update(
        head_name="张三疯", status=codes.HouseholdStatus.MONITORED
    )
    page = get(client, params)[0]
    assert "张三疯" in page and "张三丰" not in page
    assert without_tokens(page) == without_tokens(fresh(client, params))


def test_a_members_new_id_number_shows_on_the_next_request(users):
    household = factories.make_household(head="张三丰")
    head = household.members.get(relation=codes.Relation.HEAD)
    client = logged_in(users["clerk"])
    assert mask(head.id_number) in get(client)[0]
    new_number = factories.id_number(birth=head.birth_date, sex=head.sex)
    Member.objects.filter(pk=head.pk).update(id_number=new_number)
    page = get(client)[0]
    assert mask(new_number) in page and mask(head.id_number) not in page


def test_a_search_sees_a_new_member_at_once(users):
    factories.make_household(head="张三丰")
    client = logged_in(users["clerk"])
    assert "没有符合条件的户" in get(client, {"q": "欧阳"})[0]
    found = factories.make_household(head="欧阳修")
    page = get(client, {"q": "欧阳"})[0]
    assert found.number in page and "共 1 户" in page


def test_a_household_added_deleted_or_moved_changes_both_villages_lists(users):
    moving = factories.make_household(head="张三丰")
    client = logged_in(users["township"])
    here, there = {"region": factories.VILLAGE}, {"region": factories.SIBLING_VILLAGE}
    assert moving.number in get(client, here)[0] and moving.number not in get(client, there)[0]
    Household.objects.filter(pk=moving.pk).update(village_id=factories.SIBLING_VILLAGE, group=None)
    assert moving.number not in get(client, here)[0] and moving.number in get(client, there)[0]
    Household.objects.filter(pk=moving.pk).delete()
    assert moving.number not in get(client, there)[0]


def test_a_renamed_region_shows_on_the_next_request(users):
    factories.make_household(head="张三丰")
    client = logged_in(users["clerk"])
    assert "南山居委会" in get(client)[0]
    Region.objects.filter(code=factories.VILLAGE).update(name="南山社区")
    page = get(client)[0]
    assert "南山社区" in page and "南山居委会" not in page


def test_users_of_different_scope_never_get_each_others_rows(users):
    mine = factories.make_household(head="张三丰")
    theirs = factories.make_household(factories.SIBLING_VILLAGE, head="李四")
    clerk, sibling = logged_in(users["clerk"]), logged_in(users["sibling_clerk"])
    other_county = logged_in(users["other_county"])
    for _ in range(2):  # the second round is served from the cache where it may be
        page = get(clerk)[0]
        assert mine.number in page and theirs.number not in page
        page = get(sibling)[0]
        assert theirs.number in page and mine.number not in page
        # the same query string, asked by readers of other scopes
        for client in (sibling, other_county):
            page = get(client, {"region": factories.VILLAGE})[0]
            assert (
                "所选区域不存在或不在您的管辖范围内" in page
                and mine.number not in page
                and "张三丰" not in page
            )


def test_the_page_header_is_each_users_own(users):
    factories.make_household(head="张三丰")
    township, county = logged_in(users["township"]), logged_in(users["county"])
    params = {"region": factories.VILLAGE}
    for _ in range(2):
        assert "乡镇扶贫办" in get(township, params)[0]
        page = get(county, params)[0]
        assert "县扶贫办" in page and "乡镇扶贫办" not in page


def test_a_cached_page_carries_a_csrf_token_that_works(users):
    factories.make_household(head="张三丰")
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["clerk"])
    first, second = get(client)[0], get(client)[0]
    tokens = CSRF_INPUT.findall(second)
    assert tokens and all(t == tokens[0] for t in tokens) and tokens[0] not in first  # a new mask each time
    response = client.post(
        reverse("set_language"), {"language": "en", "next": LIST, "csrfmiddlewaretoken": tokens[0]}
    )
    assert response.status_code == 302
    assert "Households" in get(client)[0]


def test_english_and_htmx_pages_are_cached_apart(users):
    factories.make_household(head="张三丰")
    client = logged_in(users["clerk"])
    chinese = get(client)[0]
    results = get(client, HTTP_HX_REQUEST="true")[0]
    assert "<html" in chinese and "<html" not in results and "张三丰" in results
    client.post(reverse("set_language"), {"language": "en", "next": LIST})
    english = get(client)[0]
    assert "General poor household" in rows(english) and "一般贫困户" not in english
    assert "<html" in get(client)[0]


def test_a_page_with_a_message_shows_it_once(users):
    household = factories.make_household(head="张三丰")
    client = logged_in(users["clerk"])
    get(client)
    edit = reverse("registry:household_edit", args=[household.pk])
    client.post(
        edit, {**_form_of(client, edit), "address": "新地址"}
    )  # saved: "户信息已保存。" waits for the next page
    assert "户信息已保存" in get(client)[0]
    assert "户信息已保存" not in get(client)[0]


def _form_of(client, url) -> dict:
    """The values a form page shows, as a browser would post them back."""
    page = client.get(url).content.decode()
    values = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
    for name, options in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', options)
        values[name] = chosen.group(1) if chosen else ""
    values.pop("csrfmiddlewaretoken", None)
    return values


def test_an_htmx_history_restore_gets_the_whole_page(users):
    factories.make_household(head="张三丰")
    client = logged_in(users["clerk"])
    partial = get(client, HTTP_HX_REQUEST="true")[0]
    restore = get(client, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")[0]
    assert "<html" not in partial and "<html" in restore and "张三丰" in restore
