"""A village clerk proposes a change (a member died), the township approves it, and the household page shows
the member gone and the request applied."""

import pytest

from fupin.registry import codes
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_clerks_change_request_approved_by_the_township_shows_on_the_household_page(
    users, login, page, browser
):
    household = factories.make_household(members=3)
    son = household.members.exclude(relation=codes.Relation.HEAD).order_by("pk").first()

    login("clerk")
    page.goto(f"{page.base_url}/households/{household.pk}/")
    page.locator("#change-requests").get_by_role("link", name="提出变更申请").click()
    page.get_by_role("link", name="减员").click()
    page.select_option("select[name=member_id]", str(son.pk))
    page.select_option("select[name=cause]", "died")
    page.fill("textarea[name=reason]", "2025年3月因病去世")
    page.fill("input[name=evidence_reference]", "死亡医学证明 2025-031")
    page.get_by_role("button", name="提交审核").click()
    page.wait_for_load_state()
    assert "已提交，待乡镇审核" in page.content()
    assert "待审核" in page.locator("h1").inner_text()
    number = page.url.rstrip("/").split("/")[-1]

    township = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}).new_page()
    township.set_default_timeout(15000)
    township.goto(f"{page.base_url}/accounts/login/")
    township.fill("input[name=username]", "township")
    township.fill("input[name=password]", "pw-secret-123")
    township.click("button[type=submit]")
    township.wait_for_load_state()
    township.get_by_role("link", name="变更审核").click()
    township.get_by_role("link", name=f"#{number}").click()
    assert son.name in township.locator("#diff").inner_text()
    township.fill("textarea[name=comment]", "经核实属实")
    township.get_by_role("button", name="批准并生效").click()
    township.wait_for_load_state()
    assert "已批准，变更已生效" in township.content()
    township.context.close()

    page.goto(f"{page.base_url}/households/{household.pk}/")
    members = page.locator("#members").inner_text()
    assert son.name not in members
    assert "2 人" in page.locator(".keyfigures").inner_text()
    section = page.locator("#change-requests")
    section.wait_for()
    assert "已批准并生效" in section.inner_text() and f"#{number}" in section.inner_text()
