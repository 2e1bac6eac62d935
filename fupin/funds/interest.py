"""Money arithmetic for projects, funds and microloans: pure functions, no database.

Every amount is an integer number of fen (分); rates and shares are `Decimal` percentages.
Intermediate results are exact `Fraction`s and are rounded once, where the rule below says,
half up to the fen (四舍五入到分). Floats are refused everywhere.

The rules come from seed 001 篇6 (赣州市“产业扶贫信贷通”实施方案):

* 四（三）“执行人民银行公布的同期贷款基准利率，贷款按季结息”. Interest is simple
  interest on the outstanding principal, actual days over a 360-day year (日利率 = 年利率 ÷ 360,
  the People's Bank rule for RMB loans). A day accrues interest when
  `disbursed_on <= day < repaid_on` and `day < maturity_on` (算头不算尾: the day of
  disbursement counts, the day of repayment and the maturity day do not).
* Interest periods (结息期) end on the settlement day (结息日, by default the 20th) of March,
  June, September and December: period 2025-Q1 runs 2024-12-21 … 2025-03-20. This is why the
  seed lets banks report the subsidy list “于每季最后一个月26号前”, six days after 结息日.
  A county whose banks settle at calendar quarter end sets the settlement day to 31 (the
  last day of the month).
* 五（四）“对贫困户贷款按同期贷款基准利率的100%给予贴息，对农业企业、家庭农场和农民合作经济组织
  带动贫困户的贷款按同期贷款基准利率的50%给予贴息，贴息期限为3年。对贫困户的贷款贴息每季度
  结算一次，对……的贷款贴息每年结算一次”. The subsidy of a period is
  principal-days × benchmark rate × share ÷ 360, counted only on days inside the first three
  years after disbursement, rounded half up to the fen per loan per interest period; it is
  then capped at the interest the borrower actually paid for that period (六（五）: the
  borrower settles first, the county subsidises “据实”). A year's figure is the sum of its
  four rounded period figures, so the yearly and quarterly lists always agree.
* 五（一）risk compensation fund (风险缓释基金): deposits are a share of the loans actually
  issued, per calendar quarter (banks report issuance “于每季度结束后次月10日前”). The seed's
  share is garbled (“.5%”); its own figures — 10亿元 of fund levering 80亿元 of loans — give
  1 : 8 = 12.5 %, the default. The deposit is rounded half up to the fen per bank per quarter.
  The fund pays a loss “等额代偿” up to its balance (“以风险缓释金为限”); the city and county
  bear a payout 5 : 5 — the city's part is rounded half up to the fen and the county's is the
  remainder, so the two always add up. Recoveries go back to the fund in full, at most what
  the fund paid out for that loan.
"""

import calendar
import datetime
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.utils.translation import gettext

from fupin.core.money import MoneyError, fen_to_yuan, yuan_to_fen  # noqa: F401  (funds' callers read money here)

DAYS_PER_YEAR = 360
DEFAULT_SETTLEMENT_DAY = 20
QUARTER_END_MONTHS = (3, 6, 9, 12)


# --- money -----------------------------------------------------------------------------


def round_half_up(value: Fraction | int) -> int:
    """The nearest integer, halves away from zero (四舍五入)."""
    value = Fraction(value)
    if value < 0:
        return -round_half_up(-value)
    return int((value + Fraction(1, 2)).__floor__())


def percent_of(amount_fen: int, share_percent: Decimal) -> int:
    """amount × share %, rounded half up to the fen."""
    return round_half_up(Fraction(int(amount_fen)) * Fraction(Decimal(share_percent)) / 100)


# --- dates -----------------------------------------------------------------------------


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later; the 31st becomes the month's last day (借款期限按月计)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day: datetime.date, years: int) -> datetime.date:
    return add_months(day, 12 * years)


def quarter_of(day: datetime.date) -> tuple[int, int]:
    """The calendar quarter of a day."""
    return day.year, (day.month - 1) // 3 + 1


