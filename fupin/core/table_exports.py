"""Every table of the product to Excel (issue 18, build item 3): one mechanism for all of them.

An app describes each of its list pages once (`Table`): the columns the page shows, `query` (the rows the page
lists for this user and these GET parameters, scoped and filtered exactly as the page is; PermissionDenied or
Http404 where the page refuses) and `row` (one row's cells, masked exactly as the screen shows them unless the
export reveals them). It registers the description in its `AppConfig.ready()` (`register_table`), and its page
links to `export_url` with its own GET parameters.

The sheet is written by rustpy-xlsxwriter (rust_xlsxwriter in constant-memory mode, fed a generator): numbers
and dates are stored as numbers and dates, text columns carry Excel's quote prefix, so a name that begins with
`=` is text and stays text when edited (no formula injection, see spreadsheets.py). Up to BACKGROUND_ROWS rows
the file is written while the browser waits; a larger list becomes an `ExportFile` written by a background
task (fupin.core.tasks.write_export) with its progress on its own page, for its requester alone, kept
EXPIRE_HOURS.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from itertools import islice, repeat
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext

from . import spreadsheets

BACKGROUND_ROWS = getattr(settings, "FUPIN_EXPORT_BACKGROUND_ROWS", 5000)
EXPIRE_HOURS = 24
CHUNK = 2000
PROGRESS_EVERY = 5000
# the page's own parameters that say nothing about which rows: left out of the export's address
PAGE_ONLY = ("page", "reveal", "purpose", "note", "partial")


@dataclass(frozen=True)
class Column:
    heading: str | Promise
    number: bool = False  # a count, an amount, a figure: stored as a number (or a date), never as text
    width: float = 0  # in characters; 0: from the heading


@dataclass(frozen=True)
class Table:
    name: str  # "registry.households": the address's key, stable
    title: str | Promise  # the sheet's and file's name, e.g. 贫困户名单
    columns: Sequence[Column]
    query: Callable[
        [Any, QueryDict], QuerySet | Sequence
    ]  # (user, GET) -> the page's rows, scoped and filtered
    row: (
        Callable[[Any, bool], Sequence[Any]] | None
    )  # (one of those rows, revealed) -> its cells, masked unless revealed
    # (request, rows) -> True when the request asks to reveal and may (logging it); PermissionDenied if
    # refused
    reveal: Callable[[HttpRequest, Any], bool] | None = None
    chunk: int = field(default=CHUNK)
    # (query's answer, revealed) -> every row's cells, for a table whose rows are not one per object (instead
    # of row)
    cells: Callable[[Any, bool], Iterable[Sequence[Any]]] | None = None
    # True when every cell the table gives is already one the writer stores as it is (text, a number, a date,
    # None): handed to the writer without a look at each cell (the national form's million-row export)
    plain: bool = False


_TABLES: dict[str, Table] = {}


def register_table(table: Table) -> None:
    """Called from an app's AppConfig.ready(); a second registration under the same name replaces the
    first."""
    _TABLES[table.name] = table


def tables() -> dict[str, Table]:
    return dict(_TABLES)


def table_named(name: str) -> Table:
    try:
        return _TABLES[name]
    except KeyError:
        raise Http404(gettext("没有这张表")) from None


def export_url(name: str, params: QueryDict | None = None) -> str:
    """The export's address for the table `name` with the page's filters (its paging and reveal left out)."""
    url = reverse("core:export_start", args=[name])
    if params:
        kept = params.copy()
        for key in PAGE_ONLY:
            kept.pop(key, None)
        if kept:
            url += "?" + kept.urlencode()
    return url


def row_count(rows: Any) -> int:
    return rows.count() if isinstance(rows, QuerySet) else len(rows)


def _iterate(rows: QuerySet | Sequence, chunk: int) -> Iterable[Any]:
    if isinstance(rows, QuerySet):
        return rows.iterator(chunk_size=chunk)
    return rows


_AS_IS = frozenset({str, int, float, bool, Decimal, datetime.date, type(None)})


def moment(value: datetime.datetime | None) -> str:
    """A time as the pages show it (local, to the minute): as text, the sheet's dates being whole days."""
    return "" if value is None else timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def cell(value: Any) -> Any:
    """A value as the writer stores it: numbers as numbers, dates as dates, None as an empty cell, anything
    else (a translated label, a region, a choice) as its text."""
    if type(value) is datetime.datetime:
        return moment(value)
    return value if type(value) in _AS_IS else str(value)


def records(
    table: Table,
    rows: QuerySet | Sequence,
    *,
    revealed: bool,
    progress: Callable[[int], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """The rows as the writer's records (heading → cell), `progress(n)` told every PROGRESS_EVERY rows."""
    headings = headings_of(table)
    if table.cells is not None:
        lines = table.cells(rows, revealed)
    else:
        row = table.row
        assert row is not None
        lines = (row(obj, revealed) for obj in _iterate(rows, table.chunk))
    if table.plain:
        yield from _plain_records(headings, lines, progress)
        return
    n = 0
    as_is = _AS_IS
    for line in lines:
        # cell()'s common case inlined; a cell for every heading
        yield dict(zip(headings, [v if type(v) in as_is else cell(v) for v in line], strict=True))
        n += 1
        if progress is not None and n % PROGRESS_EVERY == 0:
            progress(n)
    if progress is not None:
        progress(n)


def _plain_records(
    headings: list[str], lines: Iterable[Sequence[Any]], progress: Callable[[int], None] | None
) -> Iterator[dict[str, Any]]:
    """Records of lines whose cells go to the writer as they are: PROGRESS_EVERY lines at a time, each made a
    record by C code alone (no Python step per row)."""
    records_of = partial(map, partial(zip, strict=True), repeat(headings))
    lines = iter(lines)
    n = 0
    while part := list(islice(lines, PROGRESS_EVERY)):
        yield from map(dict, records_of(part))
        n += len(part)
        if progress is not None:
            progress(n)
    if progress is not None and n == 0:
        progress(0)


def headings_of(table: Table) -> list[str]:
    """The column headings in the active language, made unique (the writer keys a row's cells by heading)."""
    seen: dict[str, int] = {}
    out = []
    for column in table.columns:
        heading = str(column.heading)
        seen[heading] = seen.get(heading, 0) + 1
        out.append(heading if seen[heading] == 1 else f"{heading}（{seen[heading]}）")
    return out


def sheet_name(title: str) -> str:
    """A name Excel accepts for a sheet: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in title).strip("'") or "Sheet1"
    return cleaned[:31]


def write(
    table: Table,
    rows: QuerySet | Sequence,
    out: Any,
    *,
    revealed: bool,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Write the table's rows to `out` (a path or a binary file) as .xlsx."""
    headings = headings_of(table)
    widths = [
        column.width or max(8.0, min(2.2 * len(heading) + 2, 40.0))
        for column, heading in zip(table.columns, headings, strict=True)
    ]
    data: Iterable[dict] = records(table, rows, revealed=revealed, progress=progress)
    first = next(iter_data := iter(data), None)
    # the writer takes the headings from the first record: an empty list is its headings over one empty row
    data = [dict.fromkeys(headings)] if first is None else _chain(first, iter_data)
    spreadsheets.write_records(
        data,
        out,
        sheet_name=sheet_name(str(table.title)),
        widths=widths,
        text_columns=[h for column, h in zip(table.columns, headings, strict=True) if not column.number],
    )


def _chain(first: dict, rest: Iterator[dict]) -> Iterator[dict]:
    yield first
    yield from rest
