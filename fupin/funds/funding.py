"""Funds (资金): entered and adjusted by the county, allocated to projects and paid out; the bank ledger
imported for reconciliation."""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from fupin.accounts.models import User
from fupin.audit.services import record, snapshot

from .models import (
    Allocation,
    Fund,
    FundSource,
    LedgerImport,
    Payment,
    Project,
    ProjectStatus,
)
from .permissions import ensure_county_office
from .services import FundsError, county_of, ensure_not_future, positive_fen, yuan

# --- funds ---------------------------------------------------------------------------------------


@transaction.atomic
def create_fund(
    *,
    by: User,
    county_code: str,
    year: int,
    source: str,
    name: str,
    amount_fen: int,
    document_no: str = "",
    received_on: datetime.date | None = None,
) -> Fund:
    """Money received by the county (资金下达)."""
    county = county_of(county_code)
    ensure_county_office(by, county.code)
    errors = {}
    if source not in FundSource.values:
        errors["source"] = gettext("请选择资金来源")
    if not (name or "").strip():
        errors["name"] = gettext("请填写资金名称")
    if not isinstance(amount_fen, int) or amount_fen <= 0:
        errors["amount"] = gettext("下达金额须大于0")
    this_year = timezone.localdate().year
    if not 2013 <= year <= this_year + 1:
        errors["year"] = gettext("年度应在2013到%(value)s之间") % {"value": this_year + 1}
    if received_on and received_on > timezone.localdate():
        errors["received_on"] = gettext("下达日期不能晚于今天")
    if errors:
        raise FundsError(errors)
    fund = Fund.objects.create(
        county=county,
        year=year,
        source=source,
        name=name.strip(),
        amount_fen=amount_fen,
        document_no=(document_no or "").strip(),
        received_on=received_on,
    )
    record(
        by=by,
        action="create_fund",
        target=fund,
        scope_code=county.code,
        changes={k: [None, v] for k, v in snapshot(fund).items() if v not in (None, "", 0)},
    )
    return fund


@transaction.atomic
def adjust_fund(fund: Fund, *, by: User, amount_fen: int, reason: str) -> Fund:
    """Correct the amount received (调整下达金额); never below what is already allocated."""
    ensure_county_office(by, fund.county_id)
    fund = Fund.objects.select_for_update().get(pk=fund.pk)
    if not isinstance(amount_fen, int) or amount_fen <= 0:
        raise FundsError({"amount": gettext("下达金额须大于0")})
    if amount_fen < fund.allocated_fen:
        raise FundsError(
            {
                "amount": gettext("下达金额不能少于已安排的%(allocated_fen)s元")
                % {"allocated_fen": yuan(fund.allocated_fen)}
            }
        )
    if not (reason or "").strip():
        raise FundsError({"reason": gettext("请填写调整原因")})
    before = fund.amount_fen
    Fund.objects.filter(pk=fund.pk).update(amount_fen=amount_fen)
    fund.refresh_from_db()
    record(
        by=by,
        action="adjust_fund",
        target=fund,
        scope_code=fund.county_id,
        changes={"amount_fen": [before, amount_fen], "reason": [None, reason.strip()]},
    )
    return fund


@transaction.atomic
def allocate(
    *, by: User, fund: Fund, project: Project, amount_fen: int, allocated_on: datetime.date
) -> Allocation:
    """Assign money of a fund to a project (资金安排到项目); a fund is never allocated beyond what it
    received."""
    ensure_county_office(by, fund.county_id)
    if project.county_id != fund.county_id:
        raise FundsError({"project": gettext("项目与资金不属于同一个县")})
    if project.status == ProjectStatus.CANCELLED:
        raise FundsError({"project": gettext("已取消的项目不能安排资金")})
    positive_fen(amount_fen, "amount", gettext("安排金额"))
    ensure_not_future(allocated_on, "allocated_on", gettext("安排日期"))
    fund = Fund.objects.select_for_update().get(pk=fund.pk)
    if amount_fen > fund.unallocated_fen:
        raise FundsError(
            {
                "amount": gettext("超出该笔资金的可安排余额%(unallocated_fen)s元")
                % {"unallocated_fen": yuan(fund.unallocated_fen)}
            }
        )
    allocation = Allocation.objects.select_for_update().filter(fund=fund, project=project).first()
    before = allocation.amount_fen if allocation else 0
    if allocation:
        Allocation.objects.filter(pk=allocation.pk).update(amount_fen=F("amount_fen") + amount_fen)
    else:
        allocation = Allocation.objects.create(
            fund=fund, project=project, amount_fen=amount_fen, allocated_on=allocated_on
        )
    Fund.objects.filter(pk=fund.pk).update(allocated_fen=F("allocated_fen") + amount_fen)
    allocation.refresh_from_db()
    record(
        by=by,
        action="allocate_fund",
        target=allocation,
        scope_code=project.region_id,
        changes={
            "fund": [None, fund.pk],
            "project": [None, project.code],
            "amount_fen": [before, allocation.amount_fen],
            "fund_allocated_fen": [fund.allocated_fen, fund.allocated_fen + amount_fen],
        },
    )
    return allocation


