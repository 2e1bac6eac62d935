"""How projects, funds and loans are read: every query starts from the user's scope.

Loans and projects are scoped by the region they sit in (a village clerk sees the village's
loans); funds, the risk fund and the subsidy lists are county business, scoped by county.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from fupin.accounts.models import User
from fupin.accounts.scope import region_filter
from fupin.regions.models import Region, RegionLevel, in_region
from fupin.registry.models import Household
from fupin.registry.selectors import household_for

from . import interest
from .models import (
    ACTIVE_LOAN_STATUSES,
    Allocation,
    BorrowerKind,
    Fund,
    InterestPayment,
    LedgerImport,
    Loan,
    LoanPolicy,
    LoanStatus,
    Payment,
    Project,
    ProjectBeneficiary,
    ProjectStatus,
    Repayment,
    RiskEntryKind,
    RiskFundAccount,
    RiskFundEntry,
    SubsidyPayment,
)


def _scoped(qs: QuerySet, user: User, field: str) -> QuerySet:
    scope = region_filter(user, field)
    return qs.none() if scope is None else qs.filter(scope)


def ledger_imports_for(user: User, *, region: str = "") -> QuerySet[LedgerImport]:
    """The bank ledgers imported for reconciliation in the counties the user may read (with their
    uploader)."""
    return _narrowed(
        _scoped(LedgerImport.objects.select_related("uploaded_by"), user, "county_id"), "county_id", region
    )


def counties_for(user: User) -> QuerySet[Region]:
    """Counties whose projects, funds and loans the user may read (their own, or those below them)."""
    prefix = getattr(user, "scope_prefix", None) if user.is_authenticated else None
    if prefix is None:
        return Region.objects.none()
    qs = Region.objects.filter(level=RegionLevel.COUNTY)
    if len(prefix) >= 6:
        return qs.filter(code=prefix[:6])
    return qs.filter(in_region("code", prefix)) if prefix else qs


def default_county(user: User, requested: str = "") -> Region | None:
    counties = counties_for(user)
    if requested:
        found = counties.filter(code=requested).first()
        if found:
            return found
    return counties.order_by("code").first()


# --- projects -------------------------------------------------------------------------------


def with_money(qs: QuerySet[Project]) -> QuerySet[Project]:
    allocated = (
        Allocation.objects.filter(project=OuterRef("pk"))
        .values("project")
        .annotate(s=Sum("amount_fen"))
        .values("s")
    )
    paid = (
        Allocation.objects.filter(project=OuterRef("pk"))
        .values("project")
        .annotate(s=Sum("spent_fen"))
        .values("s")
    )
    return qs.annotate(
        allocated_fen=Coalesce(Subquery(allocated), 0),
        paid_fen=Coalesce(Subquery(paid), 0),
    )


def _narrowed(qs: QuerySet, field: str, region: str) -> QuerySet:
    """Narrow an already scoped queryset to the rows whose `field` lies under `region` (a county's funds,
    kept at the
    county, lie under its province, city and itself, not under its townships); a region outside scope finds
    nothing."""
    return qs.filter(in_region(field, region)) if region and region.isdigit() else qs


def projects_for(
    user: User,
    *,
    county: str = "",
    year: int | None = None,
    status: str = "",
    category: str = "",
    q: str = "",
    region: str = "",
) -> QuerySet[Project]:
    qs = _narrowed(_scoped(Project.objects.select_related("region"), user, "region_id"), "region_id", region)
    if county:
        qs = qs.filter(county_id=county)
    if year:
        qs = qs.filter(year=year)
    if status:
        qs = qs.filter(status=status)
    if category:
        qs = qs.filter(category=category)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(code__startswith=q) | Q(name__contains=q))
    return with_money(qs)


def project_for(user: User, pk: int | str) -> Project:
    return projects_for(user).prefetch_related("funding", "villages").get(pk=pk)


def project_allocations(project: Project) -> QuerySet[Allocation]:
    return project.allocations.select_related("fund").order_by("fund__year", "fund__source", "pk")


def project_payments(project: Project) -> QuerySet[Payment]:
    return Payment.objects.filter(allocation__project=project).select_related(
        "allocation__fund", "created_by"
    )


def project_beneficiaries(project: Project) -> QuerySet[ProjectBeneficiary]:
    return project.beneficiaries.select_related("household", "household__village").order_by(
        "household__number"
    )


# --- funds ------------------------------------------------------------------------------------


def funds_for(
    user: User, *, county: str = "", year: int | None = None, source: str = "", region: str = ""
) -> QuerySet[Fund]:
    qs = _narrowed(_scoped(Fund.objects.all(), user, "county_id"), "county_id", region)
    if county:
        qs = qs.filter(county_id=county)
    if year:
        qs = qs.filter(year=year)
    if source:
        qs = qs.filter(source=source)
    return qs


def fund_for(user: User, pk: int | str) -> Fund:
    return funds_for(user).get(pk=pk)


def fund_totals(funds: QuerySet[Fund]) -> dict:
    totals = funds.aggregate(amount=Sum("amount_fen"), allocated=Sum("allocated_fen"), spent=Sum("spent_fen"))
    totals = {k: v or 0 for k, v in totals.items()}
    totals["balance"] = totals["amount"] - totals["spent"]
    totals["unallocated"] = totals["amount"] - totals["allocated"]
    return totals


def fund_allocations(fund: Fund) -> QuerySet[Allocation]:
    return fund.allocations.select_related("project").order_by("project__code")


def open_allocations(project: Project) -> QuerySet[Allocation]:
    """Allocations of a project with money left to pay."""
    return project.allocations.select_related("fund").filter(spent_fen__lt=F("amount_fen")).order_by("pk")


# --- loans ------------------------------------------------------------------------------------


def loans_for(
    user: User,
    *,
    county: str = "",
    status: str = "",
    kind: str = "",
    bank: str = "",
    q: str = "",
    region: str = "",
) -> QuerySet[Loan]:
    qs = _scoped(Loan.objects.select_related("household", "region"), user, "region_id")
    if county:
        qs = qs.filter(county_id=county)
    if region:
        qs = qs.filter(in_region("region_id", region))
    if status:
        qs = qs.filter(status=status)
    if kind == "household":
        qs = qs.filter(borrower_kind=BorrowerKind.HOUSEHOLD)
    elif kind == "enterprise":
        qs = qs.exclude(borrower_kind=BorrowerKind.HOUSEHOLD)
    if bank:
        qs = qs.filter(bank=bank)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(borrower_name__startswith=q) | Q(contract_no=q) | Q(household__number__startswith=q))
    return qs


def loan_for(user: User, pk: int | str) -> Loan:
    return loans_for(user).select_related("borrower", "created_by").get(pk=pk)


def household_loans(user: User, household_pk: int | str) -> tuple[Household, list[Loan]]:
    """A household (in scope) and its loans with the figures its page shows."""
    household = household_for(user, household_pk)
    loans: list[Loan] = list(
        Loan.objects.filter(household=household)
        .select_related("borrower")
        .annotate(repaid_fen=Coalesce(Sum("repayments__principal_fen"), 0))
        .order_by("-applied_on", "-pk")
    )
    for loan in loans:  # outstanding_fen: a figure for the page, not a field
        loan.outstanding_fen = loan.amount_fen - loan.repaid_fen if loan.disbursed_on else 0  # type: ignore[attr-defined]
    return household, loans


def banks_in(county_code: str) -> list[str]:
    return list(
        Loan.objects.filter(county_id=county_code).order_by("bank").values_list("bank", flat=True).distinct()
    )


@dataclass
class ScheduleRow:
    figures: interest.PeriodFigures
    interest_paid_fen: int | None
    subsidy_payable_fen: int
    subsidy_paid_fen: int | None


def loan_schedule(loan: Loan) -> list[ScheduleRow]:
    """Each interest period of a disbursed loan: interest due, paid, subsidy due and paid."""
    if not loan.disbursed_on or loan.interest_rate is None:
        return []
    terms = loan_terms(loan)
    settlement_day = policy_for(loan.county_id).settlement_day
    paid = {(p.year, p.quarter): p.amount_fen for p in loan.interest_payments.all()}
    subsidies = {(s.year, s.quarter): s.amount_fen for s in loan.subsidy_payments.all()}
    rows = []
    for year, quarter in interest.loan_periods(terms, settlement_day):
        fig = interest.period_figures(terms, year, quarter, settlement_day)
        if fig.interest_days == 0 and fig.subsidy_days == 0:
            continue
        rows.append(
            ScheduleRow(
                fig,
                paid.get((year, quarter)),
                fig.payable_subsidy_fen(paid.get((year, quarter))),
                subsidies.get((year, quarter), subsidies.get((year, 0)) if quarter == 4 else None),
            )
        )
    return rows


# --- interest subsidy lists ---------------------------------------------------------------------


@dataclass
class SubsidyLine:
    loan: Loan
    start: datetime.date
    end: datetime.date
    days: int
    interest_due_fen: int
    interest_paid_fen: int | None
    subsidy_fen: int  # computed on the benchmark rate, before the cap
    payable_fen: int  # capped at interest paid; 0 while unpaid
    paid_fen: int | None  # already paid by the county


def subsidy_lines(user: User, *, county_code: str, year: int, quarter: int) -> list[SubsidyLine]:
    """The subsidy list (利息补贴名单) of a county for one period.

    quarter 1–4: household loans, settled per quarter; quarter 0: enterprise, family-farm and
    cooperative loans, settled for the whole year (seed 篇6 五（四）).
    """
    settlement_day = policy_for(county_code).settlement_day
    if quarter:
        start, end = interest.interest_period(year, quarter, settlement_day)
        periods = [quarter]
    else:
        start, end = (
            interest.interest_period(year, 1, settlement_day)[0],
            interest.interest_period(year, 4, settlement_day)[1],
        )
        periods = [1, 2, 3, 4]
    loans = (
        loans_for(user, county=county_code)
        .filter(
            disbursed_on__isnull=False,
            disbursed_on__lte=end,
            maturity_on__gt=start,
        )
        .exclude(interest_rate__isnull=True)
    )
    loans = (
        loans.filter(borrower_kind=BorrowerKind.HOUSEHOLD)
        if quarter
        else loans.exclude(borrower_kind=BorrowerKind.HOUSEHOLD)
    )
    loans = (
        loans.prefetch_related(
            Prefetch("repayments", queryset=Repayment.objects.order_by("repaid_on")),
            Prefetch("interest_payments", queryset=InterestPayment.objects.filter(year=year)),
            Prefetch("subsidy_payments", queryset=SubsidyPayment.objects.filter(year=year, quarter=quarter)),
        )
        .select_related("borrower", "household", "region")
        .order_by("bank", "region_id", "pk")
    )
    lines = []
    for loan in loans:
        terms = loan_terms(loan, [(r.repaid_on, r.principal_fen) for r in loan.repayments.all()])
        paid_by_q = {p.quarter: p.amount_fen for p in loan.interest_payments.all()}
        figures = [interest.period_figures(terms, year, q, settlement_day) for q in periods]
        subsidy = sum(f.subsidy_fen for f in figures)
        if subsidy <= 0:
            continue
        paid_values = [paid_by_q[q] for q in periods if q in paid_by_q]
        already = [s.amount_fen for s in loan.subsidy_payments.all()]
        lines.append(
            SubsidyLine(
                loan=loan,
                start=start,
                end=end,
                days=sum(f.subsidy_days for f in figures),
                interest_due_fen=sum(f.interest_fen for f in figures),
                interest_paid_fen=sum(paid_values) if paid_values else None,
                subsidy_fen=subsidy,
                payable_fen=sum(f.payable_subsidy_fen(paid_by_q.get(f.quarter)) for f in figures),
                paid_fen=already[0] if already else None,
            )
        )
    return lines


def subsidy_year_summary(user: User, *, county_code: str, year: int) -> list[dict]:
    """Per period of a year: loans, subsidy payable and paid — households per quarter, enterprises for the
    year."""
    rows = []
    for quarter in (1, 2, 3, 4, 0):
        lines = subsidy_lines(user, county_code=county_code, year=year, quarter=quarter)
        rows.append(
            {
                "quarter": quarter,
                "loans": len(lines),
                "subsidy_fen": sum(line.subsidy_fen for line in lines),
                "payable_fen": sum(line.payable_fen for line in lines),
                "paid_fen": sum(line.paid_fen or 0 for line in lines),
            }
        )
    return rows


# --- risk compensation fund ------------------------------------------------------------------------


def risk_accounts(user: User, county_code: str) -> QuerySet[RiskFundAccount]:
    """The county's risk-fund accounts; every county's in scope when `county_code` is empty."""
    qs = (
        RiskFundAccount.objects.filter(county_id=county_code)
        if county_code
        else RiskFundAccount.objects.all()
    )
    return _scoped(qs, user, "county_id")


def risk_entries(user: User, county_code: str) -> QuerySet[RiskFundEntry]:
    """The county's risk-fund entries; every county's in scope when `county_code` is empty."""
    qs = (
        RiskFundEntry.objects.filter(account__county_id=county_code)
        if county_code
        else RiskFundEntry.objects.all()
    )
    return _scoped(qs, user, "account__county_id").select_related("account", "loan", "created_by")


def fund_totals_by_county(user: User, *, year: int) -> list[dict]:
    """The year's funds of each county in scope (the overview of a prefecture or province)."""
    rows = (
        funds_for(user, year=year)
        .values("county_id", "county__name")
        .order_by("county_id")
        .annotate(amount=Sum("amount_fen"), allocated=Sum("allocated_fen"), spent=Sum("spent_fen"))
    )
    return [row | {"balance": row["amount"] - row["spent"]} for row in rows]


