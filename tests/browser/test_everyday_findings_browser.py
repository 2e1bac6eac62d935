"""Issue 18, the findings that had only client tests, now in a real browser:
- finding 1: a helper lands on a page made for them, and "返回首页" does not loop;
- finding 3: the clerk's income and quota messages name the year and who acts;
- finding 7: the village's quota page, the batch page and the township's table agree on 已用于识别;
- finding 6: the admin's add page for a look-back finds its region by typing part of the name;
- finding 11: an irreversible step (完成申请) asks for confirmation, and Cancel sends nothing.
"""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from fupin.procedures import services as procedures
from tests import factories
from tests.browser.conftest import phone_page, sign_in
from tests.procedures.conftest import (
    YEAR,
    applicant,
    at,
    batch_in_survey,
    quota,  # noqa: F401 (the fixture)
    selected_batch,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_helper_signs_in_on_a_phone_to_their_households_and_home_does_not_loop(users, browser, live_server):
    factories.paired_helper(users["county"], factories.make_household(head="我的户"))
    mine = live_server.url + reverse("assistance:my_households")
    context, phone = phone_page(browser, live_server)
    try:
        sign_in(phone, "helper1")
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


def test_the_clerk_is_told_which_year_s_income_to_enter_and_who_sets_the_quota(users, login, page):
    batch = batch_in_survey(users["clerk"])
    late = batch.entries.get(household__head_name="钱二").household
    login("clerk")
    page.goto(page.base_url + reverse("procedures:batch_detail", args=[batch.pk]))
    survey = page.locator("tbody tr", has=page.locator("[data-testid=survey-income]"))
    late_row = survey.filter(has_text="钱二")
    expect(late_row).to_contain_text(f"未录入 （最近：4100.00，非{YEAR}年）")
    page.get_by_role("button", name="完成调查与初选").click()
    expect(page.locator(".messages")).to_contain_text(
        f"请村扶贫专干在该户页面点“录入年收入”，录入{YEAR}年收入"
    )
    late_row.get_by_role("link", name=f"录入{YEAR}年收入").click()
    expect(page.locator("h1")).to_contain_text("录入年收入")
    expect(page.locator("select[name=year]")).to_have_value(str(YEAR))

    batch.entries.filter(household=late).delete()
    page.goto(page.base_url + reverse("procedures:batch_detail", args=[batch.pk]))
    page.get_by_role("button", name="完成调查与初选").click()
    expect(page.locator(".messages")).to_contain_text("须由县扶贫办在“识别与退出 › 规模控制”")
    page.locator(f"main p a[href*='region={factories.VILLAGE}']", has_text="规模控制").click()
    expect(page).to_have_url(
        f"{page.base_url}{reverse('procedures:quotas')}?year={YEAR}&region={factories.VILLAGE}"
    )
    expect(page.locator("[data-testid=not-allocated]")).to_contain_text("请联系县扶贫办")


@pytest.mark.usefixtures("quota")
def test_the_village_s_quota_page_the_batch_and_the_township_agree_on_the_persons_used(users, login, page):
    batch = selected_batch(users["clerk"])

    login("clerk")
    page.goto(page.base_url + reverse("procedures:batch_detail", args=[batch.pk]))
    shown = re.search(r"已用 (\d+) 人", page.locator("main").inner_text())
    assert shown and int(shown.group(1)) == 6  # three households of two persons, selected
    page.goto(page.base_url + reverse("procedures:quotas") + f"?year={YEAR}&region={factories.VILLAGE}")
    village = page.locator("main")
    expect(village).to_contain_text("已用于识别 6 人")
    expect(village).to_contain_text("本村规模 8 人，已入围和已公告 6 人")

    page.get_by_role("button", name="退出").click()
    login("township")
    page.goto(page.base_url + reverse("procedures:quotas") + f"?year={YEAR}")
    expect(page.locator("main")).to_contain_text("已用于识别 6 人")
    row = page.locator("tbody tr", has_text="南山居委会")
    expect(row.locator("td[data-label=已用]")).to_have_text("6")


def test_the_admin_finds_a_look_back_s_region_by_typing(users, page):
    client = Client()
    client.force_login(users["admin"])  # the admin's second factor is tested in tests/accounts
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": page.base_url}])
    page.goto(page.base_url + reverse("admin:monitoring_lookback_add"))
    assert page.locator("select[name=region] option").count() <= 1  # no option per region in the page
    page.locator(".field-region .select2-selection").click()
    page.locator(".select2-search__field").fill("信丰")
    results = page.locator(".select2-results__option")
    expect(results).to_have_text(["信丰县"])
    results.first.click()
    expect(page.locator("select[name=region]")).to_have_value("360722")


@pytest.mark.usefixtures("quota")
def test_completing_the_application_asks_first_and_cancel_sends_nothing(users, login, page):
    clerk = users["clerk"]
    batch = procedures.open_batch(
        by=clerk, village_code=factories.VILLAGE, kind="identification", year=YEAR, now=at(0)
    )
    procedures.add_households(
        batch, by=clerk, household_ids=[applicant("钱二", "2000").pk], primary_cause="illness", now=at(0)
    )
    login("clerk")
    page.goto(page.base_url + reverse("procedures:batch_detail", args=[batch.pk]))
    asked: list[str] = []

    def answer(accept: bool):
        def on_dialog(dialog):
            asked.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()

        return on_dialog

    complete = page.get_by_role("button", name=re.compile("进入下一环节"))
    page.once("dialog", answer(False))
    complete.click()
    page.wait_for_timeout(500)  # time enough for a form that was sent to reach the server
    assert asked and "不能再增减" in asked[0]
    batch.refresh_from_db()
    assert batch.stage == "application"  # cancelled: nothing was sent
    page.once("dialog", answer(True))
    with page.expect_navigation():
        complete.click()
    assert len(asked) == 2
    batch.refresh_from_db()
    assert batch.stage == "survey"
    expect(page.get_by_role("button", name="完成调查与初选")).to_be_visible()
