"""The declaration's clock: deadlines in working days (core.workdays), per province, and how urgent a case is.

Step limits come from settings.FUPIN_DECLARATION_DEADLINES: region code prefix → {"verify", "review", "total"}
working days; the longest prefix of the village's code wins ("" is the national default). The seeds' practice:
the village verifies at the home within 2 working days, the township reviews within 5 working days of the
verification, and the whole procedure ends within 15 to 25 working days by province.
"""

from __future__ import annotations

import datetime

from django.conf import settings

from fupin.core.workdays import add_workdays, is_workday

DEFAULT_LIMITS = {"verify": 2, "review": 5, "total": 15}

RED, ORANGE = "red", "orange"


def limits_for(village_code: str) -> dict[str, int]:
    table = getattr(settings, "FUPIN_DECLARATION_DEADLINES", {}) or {}
    best = max((p for p in table if village_code.startswith(p)), key=len, default=None)
    return {**DEFAULT_LIMITS, **(table[best] if best is not None else {})}


def receipt_deadlines(village_code: str, received_on: datetime.date) -> dict[str, datetime.date]:
    limits = limits_for(village_code)
    return {
        "verify_due": add_workdays(received_on, limits["verify"]),
        "total_due": add_workdays(received_on, limits["total"]),
    }


def review_deadline(village_code: str, verified_on: datetime.date, total_due: datetime.date) -> datetime.date:
    """The township's deadline counts from the verification, and never runs past the whole procedure's."""
    return min(add_workdays(verified_on, limits_for(village_code)["review"]), total_due)


def urgency(due_on: datetime.date | None, today: datetime.date) -> str:
    """'red' once the deadline has passed, 'orange' when it falls today or on the next working day, else
    ''."""
    if due_on is None:
        return ""
    if due_on < today:
        return RED
    if due_on <= add_workdays(today, 1):
        return ORANGE
    return ""


def next_working_day(today: datetime.date) -> datetime.date:
    return today if is_workday(today) else add_workdays(today, 1)
