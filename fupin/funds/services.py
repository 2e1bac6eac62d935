"""What users do with projects, funds and microloans: each verb one transaction with its audit entries.

Money arrives here as integer fen (forms convert yuan with `interest.yuan_to_fen`). A balance
that must not go negative is changed only under a row lock (`select_for_update`) with an `F()`
update, and the table's CheckConstraint refuses anything that slips past.
"""

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from fupin.accounts.models import User
from fupin.audit.services import diff, record, snapshot
from fupin.core import money, versions
from fupin.core.errors import ServiceError
from fupin.core.idnumber import age_on
from fupin.regions.models import Region, RegionLevel
from fupin.registry import codes
from fupin.registry.models import Household, Member

from . import interest
from .models import (
    LOAN_TRANSITIONS,
    BorrowerKind,
    Industry,
    InterestPayment,
    LinkKind,
    Loan,
    LoanLink,
    LoanPolicy,
    LoanStatus,
    Repayment,
    SubsidyPayment,
)
from .permissions import ensure_can_apply, ensure_county_office
from .selectors import household_loan_room, loan_terms, outstanding_fen, policy_for


class FundsError(ServiceError):
    """A refused action; `errors` maps field names to Chinese messages."""


def yuan(fen: int) -> str:
    return money.format_fen(fen)


def county_of(code: str) -> Region:
    try:
        county = Region.objects.get(code=code[:6])
    except Region.DoesNotExist:
        raise FundsError({"county": gettext("县级区划不存在：%(code)s") % {"code": code[:6]}}) from None
    if county.level != RegionLevel.COUNTY:
        raise FundsError({"county": gettext("%(name)s不是县级区划") % {"name": county.name}})
    return county


def region_in_county(code: str, county: Region) -> Region:
    region = Region.objects.filter(code=code).first()
    if region is None or not code.startswith(county.code) or region.level > RegionLevel.VILLAGE:
        raise FundsError(
            {
                "region": gettext("%(name)s内没有代码为 %(code)s 的县、乡或村")
                % {"name": county.name, "code": code}
            }
        )
    return region


def positive_fen(fen: object, field: str, label: str = "金额") -> int:
    if not isinstance(fen, int) or isinstance(fen, bool):
        raise TypeError("amounts are integer fen")
    if fen <= 0:
        raise FundsError({field: gettext("%(label)s须大于0") % {"label": label}})
    return fen


def ensure_not_future(day: datetime.date, field: str, label: str) -> None:
    if day > timezone.localdate():
        raise FundsError({field: gettext("%(label)s不能晚于今天") % {"label": label}})


# --- policy -------------------------------------------------------------------------------

POLICY_FIELDS = [
    f.name for f in LoanPolicy._meta.concrete_fields if f.name not in ("county", "updated_at", "version")
]


@transaction.atomic
def update_policy(
    *, by: User, county_code: str, expected_version: int | None = None, **values: Any
) -> LoanPolicy:
    """`expected_version`: the version the policy form was based on (0: the county had set none yet); on
    another one nothing is saved (versions.VersionConflict). None: a caller inside the product."""
    county = county_of(county_code)
    ensure_county_office(by, county.code)
    unknown = set(values) - set(POLICY_FIELDS)
    if unknown:
        raise FundsError(gettext("未知参数：%(unknown)s") % {"unknown": ", ".join(sorted(unknown))})
    existing = LoanPolicy.objects.select_for_update().filter(county=county).first()
    if existing is not None:
        versions.check(existing, expected_version, edit={})
    policy = existing or LoanPolicy.default_for(county.code)
    before = (
        snapshot(policy, POLICY_FIELDS)
        if policy.pk and LoanPolicy.objects.filter(pk=policy.pk).exists()
        else {}
    )
    for k, v in values.items():
        setattr(policy, k, v)
    errors = {}
    if policy.min_term_months > policy.max_term_months:
        errors["max_term_months"] = gettext("最长期限不能短于最短期限")
    if policy.min_age > policy.max_age:
        errors["max_age"] = gettext("最大年龄不能小于最小年龄")
    if not 1 <= policy.settlement_day <= 31:
        errors["settlement_day"] = gettext("结息日应为1到31")
    if policy.household_cap_fen <= 0:
        errors["household_cap_fen"] = gettext("每户贷款上限须大于0")
    if policy.city_parts + policy.county_parts == 0:
        errors["county_parts"] = gettext("市、县分担份数不能都为0")
    for name in ("household_subsidy_share", "enterprise_subsidy_share", "risk_deposit_share"):
        if not 0 <= getattr(policy, name) <= 100:
            errors[name] = gettext("比例应在0到100之间")
    if policy.benchmark_rate <= 0 or policy.benchmark_rate > 36:
        errors["benchmark_rate"] = gettext("基准利率应大于0且不超过36%")
    if errors:
        raise FundsError(errors)
    policy.save()
    changed = diff(before, snapshot(policy, POLICY_FIELDS))
    if changed:
        record(by=by, action="update_loan_policy", target=policy, scope_code=county.code, changes=changed)
    return policy


