"""The to-do list (待办): a township officer sees the count in the navigation, opens the list, follows an item
to where it is done and pairs the unpaired households there in one step (issue 18, to build 2 and 4)."""

import pytest
from playwright.sync_api import expect

from fupin.assistance import roster
from fupin.changes import services as changes
from fupin.changes.models import ChangeKind
from fupin.registry import codes
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_township_officer_follows_the_to_do_list_to_the_work(users, login, page):
    households = [factories.make_household(head=f"户主{i}", members=1) for i in range(2)]
    changes.propose(
        households[0],
        by=users["clerk"],
        kind=ChangeKind.TYPE_CHANGE,
        payload={"household_type": codes.HouseholdType.DIBAO_POOR},
        reason="低保认定",
        evidence_reference="认定表",
    )
    unit = roster.create_unit(by=users["county"], name="信丰县农业农村局", region_code=factories.VILLAGE[:6])
    helper = roster.create_helper(
        by=users["county"], unit=unit, name="王帮扶", phone="13907970001", region_code=factories.VILLAGE[:9]
    )

    login("township")
    todo = page.locator("nav.mainnav").get_by_role("link", name="待办")
    expect(todo.locator(".badge")).to_have_text("3")  # a request to review, two households without a helper
    todo.click()
    expect(page.locator("h1")).to_have_text("待办事项")
    page.get_by_role("link", name="待审核的变更申请").click()
    expect(page).to_have_url(f"{page.base_url}/changes/?status=proposed")

    page.goto(page.base_url + "/todo/")
    page.get_by_role("link", name="尚未结对的贫困户、监测户").click()
    expect(page.locator("h1")).to_have_text("批量结对")
    for h in households:
        page.get_by_label(h.number).check()
    page.select_option("select[name=helper]", str(helper.pk))
    page.get_by_role("button", name="结对所选各户").click()
    expect(page.locator(".messages")).to_contain_text("已安排王帮扶结对帮扶2户")
    expect(page.locator("tbody")).to_contain_text("没有未结对的户。")


def test_a_township_officer_lands_on_the_list_with_the_to_do_items_and_follows_one(users, login, page):
    household = factories.make_household(head="户主甲", members=1)
    changes.propose(
        household,
        by=users["clerk"],
        kind=ChangeKind.TYPE_CHANGE,
        payload={"household_type": codes.HouseholdType.DIBAO_POOR},
        reason="低保认定",
        evidence_reference="认定表",
    )
    login("township")
    page.goto(page.base_url + "/")
    expect(page).to_have_url(f"{page.base_url}/households/")
    panel = page.locator(".todo-panel")
    expect(panel).to_contain_text("待审核的变更申请")
    panel.get_by_role("link", name="待审核的变更申请").click()
    expect(page).to_have_url(f"{page.base_url}/changes/?status=proposed")