def deposit_schedule(user: User, *, county_code: str, year: int) -> list[dict]:
    """Per bank and calendar quarter of a year: loans issued, deposit due, deposited, shortfall."""
    policy = policy_for(county_code)
    issued: defaultdict[tuple[str, int], int] = defaultdict(int)
    for bank, disbursed_on, amount in (
        loans_for(user, county=county_code)
        .filter(disbursed_on__year=year)
        .values_list("bank", "disbursed_on", "amount_fen")
    ):
        if disbursed_on is not None:  # filtered on its year: never null
            issued[(bank, interest.quarter_of(disbursed_on)[1])] += amount
    deposited: defaultdict[tuple[str, int], int] = defaultdict(int)
    for bank, quarter, amount in (
        risk_entries(user, county_code)
        .filter(kind=RiskEntryKind.DEPOSIT, year=year)
        .values_list("account__bank", "quarter", "amount_fen")
    ):
        if quarter is not None:  # every deposit has its quarter (risk_fund.record_deposit)
            deposited[(bank, quarter)] += amount
    rows = []
    for bank, quarter in sorted(set(issued) | set(deposited)):
        due = interest.deposit_due(issued[(bank, quarter)], policy.risk_deposit_share)
        rows.append(
            {
                "bank": bank,
                "quarter": quarter,
                "issued_fen": issued[(bank, quarter)],
                "due_fen": due,
                "deposited_fen": deposited[(bank, quarter)],
                "shortfall_fen": due - deposited[(bank, quarter)],
            }
        )
    return rows