# --- loans: application ---------------------------------------------------------------------


def _check_loan_terms(
    errors: dict, *, policy: LoanPolicy, term_months: int, industry: str, purpose: str, bank: str
) -> None:
    if not policy.min_term_months <= term_months <= policy.max_term_months:
        errors["term_months"] = gettext("贷款期限应为%(min_term_months)s到%(max_term_months)s个月") % {
            "min_term_months": policy.min_term_months,
            "max_term_months": policy.max_term_months,
        }
    if industry not in Industry.values:
        errors["industry"] = gettext("请选择扶持产业（贷款必须用于产业发展）")
    if not (purpose or "").strip():
        errors["purpose"] = gettext("请填写贷款用途")
    if not (bank or "").strip():
        errors["bank"] = gettext("请填写贷款银行")


def household_eligibility(
    household: Household,
    borrower: Member | None,
    *,
    policy: LoanPolicy,
    on: datetime.date,
    capacity_confirmed: bool,
) -> dict:
    """Why this household and borrower may not borrow (seed 篇6 三（一）); empty when eligible."""
    errors = {}
    allowed = {codes.HouseholdStatus.POOR}
    if policy.exited_households_eligible:
        allowed.add(codes.HouseholdStatus.EXITED)
    if household.status not in allowed:
        errors["household"] = gettext("该户状态为“%(value)s”，只有建档立卡贫困户可以申请") % {
            "value": household.get_status_display()
        }
    if borrower is None or borrower.household_id != household.pk:
        errors["borrower"] = gettext("借款人须为本户家庭成员")
        return errors
    age = age_on(borrower.birth_date, on)
    if not policy.min_age <= age <= policy.max_age:
        errors["borrower"] = gettext("借款人%(age)s周岁，须年满%(min_age)s周岁、不超过%(max_age)s周岁") % {
            "age": age,
            "min_age": policy.min_age,
            "max_age": policy.max_age,
        }
    elif borrower.disability_category in ("intellectual", "mental") and borrower.disability_level in (
        "1",
        "2",
    ):
        errors["borrower"] = gettext("借款人为一、二级智力或精神残疾，不具有完全民事行为能力")
    if not capacity_confirmed:
        errors["capacity_confirmed"] = gettext("请核实并确认借款人具有完全民事行为能力")
    return errors


