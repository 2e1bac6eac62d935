"""fupin.core.money: one parser, one wording, yuan↔fen and the formatters, for every amount."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fupin.core import money
from fupin.core.errors import ServiceError
from fupin.core.money import MoneyError
from fupin.funds import interest

# Two-place amounts from 0 up to the largest any column holds.
amounts = st.integers(min_value=0, max_value=int(money.MAX_BELOW * 100) - 1).map(
    lambda fen: Decimal(fen) / 100
)
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
fens = st.integers(min_value=0, max_value=int(money.MAX_BELOW * 100) - 1)


@given(amounts)
def test_parsing_what_was_formatted_gives_the_amount_back(amount):
    assert money.parse_yuan(money.format_yuan(amount)) == amount


@given(fens)
def test_fen_round_trip(fen):
    assert money.yuan_to_fen(money.fen_to_yuan(fen)) == fen
    assert money.yuan_to_fen(money.format_fen(fen)) == fen


@given(amounts)
def test_plain_strings_and_integers_parse_exactly(amount):
    assert money.parse_yuan(str(amount)) == amount
    assert money.parse_yuan(f"{amount:f}".translate(FULL_WIDTH)) == amount
    if amount == amount.to_integral_value():
        assert money.parse_yuan(int(amount)) == amount


@given(
    st.integers(min_value=1, max_value=10**13),
    st.sampled_from([money.FUNDS_BELOW, money.CHANGE_INCOME_BELOW, money.ASSISTANCE_BELOW, Decimal(10) ** 9]),
)
def test_a_limit_refuses_the_limit_and_above_and_accepts_below(extra_fen, below):
    assert money.parse_yuan(below - money.CENT, below=below) == below - money.CENT
    with pytest.raises(MoneyError, match="不能超过"):
        money.parse_yuan(below + Decimal(extra_fen - 1) / 100, below=below)


@given(st.decimals(min_value=Decimal("0.001"), max_value=Decimal(10**6), places=4))
def test_fractions_of_a_fen_are_refused_never_rounded(amount):
    if amount != amount.quantize(money.CENT):
        with pytest.raises(MoneyError, match="最多保留两位小数"):
            money.parse_yuan(amount)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_floats_are_refused(value):
    with pytest.raises(TypeError):
        money.parse_yuan(value)


@pytest.mark.parametrize(
    "bad, message",
    [
        ("abc", "请输入金额（元）"),
        ("NaN", "请输入金额（元）"),
        ("sNaN", "请输入金额（元）"),
        ("inf", "请输入金额（元）"),
        ("-Infinity", "请输入金额（元）"),
        (Decimal("NaN"), "请输入金额（元）"),
        ("", "请输入金额（元）"),
        (None, "请输入金额（元）"),
        (True, "请输入金额（元）"),
        ([1], "请输入金额（元）"),
        ("1.2.3", "请输入金额（元）"),
        ("-1", "金额不能为负数"),
        ("1.005", "金额最多保留两位小数"),
        ("1e30", "金额不能超过"),
        ("9" * 5000, "金额不能超过"),
    ],
)
def test_garbage_is_refused_with_one_wording(bad, message):
    with pytest.raises(MoneyError, match=message):
        money.parse_yuan(bad)


def test_separators_and_full_width_digits_as_people_type_them():
    assert money.parse_yuan("1,234.5") == Decimal("1234.50")
    assert money.parse_yuan("１，２３４.５") == Decimal("1234.50")
    assert money.parse_yuan(" 12 ") == Decimal("12.00")
    assert money.parse_yuan("1.500") == Decimal("1.50")


def test_a_blank_means_what_the_caller_says():
    assert money.parse_yuan("", blank=Decimal("0.00")) == Decimal("0.00")
    assert money.parse_yuan(None, blank=Decimal("0.00")) == Decimal("0.00")
    with pytest.raises(MoneyError):
        money.parse_yuan("")


def test_the_label_words_the_refusal():
    with pytest.raises(MoneyError, match="^数值最多保留两位小数$"):
        money.parse_yuan("1.234", label="数值", unit="")
    with pytest.raises(MoneyError, match="^请输入金额（元）$"):
        money.parse_yuan("x", label="金额（元）", unit="")


def test_a_money_refusal_is_a_service_error_and_funds_reads_the_same_class():
    assert issubclass(MoneyError, ServiceError) and interest.MoneyError is MoneyError


def test_formatting():
    assert money.format_yuan(Decimal("12345.6")) == "12,345.60"
    assert money.format_yuan(None) == "—"
    assert money.format_fen(123456) == "1,234.56"
    assert money.format_fen("") == "—"
    assert money.format_fen("x") == "x"
    assert money.fen_to_yuan(5) == Decimal("0.05")
