"""A column's cells converted and checked whole, for the import's bulk path (bulk.py): each column through the
row-wise converter once per distinct value, or a vectorised rule that accepts a subset of what the converter
accepts with the same result; the household and member rules over whole frames; cells as PostgreSQL COPY text.
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import polars as pl

from .. import codes

BY_VALUE_MAX = 5_000  # distinct values converted one by one with the row-wise converter (kept between chunks)
# A cell the vectorised rules leave to the row-wise path: whitespace at either end, control characters.
_UNUSUAL = r"^\s|\s$|[\x00-\x1f\x7f]"
_ID_SHAPE = r"^[0-9]{17}[0-9Xx]$"
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
TRUE, FALSE = "t", "f"


def copy_text(value) -> str | None:
    """A converted value as PostgreSQL's COPY text for it (None for NULL)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return TRUE if value else FALSE
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value.value if hasattr(value, "value") else value)


def _cents(value) -> int | None:
    return None if value is None else int(value * 100)


def convert(column, raw: pl.Series, cell_error, cache: dict | None = None) -> tuple[pl.Series, pl.Series]:
    """(converted values, ok) for one column: amounts as cents and integers as Int64, the rest as the
    text PostgreSQL stores (yes/no as t/f); ok is False where the row-wise path must look."""
    kind = getattr(column.convert, "kind", ("text", 10**6))
    unique = raw.unique()
    if kind[0] in ("code", "bool", "integer", "causes") or len(unique) <= BY_VALUE_MAX:
        known = None if cache is None else cache.setdefault((column.part, column.field), ({}, set()))
        return _by_value(column, raw, unique, cell_error, kind[0], known)
    unusual = raw.str.contains(_UNUSUAL)
    if kind[0] == "text":
        return raw, (raw == "") | (~unusual & (raw.str.len_chars() <= kind[1]))
    if kind[0] == "digits":
        return raw, raw.str.contains(rf"^[0-9]{{0,{kind[1]}}}$")
    if kind[0] == "identity":
        return raw.str.to_uppercase(), (raw == "") | raw.str.contains(_ID_SHAPE)
    if kind[0] == "decimal":
        ok = (raw == "") | raw.str.contains(rf"^[0-9]{{1,{kind[1]}}}(\.[0-9]{{1,2}})?$")
        parts = raw.str.split_exact(".", 1)
        whole = parts.struct.field("field_0").cast(pl.Int64, strict=False)
        fraction = (
            (parts.struct.field("field_1").fill_null("") + "00").str.slice(0, 2).cast(pl.Int64, strict=False)
        )
        cents = pl.select(
            pl.when(raw == "").then(pl.lit(_cents(column.blank), pl.Int64)).otherwise(whole * 100 + fraction)
        ).to_series()
        return cents.rename(raw.name), ok
    raise AssertionError(kind)


def _by_value(column, raw: pl.Series, unique: pl.Series, cell_error, kind: str, known=None):
    mapping, bad = known if known is not None else ({}, set())
    for value in unique.to_list():
        if value in mapping:
            continue
        text = value.strip()
        try:
            converted = column.convert(text) if text else column.blank
        except cell_error:
            bad.add(value)
            converted = None
        if kind == "decimal":
            mapping[value] = _cents(converted)
        elif kind == "integer":
            mapping[value] = converted
        else:
            mapping[value] = copy_text(converted)
    dtype = pl.Int64 if kind in ("decimal", "integer") else pl.String
    if len(mapping) > 4 * len(unique):
        mapping = {k: mapping[k] for k in unique.to_list()}
    values = raw.replace_strict(mapping, return_dtype=dtype)
    ok = (
        ~raw.is_in(list(bad)) if bad else raw.is_not_null()
    )  # (cells are never null: all true, from the validity bitmap)
    return values, ok


