"""The risk compensation fund (风险补偿金) of the microloans: the quarterly deposits into each bank's account,
the payout when a loan defaults, and the recovered money returned to it. Each verb one transaction with its
audit entry."""

import datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext

from fupin.accounts.models import User
from fupin.audit.services import record, snapshot
from fupin.regions.models import Region

from . import interest
from .models import Loan, LoanStatus, RiskEntryKind, RiskFundAccount, RiskFundEntry
from .permissions import ensure_county_office
from .selectors import outstanding_fen, policy_for, recovered_so_far
from .services import (
    FundsError,
    audit_loan,
    county_of,
    ensure_not_future,
    lock_loan,
    move_loan,
    positive_fen,
    yuan,
)

# ---------------------------------------------------------------- risk compensation fund


def _risk_account(county: Region, bank: str) -> RiskFundAccount:
    bank = (bank or "").strip()
    if not bank:
        raise FundsError({"bank": gettext("请填写试点银行")})
    account, _ = RiskFundAccount.objects.get_or_create(county=county, bank=bank)
    return RiskFundAccount.objects.select_for_update().get(pk=account.pk)


def _post_to_account(
    account: RiskFundAccount,
    *,
    by: User,
    kind: str,
    amount_fen: int,
    occurred_on: datetime.date,
    note: str,
    **fields: Any,
) -> tuple[RiskFundEntry, list[int]]:
    """A movement of a bank's risk compensation account and its balance with it (a payout draws on it): the
    entry, and the balance before and after for the audit entry."""
    entry = RiskFundEntry.objects.create(
        account=account,
        kind=kind,
        amount_fen=amount_fen,
        occurred_on=occurred_on,
        note=note[:200],
        created_by=by,
        **fields,
    )
    change = -amount_fen if kind == RiskEntryKind.PAYOUT else amount_fen
    RiskFundAccount.objects.filter(pk=account.pk).update(balance_fen=F("balance_fen") + change)
    return entry, [account.balance_fen, account.balance_fen + change]


def _loan_account(loan: Loan) -> tuple[RiskFundAccount, Any]:
    """The risk compensation account of the loan's bank in its county, locked, and the county's policy."""
    return _risk_account(Region.objects.get(code=loan.county_id), loan.bank), policy_for(loan.county_id)


def _post_for_loan(
    loan: Loan, account: RiskFundAccount, policy: Any, *, kind: str, amount_fen: int, **fields: Any
) -> tuple[RiskFundEntry, list[int]]:
    """A loan's payout or recovery posted to the account, shared city : county as the policy says."""
    city, county_part = interest.split_shares(amount_fen, policy.city_parts, policy.county_parts)
    return _post_to_account(
        account,
        kind=kind,
        amount_fen=amount_fen,
        loan=loan,
        city_share_fen=city,
        county_share_fen=county_part,
        **fields,
    )


@transaction.atomic
def record_deposit(
    *,
    by: User,
    county_code: str,
    bank: str,
    year: int,
    quarter: int,
    amount_fen: int,
    deposited_on: datetime.date,
    note: str = "",
) -> RiskFundEntry:
    """A quarterly deposit into the bank's risk compensation account (风险缓释金缴存)."""
    county = county_of(county_code)
    ensure_county_office(by, county.code)
    positive_fen(amount_fen, "amount", gettext("缴存金额"))
    ensure_not_future(deposited_on, "deposited_on", gettext("缴存日期"))
    if quarter not in (1, 2, 3, 4):
        raise FundsError({"quarter": gettext("季度应为1到4")})
    account = _risk_account(county, bank)
    entry, balance = _post_to_account(
        account,
        by=by,
        kind=RiskEntryKind.DEPOSIT,
        amount_fen=amount_fen,
        occurred_on=deposited_on,
        note=note,
        year=year,
        quarter=quarter,
    )
    record(
        by=by,
        action="risk_fund_deposit",
        target=entry,
        scope_code=county.code,
        changes={
            "bank": [None, account.bank],
            "amount_fen": [None, amount_fen],
            "balance_fen": balance,
            "period": [None, f"{year}-{quarter}"],
        },
    )
    return entry


