"""Money, in one place: parsing yuan typed or sent by people, yuan↔fen, and how sums are written.

Amounts are Decimal with two places (yuan) or integer fen, never float. One wording of the
refusals everywhere; each use keeps its own upper limit (the `below` constants here).
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import ServiceError

CENT = Decimal("0.01")
FEN_PER_YUAN = 100
SEPARATORS = (",", "，")  # thousands separators people type, half- and full-width

# Upper limits (exclusive), in yuan, per use: what the column or the form has always accepted.
FUNDS_BELOW = Decimal(10) ** 12  # projects, funds, loans: a 14-digit yuan field with two places
CHANGE_INCOME_BELOW = Decimal(10) ** 9  # an income correction proposed in a change request
ASSISTANCE_BELOW = Decimal(10) ** 10  # a help measure's investment
MAX_BELOW = Decimal(10) ** 16  # without a use's own limit: any sum whose fen fit a 64-bit integer column


def below_digits(max_digits: int) -> Decimal:
    """The exclusive limit of a DecimalField(max_digits, decimal_places=2): 11 digits → 10^9."""
    return Decimal(10) ** (max_digits - 2)


# parse_yuan's refusals, as templates: the field app's phone checks an amount offline with these same words
MESSAGES = {
    "invalid": "请输入{label}（{unit}）",
    "invalid_no_unit": "请输入{label}",
    "negative": "{label}不能为负数",
    "places": "{label}最多保留两位小数",
    "limit": "{label}不能超过 {limit}",
}


def messages_for(*, below: Decimal | None = None, label: str = "金额", unit: str = "元") -> dict[str, str]:
    """parse_yuan's refusals for one use, worded as it words them (the field app's rules carry these)."""
    limit = MAX_BELOW if below is None else below
    return {
        "invalid": MESSAGES["invalid"].format(label=label, unit=unit)
        if unit
        else MESSAGES["invalid_no_unit"].format(label=label),
        "negative": MESSAGES["negative"].format(label=label),
        "places": MESSAGES["places"].format(label=label),
        "limit": MESSAGES["limit"].format(label=label, limit=format_yuan(limit - CENT)),
    }


class MoneyError(ServiceError):
    """An amount that is not a valid sum of money; the message is Chinese."""


def parse_yuan(
    value: Any,
    *,
    below: Decimal | None = None,
    label: str = "金额",
    unit: str = "元",
    blank: Decimal | None = None,
) -> Decimal:
    """'1,234.5' / '１２３４.５' / 1234 / Decimal('1234.50') → Decimal('1234.50').

    Refuses negatives, fractions of a fen, NaN and infinities, anything that is not a number,
    and amounts of `below` (default MAX_BELOW) or more; `blank` is what an empty value means (refused
    when None). A float is a programming error (TypeError): money never passes through one.
    `label` and `unit` word the refusal: 请输入金额（元）, 金额不能为负数, 金额最多保留两位小数.
    """
    if isinstance(value, float):
        raise TypeError("money must not be float")
    if blank is not None and (value is None or (isinstance(value, str) and not value.strip())):
        return blank

    def refuse(reason: str) -> MoneyError:
        return MoneyError(messages_for(below=below, label=label, unit=unit)[reason])

    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise refuse("invalid")
    if isinstance(value, str):
        value = value.strip()
        for separator in SEPARATORS:
            value = value.replace(separator, "")
    try:
        amount = Decimal(value)
    except (InvalidOperation, ValueError):
        raise refuse("invalid") from None
    if not amount.is_finite():
        raise refuse("invalid")
    if amount < 0:
        raise refuse("negative")
    sign, digits, exponent = amount.as_tuple()
    if (
        isinstance(exponent, int) and exponent < -2 and any(digits[exponent + 2 :])
    ):  # a nonzero digit after the fen
        raise refuse("places")
    limit = MAX_BELOW if below is None else below
    if amount >= limit:
        raise refuse("limit")
    return amount.quantize(CENT)


def yuan_to_fen(value: Any, *, below: Decimal | None = None, label: str = "金额", unit: str = "元") -> int:
    """'1234.5' → 123450, refusing what `parse_yuan` refuses (an empty value too)."""
    return int(parse_yuan(value, below=below, label=label, unit=unit) * FEN_PER_YUAN)


def fen_to_yuan(fen: int) -> Decimal:
    """123450 → Decimal('1234.50')."""
    return (Decimal(int(fen)) / FEN_PER_YUAN).quantize(CENT)


def format_yuan(value: Any) -> str:
    """Yuan with thousands separators and two places: 12,345.60; empty shows a dash, anything else as it
    is."""
    if value in (None, ""):
        return "—"
    try:
        return f"{Decimal(repr(value) if isinstance(value, float) else value):,.2f}"
    except (InvalidOperation, TypeError, ValueError):
        return str(value)


def format_fen(fen: int | None) -> str:
    """Integer fen as yuan: 123456 → 1,234.56; empty shows a dash, anything else as it is."""
    if fen in (None, ""):
        return "—"
    try:
        return format_yuan(fen_to_yuan(int(fen)))
    except (TypeError, ValueError):
        return str(fen)