@transaction.atomic
def apply_for_household_loan(
    *,
    by: User,
    household: Household,
    borrower: Member | None,
    amount_fen: int,
    term_months: int,
    industry: str,
    purpose: str,
    bank: str,
    village_opinion: str = "",
    capacity_confirmed: bool = False,
    applied_on: datetime.date | None = None,
) -> Loan:
    """A poor household's application, entered by the village after its review (论证签署意见)."""
    ensure_can_apply(by, household.village_id)
    household = Household.objects.select_for_update().get(pk=household.pk)
    applied_on = applied_on or timezone.localdate()
    ensure_not_future(applied_on, "applied_on", gettext("申请日期"))
    policy = policy_for(household.village_id)
    positive_fen(amount_fen, "amount", gettext("申请金额"))
    errors = household_eligibility(
        household, borrower, policy=policy, on=applied_on, capacity_confirmed=capacity_confirmed
    )
    _check_loan_terms(
        errors, policy=policy, term_months=term_months, industry=industry, purpose=purpose, bank=bank
    )
    room = household_loan_room(household, policy)
    if amount_fen > room:
        errors["amount"] = gettext("每户贷款总额不超过%(value)s元，该户尚可申请%(value2)s元") % {
            "value": yuan(policy.household_cap_fen),
            "value2": yuan(room),
        }
    if errors:
        raise FundsError(errors)
    assert borrower is not None  # household_eligibility refuses an application without one
    loan = Loan.objects.create(
        county_id=household.village_id[:6],
        region_id=household.village_id,
        borrower_kind=BorrowerKind.HOUSEHOLD,
        household=household,
        borrower=borrower,
        borrower_name=borrower.name,
        bank=bank.strip(),
        amount_requested_fen=amount_fen,
        term_months=term_months,
        industry=industry,
        purpose=purpose.strip(),
        capacity_confirmed=True,
        village_opinion=(village_opinion or "").strip(),
        applied_on=applied_on,
        created_by=by,
    )
    record(
        by=by,
        action="apply_loan",
        target=loan,
        household=household,
        scope_code=loan.region_id,
        changes={k: [None, v] for k, v in snapshot(loan).items() if v not in (None, "", False)},
    )
    return loan


def enterprise_cap_fen(links: list[tuple[Household, str, int]], policy: LoanPolicy) -> int:
    """An enterprise's cap (seed 篇6 四（一）).

    Investment: at most `enterprise_multiple` × what poor households invested. Employment or
    agreements: at most `enterprise_multiple` × the households' own cap for each household
    taken in. The two are alternative grounds, so the larger applies, never their sum.
    """
    invested = sum(fen for _, kind, fen in links if kind == LinkKind.INVESTMENT)
    taken_in = {h.pk for h, kind, _ in links if kind in (LinkKind.EMPLOYMENT, LinkKind.AGREEMENT)}
    return max(
        policy.enterprise_multiple * invested,
        policy.enterprise_multiple * len(taken_in) * policy.household_cap_fen,
    )


def _check_links(errors: dict, links: list[tuple[Household, str, int]], county: Region) -> None:
    """The poor households an enterprise takes in: at least one, each of the county, poor, with a way of
    linking."""
    if not links:
        errors["links"] = gettext("须至少带动一户建档立卡贫困户（投入、就业或协议）")
    for household, kind, invested in links:
        if not household.village_id.startswith(county.code):
            errors["links"] = gettext("户 %(number)s 不在%(name)s") % {
                "number": household.number,
                "name": county.name,
            }
        elif household.status != codes.HouseholdStatus.POOR:
            errors["links"] = gettext("户 %(number)s 不是建档立卡贫困户") % {"number": household.number}
        elif kind not in LinkKind.values:
            errors["links"] = gettext("请选择带动方式")
        elif kind == LinkKind.INVESTMENT and invested <= 0:
            errors["links"] = gettext("户 %(number)s 以债权或股权投入的，须填写投入金额") % {
                "number": household.number
            }