def record_payment(
    *,
    by: User,
    allocation: Allocation,
    amount_fen: int,
    paid_on: datetime.date,
    payee: str = "",
    voucher_no: str = "",
    note: str = "",
) -> Payment:
    """Pay out of an allocation (资金拨付). Two requests at once cannot together overspend it.

    The fund row, then the allocation row, is locked before the balance is read; the update is
    an F() expression; and the CheckConstraints refuse an overspend that got past anyway.
    """
    ensure_county_office(by, allocation.fund.county_id)
    positive_fen(amount_fen, "amount", gettext("拨付金额"))
    ensure_not_future(paid_on, "paid_on", gettext("拨付日期"))
    try:
        with transaction.atomic():
            fund = Fund.objects.select_for_update().get(pk=allocation.fund_id)
            allocation = (
                Allocation.objects.select_for_update().select_related("project").get(pk=allocation.pk)
            )
            if allocation.project.status == ProjectStatus.CANCELLED:
                raise FundsError({"allocation": gettext("已取消的项目不能拨付资金")})
            if paid_on < allocation.allocated_on:
                raise FundsError({"paid_on": gettext("拨付日期不能早于资金安排日期")})
            if amount_fen > allocation.balance_fen:
                raise FundsError(
                    {
                        "amount": gettext("超出该项资金安排的余额%(balance_fen)s元，不能超支")
                        % {"balance_fen": yuan(allocation.balance_fen)}
                    }
                )
            payment = Payment.objects.create(
                allocation=allocation,
                amount_fen=amount_fen,
                paid_on=paid_on,
                payee=payee.strip()[:100],
                voucher_no=voucher_no.strip()[:50],
                note=note.strip()[:200],
                created_by=by,
            )
            Allocation.objects.filter(pk=allocation.pk).update(spent_fen=F("spent_fen") + amount_fen)
            Fund.objects.filter(pk=fund.pk).update(spent_fen=F("spent_fen") + amount_fen)
            record(
                by=by,
                action="record_payment",
                target=payment,
                scope_code=allocation.project.region_id,
                changes={
                    "project": [None, allocation.project.code],
                    "fund": [None, fund.pk],
                    "amount_fen": [None, amount_fen],
                    "allocation_spent_fen": [allocation.spent_fen, allocation.spent_fen + amount_fen],
                    "fund_spent_fen": [fund.spent_fen, fund.spent_fen + amount_fen],
                },
            )
            return payment
    except IntegrityError:
        raise FundsError({"amount": gettext("余额不足，不能超支")}) from None


# --- reconciliation ledger -----------------------------------------------------------------------


@transaction.atomic
def import_ledger(
    *, by: User, county_code: str, year: int, rows: list[dict], original_name: str
) -> LedgerImport:
    """Keep the uploaded statistics table (already parsed and validated) for reconciliation."""
    county = county_of(county_code)
    ensure_county_office(by, county.code)
    ledger = LedgerImport.objects.create(
        county=county, year=year, original_name=original_name[:200], rows=rows, uploaded_by=by
    )
    record(
        by=by,
        action="import_ledger",
        target=ledger,
        scope_code=county.code,
        changes={"year": [None, year], "rows": [None, len(rows)], "file": [None, original_name]},
    )
    return ledger
