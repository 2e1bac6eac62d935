import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from fupin.audit.models import AuditEntry
from fupin.funds import funding, projects, reconciliation, services
from fupin.funds.models import FundSource, Loan, LoanStatus, ProjectCategory
from fupin.registry import codes
from tests import factories
from tests.funds.test_reconciliation import _xlsx

D = datetime.date
COUNTY = factories.VILLAGE[:6]


@pytest.fixture
def world(users):
    county = users["county"]
    household = factories.make_household(head="张三丰")
    head = household.members.get(relation=codes.Relation.HEAD)
    loan = services.apply_for_household_loan(
        by=users["clerk"],
        household=household,
        borrower=head,
        amount_fen=5_000_000,
        term_months=36,
        industry="breeding",
        purpose="养牛",
        bank="信丰农商银行",
        capacity_confirmed=True,
        applied_on=D(2025, 1, 2),
    )
    services.approve_loan(
        loan, by=county, amount_fen=5_000_000, interest_rate=Decimal("4.75"), decided_on=D(2025, 1, 5)
    )
    services.disburse_loan(loan, by=county, disbursed_on=D(2025, 1, 10), contract_no="JK-001")
    services.record_interest_payment(
        loan, by=county, year=2025, quarter=1, amount_fen=46181, paid_on=D(2025, 3, 20)
    )
    project = projects.create_project(
        by=county,
        county_code=COUNTY,
        year=2025,
        code="XF-1",
        name="南山村饮水工程",
        category=ProjectCategory.WATER,
        budget_fen=1_000_000,
        region_code=factories.VILLAGE,
        funding={FundSource.CENTRAL: 1_000_000},
        village_codes=[factories.VILLAGE],
    )
    fund = funding.create_fund(
        by=county,
        county_code=COUNTY,
        year=2025,
        source=FundSource.CENTRAL,
        name="中央专项",
        amount_fen=2_000_000,
    )
    funding.allocate(by=county, fund=fund, project=project, amount_fen=1_000_000, allocated_on=D(2025, 2, 1))
    projects.add_beneficiary(project, by=county, household=household, benefit="入户管网", amount_fen=30_000)
    ledger = funding.import_ledger(
        by=county,
        county_code=COUNTY,
        year=2025,
        original_name="t.xlsx",
        rows=reconciliation.parse_ledger(_xlsx([["XF-1", "南山村饮水工程", "10000", "100"]])),
    )
    return {"household": household, "loan": loan, "project": project, "fund": fund, "ledger": ledger}


def pages(w):
    return [
        reverse("funds:index"),
        reverse("funds:project_list"),
        reverse("funds:project_create"),
        reverse("funds:project_detail", args=[w["project"].pk]),
        reverse("funds:project_edit", args=[w["project"].pk]),
        reverse("funds:fund_list"),
        reverse("funds:fund_detail", args=[w["fund"].pk]),
        reverse("funds:reconciliation"),
        reverse("funds:reconciliation_detail", args=[w["ledger"].pk]),
        reverse("funds:loan_list"),
        reverse("funds:loan_detail", args=[w["loan"].pk]),
        reverse("funds:loan_apply", args=[w["household"].pk]),
        reverse("funds:loan_apply_enterprise"),
        reverse("funds:loan_reports"),
        reverse("funds:risk_fund"),
        reverse("funds:policy"),
        reverse("funds:household_loans", args=[w["household"].pk]),
        reverse("funds:subsidy_list") + "?year=2025&quarter=1",
        reverse("funds:subsidy_list") + "?year=2025&quarter=0",
    ]


def test_every_page_renders_for_the_county_office(client, users, world):
    client.force_login(users["county"])
    for url in pages(world):
        response = client.get(url)
        assert response.status_code == 200, url


def test_records_outside_scope_are_404(client, users, world):
    client.force_login(users["other_county"])
    for url in [
        reverse("funds:project_detail", args=[world["project"].pk]),
        reverse("funds:loan_detail", args=[world["loan"].pk]),
        reverse("funds:fund_detail", args=[world["fund"].pk]),
        reverse("funds:household_loans", args=[world["household"].pk]),
        reverse("funds:reconciliation_detail", args=[world["ledger"].pk]),
        reverse("funds:loan_apply", args=[world["household"].pk]),
    ]:
        assert client.get(url).status_code == 404, url
    client.force_login(users["sibling_clerk"])
    assert client.get(reverse("funds:loan_detail", args=[world["loan"].pk])).status_code == 404