def risk_totals(user: User, county_code: str) -> dict:
    entries = risk_entries(user, county_code)
    by_kind = dict(entries.values("kind").annotate(s=Sum("amount_fen")).values_list("kind", "s"))
    payouts = entries.filter(kind=RiskEntryKind.PAYOUT).aggregate(
        city=Sum("city_share_fen"), county=Sum("county_share_fen")
    )
    recoveries = entries.filter(kind=RiskEntryKind.RECOVERY).aggregate(
        city=Sum("city_share_fen"), county=Sum("county_share_fen")
    )
    return {
        "deposited": by_kind.get(RiskEntryKind.DEPOSIT, 0),
        "paid_out": by_kind.get(RiskEntryKind.PAYOUT, 0),
        "recovered": by_kind.get(RiskEntryKind.RECOVERY, 0),
        "balance": risk_accounts(user, county_code).aggregate(s=Sum("balance_fen"))["s"] or 0,
        "city_net": (payouts["city"] or 0) - (recoveries["city"] or 0),
        "county_net": (payouts["county"] or 0) - (recoveries["county"] or 0),
    }


# --- reminders, overdue and default -----------------------------------------------------------------


def loans_due_for_reminder(user: User, *, county_code: str, today: datetime.date) -> QuerySet[Loan]:
    """Disbursed loans maturing within the reminder window that have not been reminded yet."""
    days = policy_for(county_code).reminder_days
    return (
        loans_for(user, county=county_code, status=LoanStatus.DISBURSED)
        .filter(
            maturity_on__gt=today,
            maturity_on__lte=today + datetime.timedelta(days=days),
            reminder_sent_on__isnull=True,
        )
        .order_by("maturity_on", "pk")
    )


