"""Interest, subsidy and risk-fund arithmetic against hand-worked examples, and rules that hold for all
inputs.

Hand-worked figures (actual/360, half up to the fen per loan per period, 结息日 the 20th):
a 50,000-yuan loan at 4.75 % disbursed 2025-01-10 accrues in period 2025-Q1
(2024-12-21 … 2025-03-20) 22 + 28 + 20 = 70 days: 50,000 × 4.75 % × 70 / 360 = 461.8055… → 461.81.
"""

import datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from fupin.funds import interest
from fupin.funds.interest import LoanTerms, MoneyError

D = datetime.date


def loan(**kw) -> LoanTerms:
    values = dict(
        principal_fen=5_000_000,
        disbursed_on=D(2025, 1, 10),
        maturity_on=D(2028, 1, 10),
        annual_rate=Decimal("4.75"),
        benchmark_rate=Decimal("4.75"),
        subsidy_share=Decimal("100"),
    )
    return LoanTerms(**(values | kw))


# --- hand-worked examples ------------------------------------------------------------------------


def test_interest_periods_end_on_the_20th_of_the_quarters_last_month():
    assert interest.interest_period(2025, 1) == (D(2024, 12, 21), D(2025, 3, 20))
    assert interest.interest_period(2025, 2) == (D(2025, 3, 21), D(2025, 6, 20))
    assert interest.interest_period(2025, 1, settlement_day=31) == (D(2025, 1, 1), D(2025, 3, 31))
    assert interest.interest_period(2025, 2, settlement_day=31) == (D(2025, 4, 1), D(2025, 6, 30))
    assert interest.interest_period_of(D(2025, 3, 20)) == (2025, 1)
    assert interest.interest_period_of(D(2025, 3, 21)) == (2025, 2)
    assert interest.interest_period_of(D(2025, 12, 21)) == (2026, 1)


def test_partial_first_quarter_counts_from_the_day_of_disbursement():
    q1 = interest.period_figures(loan(), 2025, 1)
    assert q1.interest_days == 70
    assert q1.interest_fen == 46181  # 461.8055… → 461.81
    assert q1.subsidy_fen == 46181  # households: 100 % of the benchmark rate


def test_full_quarter_interest_and_subsidy():
    q2 = interest.period_figures(loan(), 2025, 2)
    assert q2.interest_days == 92  # 11 + 30 + 31 + 20
    assert q2.interest_fen == 60694  # 50,000 × 4.75 % × 92 / 360 = 606.944…
    assert q2.subsidy_fen == 60694


def test_enterprise_subsidy_is_half_the_benchmark_rate():
    q1 = interest.period_figures(loan(subsidy_share=Decimal("50")), 2025, 1)
    assert q1.interest_fen == 46181
    assert q1.subsidy_fen == 23090  # 461.8055… / 2 = 230.9027… → 230.90


def test_subsidy_uses_the_benchmark_rate_when_the_bank_charges_more():
    q1 = interest.period_figures(loan(annual_rate=Decimal("5.22")), 2025, 1)
    assert q1.interest_fen == 50750  # 50,000 × 5.22 % × 70 / 360 = 507.50
    assert q1.subsidy_fen == 46181


def test_early_partial_repayment_reduces_interest_from_the_repayment_day():
    terms = loan(repayments=((D(2025, 5, 1), 2_000_000),))
    q2 = interest.period_figures(terms, 2025, 2)
    # 50,000 × 41 days (3-21 … 4-30) + 30,000 × 51 days (5-1 … 6-20) = 3,580,000 yuan-days
    assert q2.interest_fen == 47236  # 3,580,000 × 4.75 % / 360 = 472.3611…
    assert q2.interest_days == 92


def test_early_full_repayment_ends_interest_and_subsidy():
    terms = loan(repayments=((D(2025, 5, 1), 2_000_000), (D(2025, 8, 1), 3_000_000)))
    q3 = interest.period_figures(terms, 2025, 3)
    assert q3.interest_days == 41  # 6-21 … 7-31
    assert q3.interest_fen == 16229  # 30,000 × 4.75 % × 41 / 360 = 162.2916…
    assert q3.subsidy_fen == 16229
    q4 = interest.period_figures(terms, 2025, 4)
    assert (q4.interest_days, q4.interest_fen, q4.subsidy_fen) == (0, 0, 0)


