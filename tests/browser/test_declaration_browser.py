"""The whole declaration journey on a phone-sized screen (390×844): a household opens a village poster's link,
declares, receives the code from the SMS outbox, gets a receipt and checks its status; the village clerk
verifies at the home on the staff page; the village appraisal, township review and county decision follow on
the monitoring case's page, each at its own desk; the household sees each step on the status page. No page
scrolls sideways on the phone."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from fupin.declarations import public
from fupin.declarations.models import Declaration
from tests import factories
from tests.declarations.conftest import PHONE, Outbox

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_SIZE = {"width": 390, "height": 844}


def no_sideways_scroll(pg) -> bool:
    return pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def desk(browser, base_url: str, username: str):
    """A staff member signed in at their own desk (a context of its own)."""
    pg = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}).new_page()
    pg.set_default_timeout(15000)
    pg.goto(base_url + "/accounts/login/")
    pg.fill("input[name=username]", username)
    pg.fill("input[name=password]", "pw-secret-123")
    pg.click("button[type=submit]")
    pg.wait_for_load_state()
    return pg


def act(pg, note: str, button: str) -> None:
    """One step of the 监测户 procedure on the case page: the opinion, then the step's button."""
    pg.fill("textarea[name=note]", note)
    pg.get_by_role("button", name=button).click()
    pg.wait_for_load_state()
    expect(pg.get_by_text("已保存")).to_be_visible()


def check_status(pg, receipt: str, last4: str) -> str:
    pg.goto(pg.base_url + reverse("declare:status"))
    pg.fill("input[name=receipt]", receipt)
    pg.fill("input[name=last4]", last4)
    pg.get_by_role("button", name="查询").click()
    pg.wait_for_load_state()
    assert no_sideways_scroll(pg)
    return pg.locator(".status-now").inner_text()


def test_a_household_declares_on_a_phone_and_follows_its_case(users, page, browser, settings, tmp_path):
    settings.FUPIN_SMS_BACKEND, settings.FUPIN_SMS_FILE = "console", str(tmp_path / "sms.jsonl")
    outbox = Outbox(tmp_path / "sms.jsonl")
    phone = browser.new_context(
        locale="zh-CN", viewport=PHONE_SIZE, is_mobile=True, has_touch=True
    ).new_page()
    phone.set_default_timeout(15000)
    phone.base_url = page.base_url
    id_number = factories.id_number()

    phone.goto(phone.base_url + reverse("declare:village", args=[public.village_token(factories.VILLAGE)]))
    assert "南山居委会" in phone.content() and no_sideways_scroll(phone)
    phone.fill("input[name=name]", "李四")
    phone.fill("input[name=id_number]", id_number)
    phone.fill("input[name=phone]", PHONE)
    phone.get_by_role("button", name="获取验证码").click()
    phone.wait_for_load_state()
    assert "验证码已发到 138****8000" in phone.content()
    phone.fill("input[name=code]", outbox.last_code())
    phone.get_by_label("生病").check()
    phone.fill("textarea[name=description]", "老人住院，花了三万多")
    phone.get_by_label("我同意", exact=False).check()
    assert no_sideways_scroll(phone)
    phone.get_by_role("button", name="提交申报").click()
    phone.wait_for_load_state()
    receipt = phone.locator("[data-receipt]").inner_text().strip()
    assert "申报已受理" in phone.content() and len(receipt) == 14 and no_sideways_scroll(phone)
    assert receipt in outbox.messages(PHONE)[-1]["text"]
    assert check_status(phone, receipt, id_number[-4:]) == "已受理，待入户核实"

    page.goto(page.base_url + "/accounts/login/")
    page.fill("input[name=username]", "clerk")
    page.fill("input[name=password]", "pw-secret-123")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(page.base_url + reverse("declarations:list"))
    page.get_by_role("link", name=receipt).click()
    page.wait_for_load_state()
    page.fill("form[action$='/verify/'] textarea[name=findings]", "入户查看了住院发票，情况属实")
    page.get_by_role("button", name="确认核实").click()
    page.wait_for_load_state()
    assert "已核实" in page.content()
    assert check_status(phone, receipt, id_number[-4:]) == "已核实，村民主评议和乡镇审核中"

    # The village records its appraisal on the case the verification opened, then the township and the county
    # act at their own desks; the household reads each step on its phone.
    page.locator("dt:has-text('监测程序') + dd a").click()
    case_url = page.url
    act(page, "村民代表会议同意", "记录村民主评议")
    township = desk(browser, page.base_url, "township")
    township.goto(case_url)
    act(township, "乡镇审核同意", "乡镇审核通过")
    assert check_status(phone, receipt, id_number[-4:]) == "乡镇已审核，待县级认定"
    county = desk(browser, page.base_url, "county")
    county.goto(case_url)
    act(county, "县级认定", "纳入监测")
    assert check_status(phone, receipt, id_number[-4:]) == "已纳入监测帮扶"
    county.goto(
        page.base_url + reverse("declarations:detail", args=[Declaration.objects.get(receipt=receipt).pk])
    )
    expect(county.locator("[data-status]")).to_contain_text("已纳入监测帮扶")
    steps = phone.locator(".steps li").all_inner_texts()
    assert len(steps) == 5 and "乡镇已审核" in steps[3]
    texts = [m["text"] for m in outbox.messages(PHONE)]
    assert len(texts) == 6 and "已纳入监测" in texts[-1]  # code, received, and one per step
    for pg in (phone, township, county):
        pg.context.close()
