"""Issue 18, "what it must show", in a real browser: the pages each role reaches from its home page
(breadth-first) open on a desktop and on a 390×844 phone, and nothing sticks out sideways on either. On the
phone the crawl reads as many pages as the client crawl (tests/core/test_crawl.py), which checks every page's
answer and language; on the desktop, where the width is rarely short, the first pages of each role."""

import pytest

from fupin.assistance import roster
from fupin.assistance import services as assistance
from tests import factories
from tests.browser.test_new_user_browser import OUTSIDE
from tests.core.crawl import PAGE_BOUND, crawl

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES_PER_ROLE = {"desktop": 10, "phone": PAGE_BOUND}
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
}


def _sign_in(page, base: str, username: str) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-secret-123")
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _crawl_in(browser, base: str, who: str | None, viewport: str) -> list[str]:
    context = browser.new_context(locale="zh-CN", **VIEWPORTS[viewport])
    page = context.new_page()
    page.set_default_timeout(20000)
    if who:
        _sign_in(page, base, who)

    def fetch(url: str) -> tuple[int, str, str]:
        response = page.goto(base + url)
        if response is None:
            return 0, "", ""
        content_type = response.headers.get("content-type", "")
        return response.status, content_type, page.content() if "html" in content_type else ""

    faults = []
    try:
        for url, status, body, referrer in crawl(
            "/" if who else "/public/", fetch, bound=PAGES_PER_ROLE[viewport]
        ):
            if status != 200:
                faults.append(f"{who} {viewport} {url}: {status} (linked from {referrer})")
            elif body and (outside := page.evaluate(OUTSIDE)):
                faults.append(f"{who} {viewport} {url}: sticks out: {', '.join(outside)}")
    finally:
        context.close()
    return faults


def test_the_pages_each_role_reaches_open_and_fit_a_desktop_and_a_phone(users, browser, live_server):
    household = factories.make_household(head="走访甲")
    unit = roster.create_unit(by=users["county"], name="县直单位", region_code=factories.VILLAGE[:6])
    helper = roster.create_helper(
        by=users["county"], unit=unit, name="帮扶乙", phone="13700000009", region_code=factories.VILLAGE[:9]
    )
    assistance.pair_household(household, helper, by=users["county"], started_on=household.created_at.date())
    roster.give_helper_login(helper, by=users["county"], username="helper", password="pw-secret-123")
    faults = []
    for who in ("clerk", "township", "county", "helper", None):
        for viewport in VIEWPORTS:
            faults += _crawl_in(browser, live_server.url, who, viewport)
    assert faults == [], "\n".join(faults)