def _settlement_date(year: int, month: int, settlement_day: int) -> datetime.date:
    return datetime.date(year, month, min(settlement_day, calendar.monthrange(year, month)[1]))


def _check_quarter(quarter: int) -> None:
    if quarter not in (1, 2, 3, 4):
        raise ValueError(gettext("季度应为1到4"))


def interest_period(
    year: int, quarter: int, settlement_day: int = DEFAULT_SETTLEMENT_DAY
) -> tuple[datetime.date, datetime.date]:
    """First and last day (both inclusive) of the interest period ending on quarter's 结息日."""
    _check_quarter(quarter)
    end = _settlement_date(year, 3 * quarter, settlement_day)
    prev_year, prev_month = (year - 1, 12) if quarter == 1 else (year, 3 * quarter - 3)
    start = _settlement_date(prev_year, prev_month, settlement_day) + datetime.timedelta(days=1)
    return start, end


def interest_period_of(day: datetime.date, settlement_day: int = DEFAULT_SETTLEMENT_DAY) -> tuple[int, int]:
    """The (year, quarter) of the interest period a day belongs to."""
    year, quarter = quarter_of(day)
    start, end = interest_period(year, quarter, settlement_day)
    if day > end:
        return (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return year, quarter


# --- loans -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LoanTerms:
    """What the arithmetic needs to know about one loan."""

    principal_fen: int
    disbursed_on: datetime.date
    maturity_on: datetime.date
    annual_rate: Decimal  # contract rate, percent per year
    benchmark_rate: Decimal  # 同期贷款基准利率, percent per year
    subsidy_share: Decimal  # percent of the benchmark rate the county pays (100 / 50)
    subsidy_years: int = 3
    repayments: tuple[tuple[datetime.date, int], ...] = ()  # (date, principal repaid in fen)

    @property
    def subsidy_ends_on(self) -> datetime.date:
        """The first day no longer subsidised: three years after disbursement, or maturity if earlier."""
        return min(add_years(self.disbursed_on, self.subsidy_years), self.maturity_on)


def principal_days(
    principal_fen: int,
    disbursed_on: datetime.date,
    repayments,
    start: datetime.date,
    end_exclusive: datetime.date,
) -> int:
    """Σ outstanding principal (fen) over each accruing day in [start, end_exclusive).

    A day accrues on the principal outstanding at the start of that day: principal repaid on a
    day stops accruing that day (算头不算尾).
    """
    start = max(start, disbursed_on)
    if end_exclusive <= start:
        return 0
    changes = sorted((on, amount) for on, amount in repayments if on < end_exclusive)
    balance = int(principal_fen) - sum(amount for on, amount in changes if on <= start)
    total = 0
    cursor = start
    for on, amount in changes:
        if on <= start:
            continue
        total += max(balance, 0) * (on - cursor).days
        balance -= amount
        cursor = on
    total += max(balance, 0) * (end_exclusive - cursor).days
    return total


def interest_fen(principal_days_fen: int, annual_rate_percent: Decimal) -> int:
    """Simple interest on principal-days at an annual percent rate, actual/360, half up to the fen."""
    return round_half_up(
        Fraction(principal_days_fen) * Fraction(Decimal(annual_rate_percent)) / (100 * DAYS_PER_YEAR)
    )


@dataclass(frozen=True)
class PeriodFigures:
    """One loan's interest and subsidy for one interest period."""

    year: int
    quarter: int
    start: datetime.date
    end: datetime.date
    interest_days: int
    interest_fen: int
    subsidy_days: int
    subsidy_fen: int  # before the cap at interest actually paid

    def payable_subsidy_fen(self, interest_paid_fen: int | None) -> int:
        """The subsidy due once the borrower has paid; nothing while interest is unpaid."""
        return payable_subsidy(self.subsidy_fen, interest_paid_fen)


def payable_subsidy(subsidy_fen: int, interest_paid_fen: int | None) -> int:
    if not interest_paid_fen or interest_paid_fen <= 0:
        return 0
    return min(subsidy_fen, interest_paid_fen)


def paid_off_on(principal_fen: int, repayments) -> datetime.date | None:
    """The day the last of the principal was repaid; None while some is outstanding."""
    repaid = 0
    for on, amount in sorted(repayments):
        repaid += amount
        if repaid >= principal_fen:
            return on
    return None


def _accruing_days(terms: LoanTerms, start: datetime.date, end_exclusive: datetime.date) -> int:
    """Days in [start, end_exclusive) on which some principal accrues interest."""
    start = max(start, terms.disbursed_on)
    payoff = paid_off_on(terms.principal_fen, terms.repayments)
    end = min(end_exclusive, payoff) if payoff else end_exclusive
    return max((end - start).days, 0)


def period_figures(
    terms: LoanTerms, year: int, quarter: int, settlement_day: int = DEFAULT_SETTLEMENT_DAY
) -> PeriodFigures:
    start, end = interest_period(year, quarter, settlement_day)
    after_end = end + datetime.timedelta(days=1)
    accrual_end = min(after_end, terms.maturity_on)
    subsidy_end = min(after_end, terms.subsidy_ends_on)
    interest_pd = principal_days(
        terms.principal_fen, terms.disbursed_on, terms.repayments, start, accrual_end
    )
    subsidy_pd = principal_days(terms.principal_fen, terms.disbursed_on, terms.repayments, start, subsidy_end)
    subsidy_rate = Decimal(terms.benchmark_rate) * Decimal(terms.subsidy_share) / 100
    return PeriodFigures(
        year=year,
        quarter=quarter,
        start=start,
        end=end,
        interest_days=_accruing_days(terms, start, accrual_end),
        interest_fen=interest_fen(interest_pd, terms.annual_rate),
        subsidy_days=_accruing_days(terms, start, subsidy_end),
        subsidy_fen=interest_fen(subsidy_pd, subsidy_rate),
    )


def loan_periods(terms: LoanTerms, settlement_day: int = DEFAULT_SETTLEMENT_DAY) -> list[tuple[int, int]]:
    """Every interest period from disbursement to maturity, in order."""
    periods = []
    year, quarter = interest_period_of(terms.disbursed_on, settlement_day)
    last = interest_period_of(terms.maturity_on - datetime.timedelta(days=1), settlement_day)
    while (year, quarter) <= last:
        periods.append((year, quarter))
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return periods


def year_figures(
    terms: LoanTerms, year: int, settlement_day: int = DEFAULT_SETTLEMENT_DAY
) -> list[PeriodFigures]:
    """The four interest periods ending in `year`; their sum is the year's settlement."""
    return [period_figures(terms, year, q, settlement_day) for q in (1, 2, 3, 4)]


# --- risk compensation fund ---------------------------------------------------------------


def deposit_due(issued_fen: int, share_percent: Decimal) -> int:
    """The deposit owed for loans issued in a quarter (seed 篇6 五（一）)."""
    return percent_of(issued_fen, share_percent)


def compensation(loss_fen: int, balance_fen: int) -> int:
    """What the fund pays for a loss: the loss in full, never more than the fund holds."""
    if loss_fen < 0 or balance_fen < 0:
        raise ValueError(gettext("金额不能为负数"))
    return min(loss_fen, balance_fen)


def split_shares(amount_fen: int, city_parts: int = 5, county_parts: int = 5) -> tuple[int, int]:
    """(city, county) parts of an amount in the ratio city_parts : county_parts.

    The city's part is rounded half up to the fen; the county's is the remainder, so the two
    always add up to the amount.
    """
    if city_parts < 0 or county_parts < 0 or city_parts + county_parts == 0:
        raise ValueError(gettext("分担比例无效"))
    city = round_half_up(Fraction(int(amount_fen) * city_parts, city_parts + county_parts))
    return city, int(amount_fen) - city


def recoverable(paid_out_fen: int, recovered_fen: int) -> int:
    """How much more may be returned to the fund for one loan."""
    return max(paid_out_fen - recovered_fen, 0)
