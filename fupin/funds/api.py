"""Projects, funds and microloans in the JSON API, under /api/v1/funds/: the project library, funds received
and
their allocations and payments, reconciliation against the bank's ledger, loans from application to repayment,
and the
quarterly interest subsidy. Amounts are sent in yuan (string with at most two decimals, or an integer) and
answered in
fen (`*_fen`, integers), as stored. The pages' selectors and services: one set of rules."""

import datetime
from decimal import Decimal
from functools import partial
from typing import Any, Literal

from django.utils.translation import gettext
from ninja import Field, File, Form, Path, Query, Router, Schema, UploadedFile
from ninja.responses import Status

from fupin.core.api import (
    CursorQuery,
    bounded_text,
    decimal_amount,
    errors_for,
    model_schema,
    page_schema,
    plain_json,
    scoped_list,
    shown_fields,
)
from fupin.regions.api import RegionCode
from fupin.registry import selectors as registry_selectors
from fupin.registry.api import MAX_ID, record_out
from fupin.registry.api_fields import InputSchema, Money

from . import funding, projects, reconciliation, selectors, services
from .models import (
    Allocation,
    Fund,
    FundSource,
    Industry,
    InterestPayment,
    LedgerImport,
    Loan,
    LoanStatus,
    Payment,
    Project,
    ProjectCategory,
    ProjectStatus,
    SubsidyPayment,
)
from .services import FundsError

router = Router(tags=["funds"])
ERRORS = errors_for(409)
Id = Path(..., ge=1, le=MAX_ID)
Rate = decimal_amount(max_digits=5, what="年利率（%）")
County = Field(..., pattern=r"^\d{6}$", description="县代码（6位）")

PROJECT_FIELDS = shown_fields(Project)
FUND_FIELDS = shown_fields(Fund)
ALLOCATION_FIELDS = shown_fields(Allocation)
PAYMENT_FIELDS = shown_fields(Payment)
LEDGER_FIELDS = shown_fields(LedgerImport, exclude=("rows",))
LOAN_FIELDS = shown_fields(Loan)
INTEREST_FIELDS = shown_fields(InterestPayment)
SUBSIDY_FIELDS = shown_fields(SubsidyPayment)

ProjectOut = model_schema("ProjectOut", Project, PROJECT_FIELDS)
FundOut = model_schema("FundOut", Fund, FUND_FIELDS)
FundAllocationOut = model_schema("FundAllocationOut", Allocation, ALLOCATION_FIELDS)
PaymentOut = model_schema("PaymentOut", Payment, PAYMENT_FIELDS)
LedgerOut = model_schema("LedgerImportOut", LedgerImport, LEDGER_FIELDS)
LoanOut = model_schema("LoanOut", Loan, LOAN_FIELDS)
InterestOut = model_schema("InterestPaymentOut", InterestPayment, INTEREST_FIELDS)
SubsidyOut = model_schema("SubsidyPaymentOut", SubsidyPayment, SUBSIDY_FIELDS)


