"""Issue 18, the findings that had only client tests, now in a real browser: a helper lands on a page made for
them and "返回首页" does not loop (finding 1)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from fupin.assistance import roster
from fupin.assistance import services as assistance
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _phone(browser, live_server):
    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    phone = context.new_page()
    phone.set_default_timeout(15000)
    phone.base_url = live_server.url
    return context, phone


def _sign_in(page, username: str) -> None:
    page.goto(page.base_url + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-secret-123")
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_a_helper_signs_in_on_a_phone_to_their_households_and_home_does_not_loop(users, browser, live_server):
    county = users["county"]
    unit = roster.create_unit(by=county, name="信丰县农业农村局", region_code=factories.VILLAGE[:6])
    helper = roster.create_helper(
        by=county, unit=unit, name="李帮扶", phone="13907970001", region_code=factories.VILLAGE[:9]
    )
    roster.give_helper_login(helper, by=county, username="helper1", password="pw-secret-123")
    household = factories.make_household(head="我的户")
    assistance.pair_household(
        household, helper, by=county, started_on=timezone.localdate() - datetime.timedelta(days=3)
    )
    mine = live_server.url + reverse("assistance:my_households")
    context, phone = _phone(browser, live_server)
    try:
        _sign_in(phone, "helper1")
        expect(phone).to_have_url(mine)
        main = phone.locator("main")
        expect(main).to_contain_text("我的户")
        expect(main).to_contain_text("李帮扶")
        expect(main).not_to_contain_text("尚未关联帮扶责任人")
        # a page the helper may not open says so, and its "返回首页" leads back to their households
        phone.goto(phone.base_url + reverse("registry:household_list"))
        phone.get_by_role("link", name="返回首页").click()
        phone.wait_for_load_state()
        expect(phone).to_have_url(mine)
        expect(phone.locator("main")).to_contain_text("我的户")
    finally:
        context.close()