def test_read_only_roles_cannot_act(client, users, world):
    client.force_login(users["prefecture"])
    response = client.post(
        reverse("funds:loan_action", args=[world["loan"].pk, "repay"]),
        {"repay-principal": "100", "repay-repaid_on": "2025-03-01"},
    )
    assert response.status_code == 403
    assert client.get(reverse("funds:loan_detail", args=[world["loan"].pk])).status_code == 200
    client.force_login(users["clerk"])
    response = client.post(
        reverse("funds:fund_list"), {"year": "2025", "source": "central", "name": "x", "amount": "1"}
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    "data",
    [
        {"repay-principal": "abc", "repay-repaid_on": "2025-03-01"},
        {"repay-principal": "1.005", "repay-repaid_on": "2025-03-01"},
        {"repay-principal": "-5", "repay-repaid_on": "not a date"},
        {"repay-principal": "60000", "repay-repaid_on": "2025-03-01"},
        {"repay-principal": "1e400", "repay-repaid_on": "2025-03-01"},
        {},
    ],
)
def test_bad_input_gets_a_chinese_error_never_a_500(client, users, world, data):
    client.force_login(users["county"])
    response = client.post(reverse("funds:loan_action", args=[world["loan"].pk, "repay"]), data)
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()


def test_garbage_query_parameters_do_not_break_lists(client, users, world):
    client.force_login(users["county"])
    for url in [
        "funds:subsidy_list",
        "funds:project_list",
        "funds:loan_list",
        "funds:fund_list",
        "funds:risk_fund",
        "funds:index",
    ]:
        response = client.get(
            reverse(url), {"year": "abc", "quarter": "9", "status": "x", "page": "-1", "county": "999999"}
        )
        assert response.status_code == 200, url
    assert client.post(reverse("funds:loan_action", args=[world["loan"].pk, "explode"])).status_code == 404


def test_subsidy_list_exports_as_xlsx_with_masked_id_numbers(client, users, world):
    client.force_login(users["county"])
    response = client.get(reverse("funds:subsidy_export"), {"year": "2025", "quarter": "1"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.getvalue())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "信丰县扶贫小额信贷贴息名单（2025年第1季度）"
    line = rows[2]
    assert line[3] == "张三丰" and "*" in line[4] and line[16] == 461.81 and line[17] == 461.81
    response = client.get(reverse("funds:reconciliation_export", args=[world["ledger"].pk]))
    assert load_workbook(io.BytesIO(response.getvalue())).active["B3"].value == "拨付金额不符"
    response = client.get(reverse("funds:loan_reports_export"))
    assert load_workbook(io.BytesIO(response.getvalue())).sheetnames == ["到期提醒", "逾期贷款", "代偿损失"]


def test_village_clerk_applies_through_the_form_and_the_audit_names_them(client, users, world):
    household = factories.make_household(head="李四")
    head = household.members.get(relation=codes.Relation.HEAD)
    client.force_login(users["clerk"])
    response = client.post(
        reverse("funds:loan_apply", args=[household.pk]),
        {
            "borrower": head.pk,
            "amount": "30,000",
            "term_months": "36",
            "industry": "planting",
            "purpose": "种植脐橙",
            "bank": "信丰农商银行",
            "applied_on": "2025-01-03",
            "capacity_confirmed": "on",
            "village_opinion": "同意",
        },
    )
    loan = Loan.objects.get(household=household)
    assert (
        response.status_code == 302
        and loan.amount_requested_fen == 3_000_000
        and loan.status == LoanStatus.APPLIED
    )
    assert AuditEntry.objects.filter(action="apply_loan", target_id=str(loan.pk), username="clerk").exists()
    response = client.post(
        reverse("funds:loan_apply", args=[household.pk]),
        {
            "borrower": head.pk,
            "amount": "30000",
            "term_months": "36",
            "industry": "planting",
            "purpose": "种植",
            "bank": "x",
            "applied_on": "2025-01-03",
        },
    )
    assert "该户尚可申请20,000.00元" in response.content.decode()


def test_public_disclosure_needs_no_login_and_masks_beneficiaries(client, users, world):
    assert client.get(reverse("funds:public_projects")).status_code == 200
    assert (
        client.get(reverse("funds:public_project", args=[world["project"].pk])).status_code == 404
    )  # not yet published
    projects.publish_project(world["project"], by=users["county"], on=D(2025, 3, 1))
    listing = client.get(reverse("funds:public_projects")).content.decode()
    assert "南山村饮水工程" in listing
    page = client.get(reverse("funds:public_project", args=[world["project"].pk])).content.decode()
    assert "张*丰" in page and "张三丰" not in page
    head = world["household"].members.get(relation=codes.Relation.HEAD)
    assert head.id_number not in page and head.id_number[:6] + "*" not in page
    assert "入户管网" in page and "300.00" in page


def test_htmx_request_gets_the_household_loans_fragment(client, users, world):
    client.force_login(users["clerk"])
    url = reverse("funds:household_loans", args=[world["household"].pk])
    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith("<section") and "JK-001" not in fragment and "50,000.00" in fragment
    assert "<html" in client.get(url).content.decode()