def loans_maturing(user: User, *, county_code: str, today: datetime.date) -> QuerySet[Loan]:
    days = policy_for(county_code).reminder_days
    return (
        loans_for(user, county=county_code, status=LoanStatus.DISBURSED)
        .filter(maturity_on__gt=today, maturity_on__lte=today + datetime.timedelta(days=days))
        .order_by("maturity_on", "pk")
    )


def overdue_loans(user: User, *, county_code: str, today: datetime.date) -> QuerySet[Loan]:
    """Disbursed loans past maturity with principal still owed (逾期)."""
    return (
        loans_for(user, county=county_code, status=LoanStatus.DISBURSED)
        .filter(maturity_on__lte=today)
        .annotate(repaid_fen=Coalesce(Sum("repayments__principal_fen"), 0))
        .annotate(unpaid_fen=F("amount_fen") - F("repaid_fen"))
        .order_by("maturity_on", "pk")
    )


def defaulted_loans(user: User, *, county_code: str) -> QuerySet[Loan]:
    paid = (
        RiskFundEntry.objects.filter(loan=OuterRef("pk"), kind=RiskEntryKind.PAYOUT)
        .values("loan")
        .annotate(s=Sum("amount_fen"))
        .values("s")
    )
    recovered = (
        RiskFundEntry.objects.filter(loan=OuterRef("pk"), kind=RiskEntryKind.RECOVERY)
        .values("loan")
        .annotate(s=Sum("amount_fen"))
        .values("s")
    )
    loss = (
        RiskFundEntry.objects.filter(loan=OuterRef("pk"), kind=RiskEntryKind.PAYOUT)
        .values("loan")
        .annotate(s=Sum("loss_fen"))
        .values("s")
    )
    return (
        loans_for(user, county=county_code, status=LoanStatus.DEFAULTED)
        .annotate(
            paid_out_fen=Coalesce(Subquery(paid), 0),
            recovered_fen=Coalesce(Subquery(recovered), 0),
            loss_fen=Coalesce(Subquery(loss), 0),
        )
        .order_by("defaulted_on", "pk")
    )


