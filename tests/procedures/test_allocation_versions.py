"""Quotas and reduction plans are never overwritten silently (issue 16, finding 3): the county's 下达 form and
the adjustment of a region's children carry the version they were based on; a save on top of another user's
change shows what changed and lets the user merge; the API's PUT takes If-Match (428 without, 412 on another
version)."""

import re

import pytest
from django.test import Client

from fupin.procedures.models import Quota, ReductionPlan
from tests import factories
from tests.api.conftest import token_client

from .conftest import YEAR

URL = f"/procedures/quotas/?year={YEAR}"
TOWNS = ("360722100", "360722101")


def _tokens(client) -> list[str]:
    """The page's version tokens: the 下达 form's, then the adjustment's."""
    return re.findall(r'name="based_on" value="([^"]*)"', client.get(URL).content.decode())


@pytest.fixture
def two_offices(users):
    first, second = Client(), Client()
    first.force_login(users["county"])
    second.force_login(factories.make_user("county_b", "county", "360722"))
    return first, second


def _adjust(client, token: str, first: int, second: int, **extra):
    data = {"action": "adjust", "region": "360722", "year": YEAR, "based_on": token}
    data.update({f"child_{TOWNS[0]}": str(first), f"child_{TOWNS[1]}": str(second)}, **extra)
    return client.post(URL, data)


def _persons(model=Quota) -> dict:
    return dict(model.objects.filter(year=YEAR, region_id__in=TOWNS).values_list("region_id", "persons"))


def test_a_second_adjustment_from_an_old_page_shows_the_change_and_merges(two_offices, quota):
    first, second = two_offices
    seen_by_first, seen_by_second = _tokens(first)[1], _tokens(second)[1]
    assert _adjust(first, seen_by_first, 40, 20).status_code == 302
    assert _persons() == {TOWNS[0]: 40, TOWNS[1]: 20}

    page = _adjust(second, seen_by_second, 25, 35)  # based on 30/30: would have undone the first's 40/20
    text = page.content.decode()
    assert page.status_code == 200 and "保存前，此记录已被他人修改" in text
    assert "嘉定镇" in text and ">40<" in text  # the other office's figure, beside this one's
    assert _persons() == {TOWNS[0]: 40, TOWNS[1]: 20}  # nothing saved

    merge = re.search(
        r'name="based_on" value="([^"]*)"', text.split('name="action" value="adjust"')[1]
    ).group(1)
    kept = _adjust(
        second, merge, 25, 35, **{f"keep_child_{TOWNS[0]}": "theirs", f"keep_child_{TOWNS[1]}": "mine"}
    )
    assert kept.status_code == 302  # 40 kept from the other office, 35 typed here: the total no longer fits
    assert _persons() == {TOWNS[0]: 40, TOWNS[1]: 20}
    assert _adjust(second, merge, 25, 35).status_code == 302  # the user's own figures, now on the new version
    assert _persons() == {TOWNS[0]: 25, TOWNS[1]: 35}


def test_a_form_without_its_version_is_a_conflict_and_the_total_rule_still_holds(two_offices, quota):
    first, _ = two_offices
    page = first.post(
        URL,
        {
            "action": "adjust",
            "region": "360722",
            "year": YEAR,
            f"child_{TOWNS[0]}": "1",
            f"child_{TOWNS[1]}": "2",
        },
    )
    assert page.status_code == 200 and "保存前，此记录已被他人修改" in page.content.decode()
    wrong = _adjust(first, _tokens(first)[1], 1, 2)
    assert "与上级下达的 60 人不等" in first.get(wrong.url).content.decode()
    assert _persons() == {TOWNS[0]: 30, TOWNS[1]: 30}


def test_the_county_figure_set_meanwhile_is_shown_not_overwritten(two_offices, quota):
    first, second = two_offices
    old = _tokens(second)[0]
    set_form = {"action": "set", "region": "360722", "year": YEAR, "basis": "estimated_poor"}
    assert first.post(URL, {**set_form, "persons": 70, "based_on": _tokens(first)[0]}).status_code == 302
    page = second.post(URL, {**set_form, "persons": 50, "based_on": old})
    assert page.status_code == 200 and "保存前，此记录已被他人修改" in page.content.decode()
    assert Quota.objects.get(region_id="360722", year=YEAR).persons == 70
    merge = re.findall(r'name="based_on" value="([^"]*)"', page.content.decode())[0]
    assert second.post(URL, {**set_form, "persons": 50, "based_on": merge}).status_code == 302
    assert Quota.objects.get(region_id="360722", year=YEAR).persons == 50


def test_the_api_put_needs_the_version_once_the_plan_exists(users, quota):
    client = token_client(users["county"])
    url = f"/api/v1/procedures/plans/360722/{YEAR}/"
    body = {"persons": 12, "basis": "estimated_poor"}
    created = client._send("put", url, body)
    assert created.status_code == 200, created.content
    etag = created["ETag"]
    assert client._send("put", url, body).status_code == 428
    assert client.get(url)["ETag"] == etag
    assert client._send("put", url, {**body, "persons": 15}, HTTP_IF_MATCH=etag).status_code == 200
    stale = client._send("put", url, {**body, "persons": 9}, HTTP_IF_MATCH=etag)
    assert stale.status_code == 412 and stale.json()["current"]["persons"] == 15
    assert ReductionPlan.objects.get(region_id="360722", year=YEAR).persons == 15
    other = token_client(users["other_county"])  # another county neither reads it nor learns it exists
    assert other.get(url).status_code == 404
    assert other._send("put", url, body).status_code in (403, 404)
