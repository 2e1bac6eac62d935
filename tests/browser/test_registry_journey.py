"""A village clerk's day in the registry, in a real browser: find a household, correct a member's
ID number (first with a wrong check digit), and see the change in the household's history. The household
is an applicant's: a registered household's ID numbers change only by a reviewed change request.

Also saves the screenshots in docs/screenshots/ that the README shows.
"""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from fupin.core.idnumber import check_character, mask
from fupin.registry import codes, services
from fupin.registry.models import Household
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _village_with_households(clerk):
    """A village of a few households as a clerk would have them: varied status, causes and incomes."""
    f, c = factories, codes
    main = f.make_household(
        head="张三丰",
        members=3,
        income="3420.50",
        phone="13907971234",
        address="南山居委会3组",
        farmland_area=Decimal("2.5"),
        housing_area=Decimal("86"),
        road_type=c.RoadType.CEMENT,
    )
    services.record_income(
        main,
        by=clerk,
        year=2024,
        wages=Decimal("7200"),
        production=Decimal("1800"),
        dibao=Decimal("1560"),
        productive_expenditure=Decimal("600"),
    )
    services.record_guarantees(
        main,
        by=clerk,
        year=2025,
        checked_on=datetime.date(2025, 11, 12),
        items={"housing": False},
        notes={"housing": "土坯房，已列入2026年危房改造"},
    )
    others = [
        (
            "李秀英",
            dict(
                household_type=c.HouseholdType.DIBAO_POOR,
                primary_cause=c.PovertyCause.DISABILITY,
                income="2980.00",
            ),
        ),
        (
            "王建国",
            dict(
                status=c.HouseholdStatus.EXITED,
                exit_year=2020,
                primary_cause=c.PovertyCause.LACK_SKILLS,
                income="9350.00",
            ),
        ),
        (
            "刘德华",
            dict(status=c.HouseholdStatus.MONITORED, primary_cause=c.PovertyCause.ILLNESS, income="4860.00"),
        ),
        (
            "陈桂兰",
            dict(
                household_type=c.HouseholdType.WUBAO,
                primary_cause=c.PovertyCause.LACK_LABOUR,
                income="3150.00",
                members=1,
            ),
        ),
        (
            "赵志强",
            dict(
                status=c.HouseholdStatus.EXITED,
                exit_year=2019,
                primary_cause=c.PovertyCause.SCHOOLING,
                income="7020.00",
            ),
        ),
        ("黄丽萍", dict(primary_cause=c.PovertyCause.LACK_FUNDS, income="3760.00")),
        (
            "周永红",
            dict(
                household_type=c.HouseholdType.DIBAO,
                status=c.HouseholdStatus.APPLICANT,
                primary_cause=c.PovertyCause.DISASTER,
                income=None,
            ),
        ),
    ]
    for head, fields in others:
        fields.setdefault("members", 3)
        f.make_household(head=head, **fields)
    return main


def test_clerk_corrects_a_members_id_number_and_sees_it_in_the_history(users, login, browser, page):
    clerk = users["clerk"]
    household = _village_with_households(clerk)
    applicant = Household.objects.get(head_name="周永红")
    son = applicant.members.get(name="周小1")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    login("clerk")
    expect(page.locator("h1")).to_contain_text("贫困户")
    expect(page.locator(".summary")).to_contain_text("共 8 户")
    page.screenshot(path=SCREENSHOTS / "household_list.png", full_page=True)

    # Find the household by the head's pinyin initials; htmx narrows the list as the clerk types.
    page.fill("input[name=q]", "ZYH")
    expect(page.locator(".summary")).to_contain_text("共 1 户")
    page.get_by_role("link", name="周永红").click()
    expect(page.locator("h1")).to_contain_text("周永红")

    # Edit the son's ID number, first with a wrong check digit.
    page.locator("tr", has_text="周小1").get_by_role("link", name="编辑").click()
    expect(page.locator("h1")).to_contain_text("编辑成员")
    first17 = f"360722{son.birth_date:%Y%m%d}357"
    right = check_character(first17)
    wrong = "0" if right != "0" else "1"
    page.fill("input[name=id_number]", first17 + wrong)
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator("#id-check")).to_contain_text(f"身份证号校验位错误：应为 {right}")
    expect(page.locator(".errorsummary")).to_be_visible()
    son.refresh_from_db()
    assert not son.id_number.startswith(first17)

    # The clerk corrects it; the inline check agrees before saving.
    page.fill("input[name=id_number]", first17 + right)
    # the check waits 400 ms after typing, then asks the server: on a loaded machine allow it more than 5 s
    expect(page.locator("#id-check")).to_contain_text("男", timeout=15_000)
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("成员 周小1 的信息已保存")
    son.refresh_from_db()
    assert son.id_number == first17 + right

    history = page.locator("#history")
    expect(history).to_contain_text("修改成员信息")
    expect(history).to_contain_text("证件号码")
    expect(history).to_contain_text(mask(first17 + right))  # masked until revealed with a purpose (issue 17)

    # the registered household's page, as it usually looks
    page.goto(page.base_url + reverse("registry:household_detail", args=[household.pk]))
    expect(page.locator("h1")).to_contain_text("张三丰")
    page.screenshot(path=SCREENSHOTS / "household_detail.png", full_page=True)

    # The same list on a phone: rows become label/value cards.
    phone = browser.new_context(
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    phone.add_cookies(page.context.cookies())
    mobile = phone.new_page()
    mobile.goto(page.base_url + "/households/")
    expect(mobile.locator("table.responsive thead")).to_be_hidden()
    expect(mobile.locator("td[data-label]").first).to_be_visible()
    mobile.screenshot(path=SCREENSHOTS / "household_list_phone.png", full_page=False)
    phone.close()