@transaction.atomic
def apply_for_enterprise_loan(
    *,
    by: User,
    region_code: str,
    borrower_kind: str,
    name: str,
    credit_code: str = "",
    amount_fen: int,
    term_months: int,
    industry: str,
    purpose: str,
    bank: str,
    links: list[tuple[Household, str, int]],
    village_opinion: str = "",
    applied_on: datetime.date | None = None,
) -> Loan:
    """An enterprise's, family farm's or cooperative's application, tied to the poor households it takes
    in."""
    county = county_of(region_code)
    region = region_in_county(region_code, county)
    ensure_can_apply(by, region.code)
    applied_on = applied_on or timezone.localdate()
    ensure_not_future(applied_on, "applied_on", gettext("申请日期"))
    policy = policy_for(county.code)
    positive_fen(amount_fen, "amount", gettext("申请金额"))
    errors = {}
    if borrower_kind not in BorrowerKind.values or borrower_kind == BorrowerKind.HOUSEHOLD:
        errors["borrower_kind"] = gettext("请选择农业企业、家庭农场或农民合作经济组织")
    if not (name or "").strip():
        errors["name"] = gettext("请填写主体名称")
    credit_code = (credit_code or "").strip().upper()
    if credit_code and len(credit_code) != 18:
        errors["credit_code"] = gettext("统一社会信用代码应为18位")
    _check_loan_terms(
        errors, policy=policy, term_months=term_months, industry=industry, purpose=purpose, bank=bank
    )
    _check_links(errors, links, county)
    if "links" not in errors:
        cap = enterprise_cap_fen(links, policy)
        if amount_fen > cap:
            errors["amount"] = gettext("按带动贫困户情况，贷款额度不超过%(value)s元") % {"value": yuan(cap)}
    if errors:
        raise FundsError(errors)
    loan = Loan.objects.create(
        county=county,
        region=region,
        borrower_kind=borrower_kind,
        borrower_name=name.strip(),
        credit_code=credit_code,
        bank=bank.strip(),
        amount_requested_fen=amount_fen,
        term_months=term_months,
        industry=industry,
        purpose=purpose.strip(),
        capacity_confirmed=True,
        village_opinion=(village_opinion or "").strip(),
        applied_on=applied_on,
        created_by=by,
    )
    for household, kind, invested in links:
        LoanLink.objects.create(
            loan=loan,
            household=household,
            kind=kind,
            invested_fen=invested if kind == LinkKind.INVESTMENT else 0,
        )
    record(
        by=by,
        action="apply_loan",
        target=loan,
        scope_code=region.code,
        changes={k: [None, v] for k, v in snapshot(loan).items() if v not in (None, "", False)}
        | {"links": [None, [[h.number, kind, invested] for h, kind, invested in links]]},
    )
    return loan


# --- loans: bank decisions and the loan's life -------------------------------------------------


def lock_loan(loan: Loan) -> Loan:
    return Loan.objects.select_for_update().get(pk=loan.pk)


def move_loan(loan: Loan, to: str) -> None:
    if to not in LOAN_TRANSITIONS[LoanStatus(loan.status)]:
        raise FundsError(
            {
                "status": gettext("贷款当前为“%(get_status_display)s”，不能改为“%(label)s”")
                % {"get_status_display": loan.get_status_display(), "label": LoanStatus(to).label}
            }
        )
    loan.status = to


def audit_loan(by: User, loan: Loan, action: str, before: dict, extra: dict | None = None) -> None:
    changed = diff(before, snapshot(loan)) | (extra or {})
    record(
        by=by,
        action=action,
        target=loan,
        household=loan.household,
        scope_code=loan.region_id,
        changes=changed,
    )


@transaction.atomic
def approve_loan(
    loan: Loan,
    *,
    by: User,
    amount_fen: int,
    interest_rate: Decimal | None,
    decided_on: datetime.date,
    benchmark_rate: Decimal | None = None,
) -> Loan:
    """Record the bank's approval (试点银行审批) with the amount and rate it granted."""
    ensure_county_office(by, loan.region_id)
    loan = lock_loan(loan)
    before = snapshot(loan)
    move_loan(loan, LoanStatus.APPROVED)
    positive_fen(amount_fen, "amount", gettext("审批金额"))
    ensure_not_future(decided_on, "decided_on", gettext("审批日期"))
    policy = policy_for(loan.county_id)
    errors = {}
    if amount_fen > loan.amount_requested_fen:
        errors["amount"] = gettext("审批金额不能超过申请金额%(value)s元") % {
            "value": yuan(loan.amount_requested_fen)
        }
    elif (
        loan.borrower_kind == BorrowerKind.HOUSEHOLD
        and loan.household is not None  # a household's loan always has it
        and amount_fen > household_loan_room(loan.household, policy, exclude_loan=loan.pk)
    ):
        errors["amount"] = gettext("超过每户%(value)s元的贷款上限") % {
            "value": yuan(policy.household_cap_fen)
        }
    if decided_on < loan.applied_on:
        errors["decided_on"] = gettext("审批日期不能早于申请日期")
    if interest_rate is None or not 0 < interest_rate <= 36:
        errors["interest_rate"] = gettext("执行年利率应大于0且不超过36%")
    if errors:
        raise FundsError(errors)
    loan.amount_fen = amount_fen
    loan.interest_rate = interest_rate
    loan.benchmark_rate = benchmark_rate if benchmark_rate is not None else policy.benchmark_rate
    loan.subsidy_share = (
        policy.enterprise_subsidy_share if loan.is_enterprise else policy.household_subsidy_share
    )
    loan.decided_on = decided_on
    loan.save()
    audit_loan(by, loan, "approve_loan", before)
    return loan