@transaction.atomic
def record_default(
    loan: Loan,
    *,
    by: User,
    defaulted_on: datetime.date,
    loss_principal_fen: int,
    loss_interest_fen: int = 0,
    note: str = "",
) -> RiskFundEntry | None:
    """A loss the bank cannot recover: the fund compensates it in full up to its balance
    (等额代偿，以风险缓释金为限).

    The payout is shared city : county by the policy (5 : 5). Returns the payout entry, or None
    when the fund is empty (the loss is still recorded on the loan and in the audit trail).
    """
    ensure_county_office(by, loan.region_id)
    loan = lock_loan(loan)
    before = snapshot(loan)
    move_loan(loan, LoanStatus.DEFAULTED)
    ensure_not_future(defaulted_on, "defaulted_on", gettext("损失认定日期"))
    assert loan.disbursed_on is not None  # only a disbursed loan may default (move_loan above)
    if defaulted_on < loan.disbursed_on:
        raise FundsError({"defaulted_on": gettext("损失认定日期不能早于放款日期")})
    owed = outstanding_fen(loan)
    if not isinstance(loss_principal_fen, int) or not 0 < loss_principal_fen <= owed:
        raise FundsError(
            {"loss_principal": gettext("本金损失应大于0且不超过未还本金%(owed)s元") % {"owed": yuan(owed)}}
        )
    if not isinstance(loss_interest_fen, int) or loss_interest_fen < 0:
        raise FundsError({"loss_interest": gettext("利息损失不能为负数")})
    loss = loss_principal_fen + loss_interest_fen
    account, policy = _loan_account(loan)
    payout = interest.compensation(loss, account.balance_fen)
    loan.defaulted_on = defaulted_on
    loan.save()
    entry, balance = None, [account.balance_fen, account.balance_fen]
    if payout:
        entry, balance = _post_for_loan(
            loan,
            account,
            policy,
            kind=RiskEntryKind.PAYOUT,
            amount_fen=payout,
            by=by,
            occurred_on=defaulted_on,
            note=note,
            loss_fen=loss,
        )
    audit_loan(
        by,
        loan,
        "record_default",
        before,
        {
            "loss_fen": [None, loss],
            "payout_fen": [None, payout],
            "risk_fund_balance_fen": balance,
        },
    )
    return entry


@transaction.atomic
def record_recovery(
    loan: Loan, *, by: User, recovered_on: datetime.date, amount_fen: int, note: str = ""
) -> RiskFundEntry:
    """Money the bank later recovers goes back to the fund in full (全额归还风险缓释基金专户), shared as the
    payout was."""
    ensure_county_office(by, loan.region_id)
    loan = lock_loan(loan)
    if loan.status != LoanStatus.DEFAULTED:
        raise FundsError({"status": gettext("只有已代偿的贷款才能登记追回资金")})
    positive_fen(amount_fen, "amount", gettext("追回金额"))
    ensure_not_future(recovered_on, "recovered_on", gettext("追回日期"))
    assert loan.defaulted_on is not None  # set with the status checked above
    if recovered_on < loan.defaulted_on:
        raise FundsError({"recovered_on": gettext("追回日期不能早于损失认定日期")})
    paid_out, recovered = recovered_so_far(loan)
    room = interest.recoverable(paid_out, recovered)
    if amount_fen > room:
        raise FundsError(
            {"amount": gettext("归还风险缓释金不能超过尚未追回的代偿金额%(room)s元") % {"room": yuan(room)}}
        )
    account, policy = _loan_account(loan)
    entry, balance = _post_for_loan(
        loan,
        account,
        policy,
        kind=RiskEntryKind.RECOVERY,
        amount_fen=amount_fen,
        by=by,
        occurred_on=recovered_on,
        note=note,
    )
    record(
        by=by,
        action="risk_fund_recovery",
        target=entry,
        household=loan.household,
        scope_code=loan.region_id,
        changes={
            "loan": [None, loan.pk],
            "amount_fen": [None, amount_fen],
            "balance_fen": balance,
        },
    )
    return entry
