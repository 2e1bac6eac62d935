"""A county officer records a loan for a household; the household's loans show it; the quarter's subsidy list
holds it."""

import datetime

import pytest
from django.utils import timezone

from fupin.funds import interest
from fupin.funds.models import Loan
from fupin.registry import codes
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_county_officer_records_a_loan_that_shows_on_the_household_and_in_the_subsidy_list(
    page, login, users
):
    household = factories.make_household(head="王建国")
    head = household.members.get(relation=codes.Relation.HEAD)
    disbursed_on = timezone.localdate() - datetime.timedelta(days=5)
    applied_on = disbursed_on - datetime.timedelta(days=10)
    login("county")

    page.goto(f"{page.base_url}/funds/loans/apply/{household.pk}/")
    page.select_option("select[name=borrower]", str(head.pk))
    page.fill("input[name=amount]", "40000")
    page.fill("input[name=term_months]", "36")
    page.select_option("select[name=industry]", "breeding")
    page.fill("input[name=purpose]", "养殖肉牛")
    page.fill("input[name=bank]", "信丰农商银行")
    page.fill("input[name=applied_on]", applied_on.isoformat())
    page.fill("textarea[name=village_opinion]", "村委会、驻村工作队论证同意")
    page.check("input[name=capacity_confirmed]")
    page.click("button[type=submit]:has-text('提交申请')")
    page.wait_for_selector("text=贷款申请已登记")

    page.fill("input[name=approve-amount]", "40000")
    page.fill("input[name=approve-interest_rate]", "4.75")
    page.fill("input[name=approve-decided_on]", (applied_on + datetime.timedelta(days=2)).isoformat())
    page.click("button[value=approve]")
    page.wait_for_selector("text=银行已审批")

    page.fill("input[name=disburse-disbursed_on]", disbursed_on.isoformat())
    page.fill("input[name=disburse-contract_no]", "XFNS-2025-0001")
    page.click("button[value=disburse]")
    page.wait_for_selector("strong:has-text('已放款')")
    loan = Loan.objects.get(household=household)
    assert loan.amount_fen == 4_000_000 and loan.contract_no == "XFNS-2025-0001"

    # the household's own page loads its loans (htmx fragment)
    page.goto(f"{page.base_url}/households/{household.pk}/")
    row = page.locator("#household-loans tbody tr").first
    row.wait_for()
    assert "王建国" in row.inner_text() and "40,000.00" in row.inner_text() and "已放款" in row.inner_text()

    year, quarter = interest.interest_period_of(disbursed_on)
    page.goto(f"{page.base_url}/funds/subsidies/?year={year}&quarter={quarter}")
    listed = page.locator("table.list").first.inner_text()
    assert "王建国" in listed and "40,000.00" in listed
    with page.expect_download() as download:
        page.click("text=导出贴息名单（Excel）")
    assert download.value.suggested_filename == f"subsidy-{factories.VILLAGE[:6]}-{year}Q{quarter}.xlsx"