@transaction.atomic
def reject_loan(loan: Loan, *, by: User, reason: str, decided_on: datetime.date) -> Loan:
    ensure_county_office(by, loan.region_id)
    loan = lock_loan(loan)
    before = snapshot(loan)
    move_loan(loan, LoanStatus.REJECTED)
    if not (reason or "").strip():
        raise FundsError({"reason": gettext("请填写银行未批准的原因")})
    ensure_not_future(decided_on, "decided_on", gettext("日期"))
    loan.rejection_reason = reason.strip()[:200]
    loan.decided_on = decided_on
    loan.save()
    audit_loan(by, loan, "reject_loan", before)
    return loan


@transaction.atomic
def disburse_loan(loan: Loan, *, by: User, disbursed_on: datetime.date, contract_no: str) -> Loan:
    """Record the bank's disbursement (贷款发放); the maturity date follows from the term."""
    ensure_county_office(by, loan.region_id)
    loan = lock_loan(loan)
    before = snapshot(loan)
    move_loan(loan, LoanStatus.DISBURSED)
    ensure_not_future(disbursed_on, "disbursed_on", gettext("放款日期"))
    if loan.decided_on and disbursed_on < loan.decided_on:
        raise FundsError({"disbursed_on": gettext("放款日期不能早于审批日期")})
    if not (contract_no or "").strip():
        raise FundsError({"contract_no": gettext("请填写借款合同号")})
    loan.disbursed_on = disbursed_on
    loan.maturity_on = interest.add_months(disbursed_on, loan.term_months)
    loan.contract_no = contract_no.strip()
    loan.save()
    audit_loan(by, loan, "disburse_loan", before)
    return loan


@transaction.atomic
def record_repayment(loan: Loan, *, by: User, repaid_on: datetime.date, principal_fen: int) -> Repayment:
    """Principal repaid, early or at maturity; the loan is settled when nothing is left."""
    ensure_county_office(by, loan.region_id)
    loan = lock_loan(loan)
    if loan.status != LoanStatus.DISBURSED:
        raise FundsError(
            {
                "status": gettext("贷款当前为“%(get_status_display)s”，不能登记还款")
                % {"get_status_display": loan.get_status_display()}
            }
        )
    positive_fen(principal_fen, "principal", gettext("还款本金"))
    ensure_not_future(repaid_on, "repaid_on", gettext("还款日期"))
    assert loan.disbursed_on is not None  # set when it was disbursed (the status checked above)
    if repaid_on < loan.disbursed_on:
        raise FundsError({"repaid_on": gettext("还款日期不能早于放款日期")})
    owed = outstanding_fen(loan)
    if principal_fen > owed:
        raise FundsError({"principal": gettext("还款本金不能超过未还本金%(owed)s元") % {"owed": yuan(owed)}})
    last = loan.repayments.order_by("-repaid_on").values_list("repaid_on", flat=True).first()
    if last and repaid_on < last:
        raise FundsError({"repaid_on": gettext("还款日期不能早于上一次还款（%(last)s）") % {"last": last}})
    before = snapshot(loan)
    repayment = Repayment.objects.create(
        loan=loan, repaid_on=repaid_on, principal_fen=principal_fen, created_by=by
    )
    if principal_fen == owed:
        move_loan(loan, LoanStatus.REPAID)
        loan.repaid_on = repaid_on
        loan.save()
    audit_loan(
        by,
        loan,
        "record_repayment",
        before,
        {"repayment": [None, {"repaid_on": str(repaid_on), "principal_fen": principal_fen}]},
    )
    return repayment