def loan_statistics(user: User, *, county_code: str) -> dict:
    """Totals for the loan overview, including the household share the seed requires (不低于50%)."""
    loans = loans_for(user, county=county_code).filter(disbursed_on__isnull=False)
    by_kind = loans.aggregate(
        households=Sum("amount_fen", filter=Q(borrower_kind=BorrowerKind.HOUSEHOLD)),
        enterprises=Sum("amount_fen", filter=~Q(borrower_kind=BorrowerKind.HOUSEHOLD)),
        count=Count("pk"),
    )
    households = by_kind["households"] or 0
    total = households + (by_kind["enterprises"] or 0)
    status_counts = dict(
        loans_for(user, county=county_code)
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return {
        "issued_fen": total,
        "household_fen": households,
        "enterprise_fen": by_kind["enterprises"] or 0,
        "household_share": (households * 100 // total) if total else None,
        "count": by_kind["count"],
        "by_status": [(s, s.label, status_counts.get(s.value, 0)) for s in LoanStatus],
    }


# --- public disclosure ------------------------------------------------------------------------------


def published_projects(*, county: str = "", year: int | None = None) -> QuerySet[Project]:
    """Projects a county has published (公告公示); no user, no scope: this is the public page."""
    qs = (
        Project.objects.filter(published_on__isnull=False)
        .exclude(status=ProjectStatus.CANCELLED)
        .select_related("region", "county")
    )
    if county:
        qs = qs.filter(county_id=county)
    if year:
        qs = qs.filter(year=year)
    return (
        with_money(qs)
        .annotate(beneficiary_count=Count("beneficiaries"))
        .order_by("-year", "county_id", "code")
    )


def published_project(pk: int | str) -> Project:
    return published_projects().prefetch_related("funding", "villages").get(pk=pk)


def published_counties() -> QuerySet[Region]:
    has = Project.objects.filter(county=OuterRef("pk"), published_on__isnull=False)
    return Region.objects.filter(level=RegionLevel.COUNTY).filter(Exists(has)).order_by("code")


def policy_for(county_code: str) -> LoanPolicy:
    """The county's parameters, or the seed's defaults when the county has set none."""
    return LoanPolicy.objects.filter(county_id=county_code[:6]).first() or LoanPolicy.default_for(
        county_code[:6]
    )


def loan_terms(
    loan: Loan, repayments: Iterable[tuple[datetime.date, int]] | None = None
) -> interest.LoanTerms:
    """The arithmetic's view of a disbursed loan (approved, then paid out: its dates and rates are set)."""
    if (
        loan.disbursed_on is None
        or loan.maturity_on is None
        or loan.interest_rate is None
        or loan.benchmark_rate is None
        or loan.subsidy_share is None
    ):
        raise ValueError(f"loan {loan.pk} has not been approved and disbursed")
    if repayments is None:
        repayments = list(loan.repayments.values_list("repaid_on", "principal_fen"))
    policy_years = policy_for(loan.county_id).subsidy_years
    return interest.LoanTerms(
        principal_fen=loan.amount_fen,
        disbursed_on=loan.disbursed_on,
        maturity_on=loan.maturity_on,
        annual_rate=loan.interest_rate,
        benchmark_rate=loan.benchmark_rate,
        subsidy_share=loan.subsidy_share,
        subsidy_years=policy_years,
        repayments=tuple(repayments),
    )


def outstanding_fen(loan: Loan) -> int:
    if loan.status not in (LoanStatus.DISBURSED, LoanStatus.REPAID, LoanStatus.DEFAULTED):
        return 0
    repaid = loan.repayments.aggregate(s=Sum("principal_fen"))["s"] or 0
    return loan.amount_fen - repaid


def recovered_so_far(loan: Loan) -> tuple[int, int]:
    """(paid out, recovered) by the fund for one loan."""
    totals = dict(loan.risk_entries.values("kind").annotate(s=Sum("amount_fen")).values_list("kind", "s"))
    return totals.get(RiskEntryKind.PAYOUT, 0), totals.get(RiskEntryKind.RECOVERY, 0)


def household_loan_room(household: Household, policy: LoanPolicy, *, exclude_loan: int | None = None) -> int:
    """How much more a household may borrow: the cap less what its open loans use (每户不超过5万元).

    An application uses the amount requested, an approval the amount granted, a disbursed loan
    the principal still outstanding.
    """
    loans = Loan.objects.filter(
        household=household, status__in=ACTIVE_LOAN_STATUSES, borrower_kind=BorrowerKind.HOUSEHOLD
    )
    if exclude_loan:
        loans = loans.exclude(pk=exclude_loan)
    used = 0
    for status, amount, requested in loans.values_list("status", "amount_fen", "amount_requested_fen"):
        used += requested if status == LoanStatus.APPLIED else amount
    repaid = (
        Repayment.objects.filter(loan__in=loans.filter(status=LoanStatus.DISBURSED)).aggregate(
            s=Sum("principal_fen")
        )["s"]
        or 0
    )
    return max(policy.household_cap_fen - used + repaid, 0)


def allocations_for(
    user: User, *, project: int | None = None, fund: int | None = None, region: str = ""
) -> QuerySet[Allocation]:
    """Allocations of the funds of the counties in the user's scope."""
    qs = _scoped(Allocation.objects.select_related("fund", "project"), user, "fund__county_id")
    qs = _narrowed(qs, "fund__county_id", region)
    if project:
        qs = qs.filter(project_id=project)
    return qs.filter(fund_id=fund) if fund else qs


def payments_for(
    user: User, *, allocation: int | None = None, project: int | None = None, region: str = ""
) -> QuerySet[Payment]:
    qs = _scoped(Payment.objects.select_related("allocation"), user, "allocation__fund__county_id")
    qs = _narrowed(qs, "allocation__fund__county_id", region)
    if allocation:
        qs = qs.filter(allocation_id=allocation)
    return qs.filter(allocation__project_id=project) if project else qs


def ledger_mismatches(ledger: LedgerImport) -> list:
    """What a bank ledger and the project library disagree on (fupin.funds.reconciliation)."""
    from . import reconciliation

    return reconciliation.reconcile(
        year=ledger.year,
        library=reconciliation.library_of(ledger.county_id),
        ledger=reconciliation.ledger_rows(ledger.rows),
    )
