"""Issue 17 in a real browser: a village clerk reveals a member's ID number on the household page by giving a
purpose (the members' section swapped in place), and the county office finds that reveal in its access log by
the person's ID number."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from fupin.core.idnumber import mask
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_clerk_reveals_an_id_number_with_a_purpose_and_the_county_finds_it(page, login, users):
    household = factories.make_household(head="张三丰", phone="13907971234")
    head = household.members.get(relation="head")

    login("clerk")
    page.goto(page.base_url + reverse("registry:household_detail", args=[household.pk]))
    members = page.locator("#members")
    expect(members).to_contain_text(mask(head.id_number))
    expect(members).not_to_contain_text(head.id_number)
    page.get_by_text("查看完整证件号码和电话").click()
    page.select_option("#members select[name=purpose]", "other")
    page.fill("#members input[name=note]", "核对医保报销材料")
    page.get_by_role("button", name="查看完整信息").click()
    expect(page.locator("#revealed-note")).to_be_visible()
    expect(page.locator("#members")).to_contain_text(head.id_number)

    page.context.clear_cookies()
    login("county")
    page.goto(page.base_url + reverse("access:log"))
    page.fill("#access-filter input[name=id_number]", head.id_number)
    page.locator("#access-filter button").click()
    row = page.locator("table.access-log tbody tr").first
    expect(row).to_contain_text("clerk")
    expect(row).to_contain_text("核对医保报销材料")
    expect(row).to_contain_text("张三丰")
    expect(page.locator("table.access-log tbody tr")).to_have_count(1)
