"""A county officer opens the statistics dashboard, drills from the county to a village, clicks a
number and lands on the list of exactly those households."""

import re
from pathlib import Path

import pytest

from fupin.registry.selectors import households_for
from tests import factories
from tests.reports.helpers import build_registry, load_catalogue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "dashboard.png"


def test_county_drills_down_to_a_village_and_opens_the_households_behind_a_number(users, login, page):
    load_catalogue()
    build_registry(users)
    county = users["county"]

    login("county")
    page.goto(page.base_url + "/reports/")
    assert "统计概览：信丰县" in page.inner_text("h1")
    page.wait_for_selector("#chart-years svg")  # ECharts drew from the vendored file
    page.wait_for_selector("#fig-needing")  # the case-work figures arrived
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    page.click("#children a.drill >> text=嘉定镇")
    assert "统计概览：嘉定镇" in page.inner_text("h1")
    page.click("#children a.drill >> text=南山居委会")
    assert "统计概览：南山居委会" in page.inner_text("h1")
    assert f"region={factories.VILLAGE}" in page.url

    shown = int(page.inner_text("#fig-status-poor"))
    page.click("#fig-status-poor")
    page.wait_for_load_state()
    assert page.url.split("?")[0].endswith("/households/")
    assert f"region={factories.VILLAGE}" in page.url and "status=poor" in page.url
    expected = households_for(county, region=factories.VILLAGE, status="poor").count()
    assert shown == expected > 0
    assert re.search(rf"共\s*{expected}\s*户", page.inner_text("main"))