def test_subsidy_stops_three_years_after_disbursement():
    terms = loan(maturity_on=D(2030, 1, 10))  # a 5-year loan
    q = interest.period_figures(terms, 2028, 1)
    assert q.interest_days == 91  # 11 + 31 + 29 (leap year) + 20
    assert q.subsidy_days == 20  # 2027-12-21 … 2028-01-09
    assert q.subsidy_fen == 13194  # 50,000 × 4.75 % × 20 / 360 = 131.944…
    assert interest.period_figures(terms, 2028, 2).subsidy_fen == 0
    assert interest.period_figures(terms, 2028, 2).interest_fen > 0


def test_maturity_day_does_not_accrue():
    q = interest.period_figures(loan(), 2028, 1)  # matures 2028-01-10
    assert q.interest_days == 20
    assert interest.loan_periods(loan())[0] == (2025, 1)
    assert interest.loan_periods(loan())[-1] == (2028, 1)
    assert len(interest.loan_periods(loan())) == 13


def test_subsidy_is_capped_at_the_interest_actually_paid_and_nothing_while_unpaid():
    q1 = interest.period_figures(loan(), 2025, 1)
    assert q1.payable_subsidy_fen(None) == 0
    assert q1.payable_subsidy_fen(0) == 0
    assert q1.payable_subsidy_fen(40000) == 40000
    assert q1.payable_subsidy_fen(46181) == 46181
    assert q1.payable_subsidy_fen(99999) == 46181


def test_a_year_is_the_sum_of_its_rounded_periods():
    terms = loan(subsidy_share=Decimal("50"))
    figures = interest.year_figures(terms, 2025)
    # Q2, Q3: 92 days × 50,000 × 2.375 % / 360 = 303.472… → 303.47; Q4: 9-21 … 12-20 = 91 days → 300.1736… →
    # 300.17
    assert [f.subsidy_fen for f in figures] == [23090, 30347, 30347, 30017]
    assert [f.interest_days for f in figures] == [70, 92, 92, 91]
    assert sum(f.subsidy_fen for f in figures) == 113801


def test_risk_fund_deposit_is_a_share_of_loans_issued():
    assert interest.deposit_due(13_000_000, Decimal("12.5")) == 1_625_000  # 130,000 → 16,250.00
    assert interest.deposit_due(3_333_333, Decimal("12.5")) == 416_667  # 4,166.66625 → 4,166.67


def test_payout_is_capped_by_the_fund_and_shared_city_county_five_five():
    loss = 3_000_000 + 35_625  # 30,000 + 356.25
    assert interest.compensation(loss, 4_000_000) == 3_035_625
    assert interest.compensation(loss, 1_625_000) == 1_625_000  # 以风险缓释金为限
    assert interest.split_shares(3_035_625) == (1_517_813, 1_517_812)  # 15,178.125 → 15,178.13 + 15,178.12
    assert interest.split_shares(1_000_000, 6, 4) == (600_000, 400_000)
    assert interest.recoverable(3_035_625, 1_000_000) == 2_035_625


def test_money_parsing_is_exact_and_refuses_floats_and_fractions_of_a_fen():
    assert interest.yuan_to_fen("50000") == 5_000_000
    assert interest.yuan_to_fen("1,234.5") == 123_450
    assert interest.yuan_to_fen(Decimal("0.01")) == 1
    for bad, message in [
        ("-1", "金额不能为负数"),
        ("1.005", "金额最多保留两位小数"),
        ("abc", "请输入金额（元）"),
        ("NaN", "请输入金额（元）"),
    ]:
        with pytest.raises(MoneyError, match=message):
            interest.yuan_to_fen(bad)
    with pytest.raises(TypeError):
        interest.yuan_to_fen(1.5)


def test_add_months_keeps_month_ends():
    assert interest.add_months(D(2025, 1, 31), 1) == D(2025, 2, 28)
    assert interest.add_months(D(2024, 2, 29), 36) == D(2027, 2, 28)
    assert interest.add_months(D(2025, 1, 10), 36) == D(2028, 1, 10)


# --- rules for all inputs ----------------------------------------------------------------------

days = st.dates(min_value=D(2014, 1, 1), max_value=D(2030, 12, 31))
rates = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("20"), places=2)