def fen(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


# A list's answer: the selector's rows, a cursor page, each row as record_out shows it to the caller.
_list = partial(scoped_list, out=record_out)


# ---------------------------------------------------------------- projects


class ProjectQuery(CursorQuery):
    county: str = Field("", pattern=r"^(\d{6})?$")
    year: int | None = Field(None, ge=1900, le=2100)
    status: Literal[("", *ProjectStatus.values)] = ""
    category: Literal[("", *ProjectCategory.values)] = ""
    q: bounded_text(50) = ""
    region: RegionCode | None = Field(None, description="只看此区划（代码前缀）下的记录")


class ProjectIn(InputSchema):
    county: str = County
    year: int = Field(..., ge=2000, le=2100)
    code: bounded_text(30)
    name: bounded_text(200)
    category: Literal[tuple(ProjectCategory.values)]
    budget: Money
    region: RegionCode | None = None
    content: bounded_text(2000) = ""
    implementer: bounded_text(100) = ""
    manager: bounded_text(50) = ""
    villages: list[RegionCode] = Field(default_factory=list, max_length=500)


@router.get("/projects/", response={200: page_schema("ProjectPage", ProjectOut)} | ERRORS, summary="项目库")
def list_projects(request, filters: Query[ProjectQuery]):
    rows = selectors.projects_for(
        request.auth,
        county=filters.county,
        year=filters.year,
        status=filters.status,
        category=filters.category,
        q=filters.q,
        region=filters.region or "",
    )
    return _list(request, rows, filters, PROJECT_FIELDS, "projects")


@router.get("/projects/{project_id}/", response={200: ProjectOut} | ERRORS, summary="一个项目")
def get_project(request, project_id: int = Id):
    return record_out(selectors.project_for(request.auth, project_id), PROJECT_FIELDS, request.auth)


@router.post("/projects/", response={201: ProjectOut} | ERRORS, summary="项目入库（县）")
def create_project(request, payload: ProjectIn):
    user = request.auth
    p = payload
    project = projects.create_project(
        by=user,
        county_code=p.county,
        year=p.year,
        code=p.code,
        name=p.name,
        category=p.category,
        budget_fen=fen(p.budget),
        region_code=p.region,
        content=p.content,
        implementer=p.implementer,
        manager=p.manager,
        village_codes=p.villages,
    )
    return Status(201, record_out(project, PROJECT_FIELDS, user))


# ---------------------------------------------------------------- funds, allocations, payments


class FundQuery(CursorQuery):
    county: str = Field("", pattern=r"^(\d{6})?$")
    year: int | None = Field(None, ge=1900, le=2100)
    source: Literal[("", *FundSource.values)] = ""
    region: RegionCode | None = Field(None, description="只看此区划（代码前缀）下的记录")


class FundIn(InputSchema):
    county: str = County
    year: int = Field(..., ge=2000, le=2100)
    source: Literal[tuple(FundSource.values)]
    name: bounded_text(200)
    amount: Money
    document_no: bounded_text(100) = ""
    received_on: datetime.date | None = None


class AllocateIn(InputSchema):
    fund: int = Field(..., ge=1, le=MAX_ID)
    project: int = Field(..., ge=1, le=MAX_ID)
    amount: Money
    allocated_on: datetime.date


class PaymentIn(InputSchema):
    allocation: int = Field(..., ge=1, le=MAX_ID)
    amount: Money
    paid_on: datetime.date
    payee: bounded_text(100) = ""
    voucher_no: bounded_text(50) = ""
    note: bounded_text(200) = ""


class AllocationQuery(CursorQuery):
    project: int | None = Field(None, ge=1, le=MAX_ID)
    fund: int | None = Field(None, ge=1, le=MAX_ID)
    region: RegionCode | None = Field(None, description="只看此区划（代码前缀）下的记录")


class PaymentQuery(CursorQuery):
    allocation: int | None = Field(None, ge=1, le=MAX_ID)
    project: int | None = Field(None, ge=1, le=MAX_ID)
    region: RegionCode | None = Field(None, description="只看此区划（代码前缀）下的记录")


class LedgerQuery(CursorQuery):
    region: RegionCode | None = Field(None, description="只看此区划（代码前缀）下的记录")


@router.get("/funds/", response={200: page_schema("FundPage", FundOut)} | ERRORS, summary="资金下达")
def list_funds(request, filters: Query[FundQuery]):
    rows = selectors.funds_for(
        request.auth,
        county=filters.county,
        year=filters.year,
        source=filters.source,
        region=filters.region or "",
    )
    return _list(request, rows, filters, FUND_FIELDS, "funds")


@router.get("/funds/{fund_id}/", response={200: FundOut} | ERRORS, summary="一笔资金")
def get_fund(request, fund_id: int = Id):
    return record_out(selectors.fund_for(request.auth, fund_id), FUND_FIELDS, request.auth)


@router.post("/funds/", response={201: FundOut} | ERRORS, summary="登记下达的资金（县）")
def create_fund(request, payload: FundIn):
    user = request.auth
    fields = payload.model_dump()
    amount = fields.pop("amount")
    fund = funding.create_fund(by=user, county_code=fields.pop("county"), amount_fen=fen(amount), **fields)
    return Status(201, record_out(fund, FUND_FIELDS, user))


@router.get(
    "/allocations/",
    response={200: page_schema("FundAllocationPage", FundAllocationOut)} | ERRORS,
    summary="资金安排",
)
def list_allocations(request, filters: Query[AllocationQuery]):
    rows = selectors.allocations_for(
        request.auth, project=filters.project, fund=filters.fund, region=filters.region or ""
    )
    return _list(request, rows, filters, ALLOCATION_FIELDS, "allocations")


@router.post("/allocations/", response={201: FundAllocationOut} | ERRORS, summary="把资金安排到项目（县）")
def allocate(request, payload: AllocateIn):
    user = request.auth
    allocation = funding.allocate(
        by=user,
        fund=selectors.fund_for(user, payload.fund),
        project=selectors.project_for(user, payload.project),
        amount_fen=fen(payload.amount),
        allocated_on=payload.allocated_on,
    )
    return Status(201, record_out(allocation, ALLOCATION_FIELDS, user))


@router.get("/payments/", response={200: page_schema("PaymentPage", PaymentOut)} | ERRORS, summary="资金拨付")
def list_payments(request, filters: Query[PaymentQuery]):
    rows = selectors.payments_for(
        request.auth, allocation=filters.allocation, project=filters.project, region=filters.region or ""
    )
    return _list(request, rows, filters, PAYMENT_FIELDS, "payments")


@router.post("/payments/", response={201: PaymentOut} | ERRORS, summary="拨付（不会超出安排的金额）")
def record_payment(request, payload: PaymentIn):
    user = request.auth
    fields = payload.model_dump()
    allocation = selectors.allocations_for(user).get(pk=fields.pop("allocation"))
    payment = funding.record_payment(
        by=user, allocation=allocation, amount_fen=fen(fields.pop("amount")), **fields
    )
    return Status(201, record_out(payment, PAYMENT_FIELDS, user))


# ---------------------------------------------------------------- reconciliation


class LedgerForm(Schema):
    county: str = Field(..., pattern=r"^\d{6}$")
    year: int = Field(..., ge=2000, le=2100)


@router.get(
    "/ledgers/", response={200: page_schema("LedgerPage", LedgerOut)} | ERRORS, summary="对账用的银行台账"
)
def list_ledgers(request, filters: Query[LedgerQuery]):
    rows = selectors.ledger_imports_for(request.auth, region=filters.region or "")
    return _list(request, rows, filters, LEDGER_FIELDS, "ledgers")


@router.post(
    "/ledgers/", response={201: LedgerOut} | ERRORS, summary="上传统计台账（.xlsx/.csv，multipart）以对账"
)
def upload_ledger(request, form: Form[LedgerForm], file: File[UploadedFile] = None):
    user = request.auth
    if file is None:
        raise FundsError({"file": gettext("请选择台账文件")})
    try:
        rows = reconciliation.parse_ledger(file.read())
    except reconciliation.LedgerFileError as e:
        raise FundsError({"file": "；".join(e.errors[:20])}) from None
    ledger = funding.import_ledger(
        by=user, county_code=form.county, year=form.year, rows=rows, original_name=file.name or ""
    )
    return Status(201, record_out(ledger, LEDGER_FIELDS, user))


@router.get(
    "/ledgers/{ledger_id}/mismatches/",
    response={200: list[dict[str, Any]]} | ERRORS,
    summary="对账结果：不一致之处",
)
def ledger_mismatches(request, ledger_id: int = Id):
    ledger = selectors.ledger_imports_for(request.auth).get(pk=ledger_id)
    return plain_json(selectors.ledger_mismatches(ledger))


# ---------------------------------------------------------------- loans and the interest subsidy


class LoanQuery(CursorQuery):
    county: str = Field("", pattern=r"^(\d{6})?$")
    status: Literal[("", *LoanStatus.values)] = ""
    kind: Literal["", "household", "enterprise"] = ""
    q: bounded_text(50) = ""
    region: RegionCode | None = None


class LoanIn(InputSchema):
    household: int = Field(..., ge=1, le=MAX_ID)
    borrower: int | None = Field(None, ge=1, le=MAX_ID, description="借款成员 id；省略时为户主")
    amount: Money
    term_months: int = Field(..., ge=1, le=120)
    industry: Literal[tuple(Industry.values)]
    purpose: bounded_text(200)
    bank: bounded_text(100)
    village_opinion: bounded_text(500) = ""
    capacity_confirmed: bool = False
    applied_on: datetime.date | None = None


class ApproveIn(InputSchema):
    amount: Money
    interest_rate: Rate = Field(..., description='执行年利率（%），如 "4.35"')
    decided_on: datetime.date


class DisburseIn(InputSchema):
    disbursed_on: datetime.date
    contract_no: bounded_text(50)


class RepaymentIn(InputSchema):
    repaid_on: datetime.date
    principal: Money


class InterestIn(InputSchema):
    year: int = Field(..., ge=2000, le=2100)
    quarter: int = Field(..., ge=1, le=4)
    amount: Money
    paid_on: datetime.date


class SubsidyQuery(Schema):
    county: str = Field(..., pattern=r"^\d{6}$")
    year: int = Field(..., ge=2000, le=2100)
    quarter: int = Field(..., ge=1, le=4)


class PaySubsidiesIn(InputSchema):
    county: str = County
    year: int = Field(..., ge=2000, le=2100)
    quarter: int = Field(..., ge=1, le=4)
    paid_on: datetime.date


@router.get("/loans/", response={200: page_schema("LoanPage", LoanOut)} | ERRORS, summary="扶贫小额信贷")
def list_loans(request, filters: Query[LoanQuery]):
    rows = selectors.loans_for(
        request.auth,
        county=filters.county,
        status=filters.status,
        kind=filters.kind,
        q=filters.q,
        region=filters.region or "",
    )
    return _list(request, rows, filters, LOAN_FIELDS, "loans")


@router.get("/loans/{loan_id}/", response={200: LoanOut} | ERRORS, summary="一笔贷款")
def get_loan(request, loan_id: int = Id):
    return record_out(selectors.loan_for(request.auth, loan_id), LOAN_FIELDS, request.auth)


@router.get(
    "/loans/{loan_id}/schedule/",
    response={200: list[dict[str, Any]]} | ERRORS,
    summary="计息期：应付利息、贴息",
)
def loan_schedule(request, loan_id: int = Id):
    return plain_json(selectors.loan_schedule(selectors.loan_for(request.auth, loan_id)))


@router.post("/loans/", response={201: LoanOut} | ERRORS, summary="贫困户申请小额信贷（村）")
def apply_for_loan(request, payload: LoanIn):
    user = request.auth
    household = registry_selectors.household_for(user, payload.household)
    borrower = (
        household.members.filter(pk=payload.borrower).first()
        if payload.borrower
        else household.members.filter(relation="head").first()
    )
    fields = payload.model_dump(exclude={"household", "borrower", "amount"})
    loan = services.apply_for_household_loan(
        by=user, household=household, borrower=borrower, amount_fen=fen(payload.amount), **fields
    )
    return Status(201, record_out(loan, LOAN_FIELDS, user))


@router.post("/loans/{loan_id}/approve/", response={200: LoanOut} | ERRORS, summary="审批（县）")
def approve_loan(request, payload: ApproveIn, loan_id: int = Id):
    user = request.auth
    loan = services.approve_loan(
        selectors.loan_for(user, loan_id),
        by=user,
        amount_fen=fen(payload.amount),
        interest_rate=payload.interest_rate,
        decided_on=payload.decided_on,
    )
    return record_out(loan, LOAN_FIELDS, user)


@router.post("/loans/{loan_id}/disburse/", response={200: LoanOut} | ERRORS, summary="放款（县）")
def disburse_loan(request, payload: DisburseIn, loan_id: int = Id):
    user = request.auth
    loan = services.disburse_loan(selectors.loan_for(user, loan_id), by=user, **payload.model_dump())
    return record_out(loan, LOAN_FIELDS, user)


@router.post("/loans/{loan_id}/repayments/", response={201: LoanOut} | ERRORS, summary="登记还款本金（县）")
def record_repayment(request, payload: RepaymentIn, loan_id: int = Id):
    user = request.auth
    loan = selectors.loan_for(user, loan_id)
    services.record_repayment(
        loan, by=user, repaid_on=payload.repaid_on, principal_fen=fen(payload.principal)
    )
    return Status(201, record_out(selectors.loan_for(user, loan_id), LOAN_FIELDS, user))


@router.post(
    "/loans/{loan_id}/interest/", response={201: InterestOut} | ERRORS, summary="登记一个季度已付利息（县）"
)
def record_interest(request, payload: InterestIn, loan_id: int = Id):
    user = request.auth
    paid = services.record_interest_payment(
        selectors.loan_for(user, loan_id),
        by=user,
        year=payload.year,
        quarter=payload.quarter,
        amount_fen=fen(payload.amount),
        paid_on=payload.paid_on,
    )
    return Status(201, record_out(paid, INTEREST_FIELDS, user))


@router.get("/subsidies/", response={200: list[dict[str, Any]]} | ERRORS, summary="一个季度的贴息名单")
def subsidy_list(request, filters: Query[SubsidyQuery]):
    lines = selectors.subsidy_lines(
        request.auth, county_code=filters.county, year=filters.year, quarter=filters.quarter
    )
    return [plain_json(line) | {"loan": line.loan.pk} for line in lines]


@router.post("/subsidies/", response={201: list[SubsidyOut]} | ERRORS, summary="发放一个季度的贴息（县）")
def pay_subsidies(request, payload: PaySubsidiesIn):
    user = request.auth
    fields = payload.model_dump()
    paid = services.pay_subsidies(by=user, county_code=fields.pop("county"), **fields)
    return Status(201, [record_out(p, SUBSIDY_FIELDS, user) for p in paid])
