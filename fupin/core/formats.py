"""How figures are written on fupin's pages."""

from decimal import Decimal, InvalidOperation
from typing import Any

from .money import format_yuan as yuan  # noqa: F401  (money in yuan: 12,345.60; the `yuan` template filter)


def amount(value: Any) -> str:
    """An area or distance without trailing zeros: 2.50 → 2.5, 3.00 → 3."""
    if value in (None, ""):
        return "—"
    try:
        d = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    text = f"{d:,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def thousands(value: Any) -> str:
    """A count with thousands separators: 101250 → 101,250."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)