def parse_ids(raw: pl.Series, today: datetime.date) -> pl.DataFrame:
    """idnumber.parse over a column: number (upper case), birth_date, sex and ok (only ok rows are
    trusted)."""
    upper = raw.str.to_uppercase()
    frame = pl.DataFrame({"raw": upper})
    digits = [pl.col("raw").str.slice(i, 1).cast(pl.Int64, strict=False) * w for i, w in enumerate(_WEIGHTS)]
    frame = frame.with_columns(
        shape=pl.col("raw").str.contains(_ID_SHAPE),
        birth=pl.col("raw").str.slice(6, 8).str.strptime(pl.Date, "%Y%m%d", strict=False),
        check=pl.lit(_CHECK).str.slice(pl.sum_horizontal(digits) % 11, 1),
    )
    frame = frame.with_columns(
        ok=pl.col("shape")
        & pl.col("birth").is_not_null()
        & (pl.col("birth").dt.strftime("%Y%m%d") == pl.col("raw").str.slice(6, 8))
        & (pl.col("birth") <= today)
        & (pl.col("birth").dt.year() >= 1890)
        & (pl.col("check") == pl.col("raw").str.slice(17, 1)),
        sex=pl.when(pl.col("raw").str.slice(16, 1).cast(pl.Int64, strict=False) % 2 == 1)
        .then(pl.lit("M"))
        .otherwise(pl.lit("F")),
    )
    return frame.select(number="raw", birth_date="birth", sex="sex", ok=pl.col("ok").fill_null(False))


def household_rules(frame: pl.DataFrame, check_household) -> pl.Series:
    """validation.check_household over distinct (status, type, cause, years): ok per household."""
    names = ["status", "household_type", "primary_cause", "registration_year", "exit_year"]
    distinct = frame.select(names).unique()
    good = []
    for row in distinct.iter_rows(named=True):
        if not check_household(**row):
            good.append(row)
    if not good:
        return pl.Series([False] * len(frame))
    marks = pl.DataFrame(good, schema=distinct.schema).with_columns(_good=pl.lit(True))
    joined = (
        frame.select(names)
        .with_row_index("_i")
        .join(marks, on=names, how="left", nulls_equal=True)
        .sort("_i")
    )
    return joined["_good"].fill_null(False)


def member_rules(members: pl.DataFrame, today: datetime.date) -> pl.Expr:
    """validation.check_member's rules, and a name and a relation given: ok per member row."""
    young = {codes.SchoolingStatus.PRIMARY.value, codes.SchoolingStatus.GRADE7.value}
    age = (
        pl.lit(today.year)
        - pl.col("birth_date").dt.year()
        - (
            (pl.lit(today.month * 100 + today.day))
            < (
                pl.col("birth_date").dt.month().cast(pl.Int64) * 100
                + pl.col("birth_date").dt.day().cast(pl.Int64)
            )
        ).cast(pl.Int64)
    )
    return (
        (pl.col("name") != "")
        & (pl.col("relation") != "")
        & ((pl.col("disability_category") != "") == (pl.col("disability_level") != ""))
        & ~(pl.col("schooling").is_in(list(young)) & (age < 5))
        & pl.col("work_months").is_between(0, 12)
    )


def py_strip(series: pl.Series, upper: bool = False) -> pl.Series:
    """str.strip() (and .upper()) as Python does them: polars for plain cells, Python for the unusual ones."""
    unusual = series.str.contains(_UNUSUAL) | (series.str.contains(r"[^\x00-\x7f]") if upper else False)
    plain = series.str.to_uppercase() if upper else series
    if not unusual.any():
        return plain
    fixed = {
        v: (v.strip().upper() if upper else v.strip()) for v in series.filter(unusual).unique().to_list()
    }
    return (
        pl.select(pl.when(unusual).then(series.replace(fixed)).otherwise(plain))
        .to_series()
        .rename(series.name)
    )


def cents_text(expr: pl.Expr) -> pl.Expr:
    magnitude = expr.abs()
    return (
        pl.when(expr < 0).then(pl.lit("-")).otherwise(pl.lit(""))
        + (magnitude // 100).cast(pl.String)
        + "."
        + (magnitude % 100).cast(pl.String).str.zfill(2)
    )
