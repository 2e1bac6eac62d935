"""Working days (工作日) in mainland China: weekends, public holidays and make-up working days (调休).

The calendar is the `chinesecalendar` package's (PyPI `chinesecalendar`, import name `chinese_calendar`),
which carries the State Council's yearly holiday notice (国务院办公厅关于部分节假日安排的通知). The notice for
the next year is published each November: upgrade the package then (`pip install -U chinesecalendar`, see
README).

A year the package does not know yet is counted by weekends alone, corrected by the settings
FUPIN_EXTRA_HOLIDAYS and FUPIN_EXTRA_WORKDAYS (ISO dates), so a county can enter a new notice by hand before
the package is released; `covered(year)` says whether a year's dates come from a published notice.
"""

from __future__ import annotations

import datetime
from functools import lru_cache

import chinese_calendar
from django.conf import settings

ONE_DAY = datetime.timedelta(days=1)


@lru_cache(maxsize=1)
def _overrides(holidays: tuple, workdays: tuple) -> tuple[frozenset, frozenset]:
    return frozenset(map(datetime.date.fromisoformat, holidays)), frozenset(
        map(datetime.date.fromisoformat, workdays)
    )


def _extra() -> tuple[frozenset, frozenset]:
    return _overrides(
        tuple(getattr(settings, "FUPIN_EXTRA_HOLIDAYS", ()) or ()),
        tuple(getattr(settings, "FUPIN_EXTRA_WORKDAYS", ()) or ()),
    )


def covered(year: int) -> bool:
    """Whether the installed package holds the official holiday notice for `year`."""
    return any(day.year == year for day in chinese_calendar.holidays)


def known(year: int) -> bool:
    """Whether `year`'s holidays are known: from the package, or entered by hand (FUPIN_EXTRA_HOLIDAYS)."""
    holidays, workdays = _extra()
    return covered(year) or any(day.year == year for day in holidays | workdays)


def unknown_years(today: datetime.date, *, ahead_days: int = 60) -> list[int]:
    """The years a deadline set today may fall in (today to `ahead_days` on) whose holidays are not known, so
    the pages can say that deadlines there count weekends only until the calendar is updated."""
    years = range(today.year, (today + datetime.timedelta(days=ahead_days)).year + 1)
    return [year for year in years if not known(year)]


def is_workday(day: datetime.date) -> bool:
    holidays, workdays = _extra()
    if day in holidays:
        return False
    if day in workdays:
        return True
    try:
        return chinese_calendar.is_workday(day)
    except (
        NotImplementedError
    ):  # a year after the package's last notice: weekends only (see module docstring)
        return day.weekday() < 5


def add_workdays(start: datetime.date, count: int) -> datetime.date:
    """The `count`-th working day after `start` (start itself not counted, whatever it is).

    A step received on a Friday with 2 working days is due on the Tuesday; received on the eve of the Spring
    Festival it is due on the second working day after the holiday (a 调休 Saturday counts).
    """
    day = start
    while count > 0:
        day += ONE_DAY
        if is_workday(day):
            count -= 1
    return day


def workdays_between(start: datetime.date, end: datetime.date) -> int:
    """Working days after `start` up to and including `end` (negative when `end` comes first)."""
    if end < start:
        return -workdays_between(end, start)
    count, day = 0, start
    while day < end:
        day += ONE_DAY
        count += is_workday(day)
    return count