@st.composite
def loans(draw):
    principal = draw(st.integers(min_value=100, max_value=50_000_000))
    disbursed = draw(days)
    term = draw(st.integers(min_value=1, max_value=72))
    maturity = interest.add_months(disbursed, term)
    n = draw(st.integers(min_value=0, max_value=4))
    repayment_days = sorted(
        draw(st.lists(st.dates(min_value=disbursed, max_value=maturity), min_size=n, max_size=n))
    )
    repayments, left = [], principal
    for day in repayment_days:
        amount = draw(st.integers(min_value=1, max_value=max(left, 1)))
        if left <= 0:
            break
        amount = min(amount, left)
        repayments.append((day, amount))
        left -= amount
    rate = draw(rates)
    share = draw(st.sampled_from([Decimal("100"), Decimal("50"), Decimal("80")]))
    return LoanTerms(
        principal_fen=principal,
        disbursed_on=disbursed,
        maturity_on=maturity,
        annual_rate=rate,
        benchmark_rate=draw(rates),
        subsidy_share=share,
        subsidy_years=draw(st.integers(1, 5)),
        repayments=tuple(repayments),
    )


@given(st.integers(min_value=0, max_value=10**13), st.integers(0, 10), st.integers(0, 10))
def test_shares_always_add_up_and_are_within_a_fen_of_exact(amount, city_parts, county_parts):
    assume(city_parts + county_parts > 0)
    city, county = interest.split_shares(amount, city_parts, county_parts)
    assert city + county == amount
    assert abs(Fraction(city) - Fraction(amount * city_parts, city_parts + county_parts)) <= Fraction(1, 2)
    assert city >= 0 and county >= 0


@given(days, st.sampled_from([20, 21, 28, 31]))
def test_every_day_is_in_exactly_the_period_it_is_assigned_to(day, settlement_day):
    year, quarter = interest.interest_period_of(day, settlement_day)
    start, end = interest.interest_period(year, quarter, settlement_day)
    assert start <= day <= end
    next_year, next_quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    assert interest.interest_period(next_year, next_quarter, settlement_day)[0] == end + datetime.timedelta(
        days=1
    )


@given(loans(), st.sampled_from([20, 31]))
def test_periods_partition_the_loan_and_rounding_loses_at_most_half_a_fen_per_period(terms, settlement_day):
    periods = interest.loan_periods(terms, settlement_day)
    whole = interest.principal_days(
        terms.principal_fen, terms.disbursed_on, terms.repayments, terms.disbursed_on, terms.maturity_on
    )
    parts = 0
    rounded = 0
    for year, quarter in periods:
        start, end = interest.interest_period(year, quarter, settlement_day)
        parts += interest.principal_days(
            terms.principal_fen,
            terms.disbursed_on,
            terms.repayments,
            start,
            min(end + datetime.timedelta(days=1), terms.maturity_on),
        )
        rounded += interest.period_figures(terms, year, quarter, settlement_day).interest_fen
    assert parts == whole
    exact = Fraction(whole) * Fraction(terms.annual_rate) / 36000
    assert abs(rounded - exact) <= Fraction(len(periods), 2)


@given(loans())
def test_subsidy_never_exceeds_interest_when_the_subsidised_rate_is_not_above_the_contract_rate(terms):
    assume(terms.benchmark_rate * terms.subsidy_share / 100 <= terms.annual_rate)
    for year, quarter in interest.loan_periods(terms):
        f = interest.period_figures(terms, year, quarter)
        assert 0 <= f.subsidy_fen <= f.interest_fen
        assert f.subsidy_days <= f.interest_days


@given(loans(), st.integers(min_value=0, max_value=10**8))
def test_payable_subsidy_is_never_more_than_what_was_paid_or_computed(terms, paid):
    year, quarter = interest.loan_periods(terms)[0]
    f = interest.period_figures(terms, year, quarter)
    assert 0 <= f.payable_subsidy_fen(paid) <= min(paid, f.subsidy_fen)


@given(st.integers(min_value=0, max_value=10**12))
def test_fen_and_yuan_round_trip(fen):
    assert interest.yuan_to_fen(interest.fen_to_yuan(fen)) == fen


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=10**12))
def test_compensation_never_exceeds_the_loss_or_the_fund(loss, balance):
    paid = interest.compensation(loss, balance)
    assert paid == min(loss, balance)
