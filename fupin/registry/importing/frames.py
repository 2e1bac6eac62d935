"""A file's data rows as a polars frame for the bulk path: string columns c0…cN and the row numbers the
row-wise reader gives; Fallback when polars would read the file differently from it.
"""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl


class Fallback(Exception):
    """polars reads the file differently from the csv module (or the file breaks a file-wide rule): use the
    row-wise path."""


def read_csv(path, table, encoding: str) -> pl.DataFrame:
    """The data rows as string columns c0…cN plus `row` (the row number the row-wise reader gives), empty rows
    left out."""
    data = Path(path).read_bytes()
    if encoding == "gb18030":
        try:
            data = data.decode("gb18030").encode()
        except UnicodeDecodeError:
            raise Fallback from None
    elif data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    width = len(table.headers)
    try:
        # empty cells read as "" (only a short row's missing cells are null, filled by _numbered)
        frame = pl.read_csv(
            io.BytesIO(data),
            has_header=False,
            skip_rows=table.header_row,
            schema={f"c{i}": pl.String for i in range(width)},
            raise_if_empty=False,
            truncate_ragged_lines=False,
            empty_string_is_null=False,
        )
    except (pl.exceptions.PolarsError, UnicodeDecodeError, ValueError):
        raise Fallback from None
    return _numbered(frame, table.header_row)


def rows_frame(rows: list[list[str]], width: int, header_row: int) -> pl.DataFrame:
    """Rows already read (an .xlsx sheet) as the same frame; rows longer than the headings go row-wise."""
    if any(len(r) > width for r in rows):
        raise Fallback
    frame = pl.DataFrame(
        [list(r) + [""] * (width - len(r)) for r in rows],
        schema={f"c{i}": pl.String for i in range(width)},
        orient="row",
    )
    return _numbered(frame, header_row)


def _numbered(frame: pl.DataFrame, header_row: int) -> pl.DataFrame:
    columns = frame.columns
    frame = frame.with_columns(pl.col(columns).fill_null(""))
    frame = frame.with_row_index("row", offset=header_row + 1).with_columns(pl.col("row").cast(pl.Int64))
    # no row is empty when a column has no empty cell: the first column with a cell given is tried first
    for column in columns:
        blank = frame[column] == ""
        if not blank.all():
            break
    if not blank.any():
        return frame
    filled = frame.select(pl.any_horizontal([pl.col(c) != "" for c in columns])).to_series()
    return frame if filled.all() else frame.filter(filled)  # (filtering copies every column)


def template_rows(frame: pl.DataFrame, columns: list[int], id_column: int) -> pl.DataFrame:
    """The rows with something in the template's `columns`, as the row-wise reader takes them (it leaves out
    rows of spaces, or of a 序号 alone); rows with an ID number are kept without a look at the others."""
    unsure = frame[f"c{id_column}"].str.strip_chars() == ""
    if not unsure.any():
        return frame
    given = [pl.col(f"c{i}").str.strip_chars() != "" for i in columns]
    filled = frame.select(pl.any_horizontal(given)).to_series()
    return frame if filled.all() else frame.filter(filled)