@transaction.atomic
def record_interest_payment(
    loan: Loan, *, by: User, year: int, quarter: int, amount_fen: int, paid_on: datetime.date
) -> InterestPayment:
    """The borrower settled a period's interest (贷款对象自行结清), as reported by the bank."""
    ensure_county_office(by, loan.region_id)
    loan = lock_loan(loan)
    if not loan.disbursed_on:
        raise FundsError({"status": gettext("贷款尚未放款，没有应付利息")})
    if quarter not in (1, 2, 3, 4):
        raise FundsError({"quarter": gettext("季度应为1到4")})
    if (year, quarter) not in interest.loan_periods(
        loan_terms(loan), policy_for(loan.county_id).settlement_day
    ):
        raise FundsError(
            {
                "quarter": gettext("%(year)s年第%(quarter)s季度不在贷款计息期内")
                % {"year": year, "quarter": quarter}
            }
        )
    if not isinstance(amount_fen, int) or amount_fen < 0:
        raise FundsError({"amount": gettext("利息金额不能为负数")})
    ensure_not_future(paid_on, "paid_on", gettext("付息日期"))
    existing = InterestPayment.objects.filter(loan=loan, year=year, quarter=quarter).first()
    if SubsidyPayment.objects.filter(loan=loan, year=year, quarter__in=(quarter, 0)).exists():
        raise FundsError({"quarter": gettext("该期贴息已拨付，付息记录不能再修改")})
    before = snapshot(existing) if existing else {}
    payment, _ = InterestPayment.objects.update_or_create(
        loan=loan,
        year=year,
        quarter=quarter,
        defaults={"amount_fen": amount_fen, "paid_on": paid_on, "created_by": by},
    )
    changed = diff(before, snapshot(payment))
    changed.pop("created_at", None)
    record(
        by=by,
        action="record_interest",
        target=payment,
        household=loan.household,
        scope_code=loan.region_id,
        changes=changed,
    )
    return payment


# --- interest subsidy ------------------------------------------------------------------------


@transaction.atomic
def pay_subsidies(
    *, by: User, county_code: str, year: int, quarter: int, paid_on: datetime.date
) -> list[SubsidyPayment]:
    """Pay the period's subsidy list (县财政拨付贴息资金): households per quarter, enterprises per year
    (quarter 0)."""
    from .selectors import subsidy_lines  # reads live in selectors; paying freezes what they computed

    county = county_of(county_code)
    ensure_county_office(by, county.code)
    ensure_not_future(paid_on, "paid_on", gettext("拨付日期"))
    created = []
    for line in subsidy_lines(by, county_code=county.code, year=year, quarter=quarter):
        if line.paid_fen is not None or line.payable_fen <= 0:
            continue
        payment = SubsidyPayment.objects.create(
            loan=line.loan,
            year=year,
            quarter=quarter,
            amount_fen=line.payable_fen,
            paid_on=paid_on,
            created_by=by,
        )
        record(
            by=by,
            action="pay_subsidy",
            target=payment,
            household=line.loan.household,
            scope_code=line.loan.region_id,
            changes={
                "loan": [None, line.loan.pk],
                "period": [None, f"{year}-{quarter}"],
                "amount_fen": [None, line.payable_fen],
            },
        )
        created.append(payment)
    if not created:
        raise FundsError(gettext("该期没有可拨付的贴息（借款人尚未结清利息，或已全部拨付）"))
    return created


# --- reminders ---------------------------------------------------------------------------------


@transaction.atomic
def issue_repayment_reminders(
    *, by: User, county_code: str, today: datetime.date | None = None
) -> list[Loan]:
    """Mark the loans maturing within the reminder window (到期前30天) as reminded, once each.

    The bank delivers the notice within 7 days (seed 篇6 六（四）); fupin lists whom to notify
    and records that the notice went out.
    """
    from .selectors import loans_due_for_reminder  # cycle breaker: funds.selectors imports these services

    county = county_of(county_code)
    ensure_county_office(by, county.code)
    today = today or timezone.localdate()
    loans = list(
        loans_due_for_reminder(by, county_code=county.code, today=today).select_for_update(of=("self",))
    )
    for loan in loans:
        before = snapshot(loan)
        loan.reminder_sent_on = today
        loan.save(update_fields=["reminder_sent_on"])
        audit_loan(by, loan, "repayment_reminder", before)
    return loans
