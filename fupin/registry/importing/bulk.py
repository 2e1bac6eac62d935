"""The import's bulk path: a large file's columns checked whole (polars), its clean new households COPYed.

The row-wise path (rows.py, plan.py) stays the reference for every rule and every message. This
path only ever *accepts*: it applies the same rules to whole columns, and a household it cannot
prove clean (a bad or unusual cell, a broken household rule, a match with the registry) goes to
the row-wise path, which reports exactly what is wrong or plans the update. So both paths give
the same errors for the same rows, and the values written are those the row-wise path writes
(tests/registry/test_import_bulk.py feeds the same files to both).

Cells are converted once per distinct value with the row-wise converters themselves where a
column has few distinct values (codes, yes/no, years); the columns with many (names, phone and
account numbers, amounts, ID numbers) get a vectorised rule that accepts a subset of what the
converter accepts, with the same result.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, field

import polars as pl
from django.db import connection

from fupin.core import crypto
from fupin.core.encrypting import open_columns
from fupin.core.fields import EncryptedField

from .. import codes, services, validation
from ..models import MONEY_BELOW, Household, IncomeRecord, Member
from . import columns as form
from .columnar import cents_text, convert, copy_text, household_rules, member_rules, parse_ids, py_strip
from .frames import Fallback
from .initials import initials
from .regions import RegionResolver

REGISTRY_FETCH_MIN = (
    20_000  # from this many ID numbers, the registry is read in one pass with their households
)
HOUSEHOLD_TABLE = Household._meta.db_table
MEMBER_TABLE = Member._meta.db_table
INCOME_TABLE = IncomeRecord._meta.db_table


@dataclass(frozen=True)
class Context:
    """What the bulk path reads of the import it serves, handed over explicitly (bulk knows no Importer)."""

    index: dict  # (part, field) → the file's column position (columns.ColumnMap.index)
    regions: RegionResolver  # region names to village and group codes within the import's scope
    today: datetime.date
    has_income: bool  # the file has income columns
    loads_registered: bool  # the user may create registered households (permissions.may_load_registered)
    cell_error_rows: frozenset = (
        frozenset()
    )  # rows with an Excel error value or uncomputed formula (reading.py)


@dataclass
class Screened:
    """The outcome of screening a file: the rows the row-wise path must see, and the clean new households."""

    routed: pl.DataFrame  # row, c0…cN: whole households, in file order
    households: pl.DataFrame  # one row per clean new household: its stored columns (text), `key`, `village`
    members: pl.DataFrame  # their members: `h` (the household's position) and the stored columns (text)
    incomes: pl.DataFrame  # h and the income columns (text), for the households that have one
    total: int = 0  # the file's rows (empty ones left out)
    unchanged_rows: int = 0  # rows of households found equal to the registry (nothing to write)


@dataclass
class Prepared:
    """What the whole file decides before its chunks are screened: the chunks, the ID numbers that occur
    twice, and which of its ID numbers and 户编号 the registry has (as the row-wise path would look them
    up)."""

    chunks: list[pl.DataFrame]
    duplicates: pl.Series
    registered_ids: pl.Series
    registered_numbers: set
    registry: tuple | None = None  # (members, households, incomes) of the households those ID numbers are in
    values: dict = field(default_factory=dict)  # the columns' converted distinct values, kept between chunks
    file_numbers: set = field(
        default_factory=set
    )  # every 户编号 the file gives (never generated for another)
    villages: set = field(default_factory=set)  # the file's villages: their next 户编号 to reserve


def prepare(ctx: Context, frame: pl.DataFrame, chunk_rows: int) -> Prepared:
    """File-wide checks and every registry read the screen needs; Fallback when a file-wide rule is broken."""
    H, M = form.HOUSEHOLD, form.MEMBER
    index = ctx.index
    empty = pl.Series([""] * len(frame))
    number = py_strip(frame[f"c{index[(H, 'number')]}"]) if (H, "number") in index else empty
    head = (
        py_strip(frame[f"c{index[(H, 'head_id_number')]}"], upper=True)
        if (H, "head_id_number") in index
        else empty
    )
    keys = (
        pl.select(pl.when(number != "").then("n" + number).when(head != "").then("h" + head).otherwise(None))
        .to_series()
        .forward_fill()
    )
    if len(keys) and keys[0] is None:
        raise Fallback  # a row that belongs to no household: the row-wise path says so
    starts = (keys != keys.shift(1)).fill_null(True)
    if keys.filter(starts).n_unique() != int(starts.sum()):
        raise Fallback  # a household's rows apart: reported by the row-wise path, in order
    ids = py_strip(frame[f"c{index[(M, 'id_number')]}"], upper=True)
    given = ids.filter(ids != "")
    file_ids = given.unique()
    duplicates = (
        given.filter(given.is_duplicated()).unique() if len(file_ids) < len(given) else file_ids.clear()
    )
    # many ID numbers: one pass fetching the registered ones with their households (see _registry)
    registry = _registry(file_ids) if len(file_ids) > REGISTRY_FETCH_MIN else None
    if registry is None:
        registered_ids = registered("id_number", file_ids.to_list())
    else:
        registered_ids = set(
            registry[0]
            .join(pl.DataFrame({"id_number": file_ids}), on="id_number", how="semi")["id_number"]
            .to_list()
        )
    file_numbers = set(number.filter(number != "").unique().to_list())
    registered_numbers = registered("number", sorted(file_numbers))
    # chunks of whole households, each row with its household's key
    frame = frame.with_columns(_key=keys)
    end = len(frame)
    positions = starts.arg_true().to_list() + [end]
    chunks, begin = [], 0
    for position in positions[1:]:
        # a small first chunk: the writer starts sooner
        if position - begin >= (chunk_rows if chunks else chunk_rows // 5) or position == end:
            chunks.append(frame.slice(begin, position - begin))
            begin = position
    registered_series = pl.Series(sorted(registered_ids), dtype=pl.String)
    if registry is None and registered_ids:
        registry = _registry(registered_series)
    elif not registered_ids:
        registry = None
    return Prepared(
        chunks,
        duplicates,
        registered_series,
        registered_numbers,
        registry,
        file_numbers=file_numbers,
        villages=_villages(ctx, frame),
    )


def _villages(ctx: Context, frame: pl.DataFrame) -> set[str]:
    """The villages the file's places resolve to (the distinct places stripped, not a million cells)."""
    index, R = ctx.index, form.REGION
    region_fields = [*form.REGION_FIELDS, "group", "village_code"]
    present = [f for f in region_fields if (R, f) in index]
    places = (
        frame.select(pl.col(f"c{index[(R, f)]}").alias(f) for f in present).unique()
        if present
        else pl.DataFrame({"_": [""] * min(len(frame), 1)})
    )
    blank = pl.Series([""] * len(places), dtype=pl.String)
    places = pl.DataFrame({f: py_strip(places[f]) if f in present else blank for f in region_fields})
    resolved = ctx.regions.resolve(set(places.unique().iter_rows()))
    return {v for v, _, error in resolved.values() if error is None and v}


def registered(field: str, values: list[str]) -> set[str]:
    """Which of these ID numbers (field "id_number") or 户编号 ("number") the registry already has."""
    model = Member if field == "id_number" else Household
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT EXISTS (SELECT 1 FROM "{table}")')
        if not cursor.fetchone()[0]:
            return set()
        column, kind, keys = field, "text", values
        if field == "id_number":  # encrypted at rest: matched by its blind index (fupin.core.crypto)
            column, kind, keys = "id_number_index", "bigint", crypto.blind_indexes(values, "id_number")
        by_key = dict(zip(keys, values, strict=True))
        if len(values) <= 20_000:
            cursor.execute(f'SELECT "{column}" FROM "{table}" WHERE "{column}" = ANY(%s)', [keys])
            return {by_key[r[0]] for r in cursor.fetchall()}
        # many: one join with the values COPYed into a temporary table
        cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS _import_values (v {kind})")
        cursor.execute("TRUNCATE _import_values")
        with cursor.cursor.copy("COPY _import_values FROM STDIN") as copy:
            copy.write("".join(f"{_escape(str(v))}\n" for v in keys))
        cursor.execute("ANALYZE _import_values")
        cursor.execute(f'SELECT t."{column}" FROM "{table}" t JOIN _import_values ON v = t."{column}"')
        found = {by_key[r[0]] for r in cursor.fetchall()}
        cursor.execute("DROP TABLE _import_values")
    return found


def screen(ctx: Context, frame: pl.DataFrame, prepared: Prepared) -> Screened:
    """Apply the row-wise path's rules to whole columns of one chunk of whole households."""
    # households: a row whose key (prepare) differs from the row above's starts one
    keys = frame["_key"]
    starts = (keys != keys.shift(1)).fill_null(True)
    g = starts.cast(pl.Int64).cum_sum() - 1
    members, row_ok = _members(ctx, frame, prepared, g)
    hh, values, checked, ok = _households(ctx, frame, prepared, starts, members, row_ok)
    incomes = None
    if ctx.has_income:
        incomes, income_ok = _incomes(values, hh["size"], ctx.today)
        ok &= income_ok
    ok, unchanged = _matches(ctx, hh, members, values, incomes, ok, prepared)
    if not ctx.loads_registered:
        # a village or township creates households outside the registry only
        # (plan's _check_new_outside_registry)
        ok &= (
            checked["status"].is_in(list(services.UNREGISTERED_STATUSES))
            & (checked["household_type"].fill_null("") == "")
            & checked["registration_year"].is_null()
            & checked["exit_year"].is_null()
        )
    hh = hh.with_columns(ok=ok)
    routed_g = hh.filter(~ok & ~unchanged)["g"]
    fast_groups = hh.filter(pl.col("ok"))
    routed = frame.filter(g.is_in(routed_g.implode()))
    members_out = members.filter(g.is_in(fast_groups["g"].implode()))
    screened = _assemble(ctx.index, fast_groups, members_out, values, hh["ok"], incomes, routed)
    screened.total = len(frame)
    screened.unchanged_rows = int(hh["size"].filter(unchanged).sum() or 0)
    return screened


def _members(
    ctx: Context, frame: pl.DataFrame, prepared: Prepared, g: pl.Series
) -> tuple[pl.DataFrame, pl.Series]:
    """The chunk's member cells converted (row, g, id_number, birth_date, sex and the member columns) and
    ok per row: every cell and member rule as the row-wise path applies them."""
    index, today, M = ctx.index, ctx.today, form.MEMBER
    row_ok = pl.Series([True] * len(frame))
    member = {}
    for (part, name), at in index.items():
        if part != M or name == "id_number":
            continue
        values, ok = convert(form.BY_KEY[(part, name)], frame[f"c{at}"], form.CellError, prepared.values)
        member[name] = values
        row_ok &= ok
    ids = parse_ids(frame[f"c{index[(M, 'id_number')]}"], today)
    row_ok &= ids["ok"] & ~ids["number"].is_in(prepared.duplicates.implode())
    if "sex" in member:
        row_ok &= member["sex"].is_null() | (member["sex"] == ids["sex"])
    n = len(frame)
    for name, default in (
        ("schooling", None),
        ("work_months", None),
        ("disability_category", ""),
        ("disability_level", ""),
        ("name", ""),
        ("relation", ""),
    ):
        if name not in member:
            member[name] = pl.Series(
                name, [default] * n, dtype=pl.Int64 if name == "work_months" else pl.String
            )
    members = pl.DataFrame(
        {
            "row": frame["row"],
            "g": g,
            "id_number": ids["number"],
            "birth_date": ids["birth_date"],
            "sex": ids["sex"],
        }
        | {k: v for k, v in member.items() if k != "sex"}
    )
    row_ok &= members.select(member_rules(members, today).fill_null(True)).to_series()
    if ctx.cell_error_rows:  # an Excel error value or uncomputed formula: reported by the row-wise path
        row_ok &= ~frame["row"].is_in(pl.Series(sorted(ctx.cell_error_rows), dtype=pl.Int64).implode())
    return members, row_ok


def _households(
    ctx: Context,
    frame: pl.DataFrame,
    prepared: Prepared,
    starts: pl.Series,
    members: pl.DataFrame,
    row_ok: pl.Series,
):
    """(hh, values, checked, ok): one row per household (households_of, with its key, head, village and
    group), its converted household columns, the columns validation.check_household reads, and ok per
    household."""
    H, R, INC = form.HOUSEHOLD, form.REGION, form.INCOME
    index = ctx.index
    # one value per household column: the rows' non-empty cells, which must agree
    hh_keys = [k for k in index if k[0] in (R, H, INC)]
    hh = households_of(
        frame.select([f"c{index[k]}" for k in hh_keys]),
        starts,
        row_ok,
        members["relation"] == codes.Relation.HEAD.value,
    )
    hh = hh.with_columns(key=frame["_key"].filter(starts))
    ok = hh["fine"] & (hh["heads"] == 1)
    # the head's ID number and name
    head_rows = members.select("id_number", "name").gather(hh["head_row"])
    hh = hh.with_columns(head_id=head_rows["id_number"], head_name=head_rows["name"])
    values = {}
    for k in hh_keys:
        column = hh[f"c{index[k]}"]
        if k[0] == R:
            values[k] = py_strip(column)
        else:
            values[k], cell_ok = convert(form.BY_KEY[k], column, form.CellError, prepared.values)
            ok &= cell_ok
    hh = _place(ctx, hh, values)
    ok &= hh["village"].is_not_null()
    declared = values.get((H, "head_id_number"))
    if declared is not None:
        ok &= (declared == "") | (declared == hh["head_id"])
    declared = values.get((H, "head_name"))
    if declared is not None:
        ok &= (declared == "") | (declared == hh["head_name"])
    declared = values.get((H, "declared_size"))
    if declared is not None:
        ok &= declared.is_null() | (declared == hh["size"].cast(pl.Int64))
    if (H, "number") in index:
        ok &= values[(H, "number")].is_not_null()
    checked = pl.DataFrame(
        {
            name: values[(H, name)]
            if (H, name) in values
            else pl.Series([_plain_default(form.HOUSEHOLD_DEFAULTS[name])] * len(hh))
            for name in ("status", "household_type", "primary_cause", "registration_year", "exit_year")
        }
    )
    checked = checked.with_columns(pl.col("registration_year", "exit_year").cast(pl.Int64))
    ok &= household_rules(checked, validation.check_household)
    return hh, values, checked, ok


def _place(ctx: Context, hh: pl.DataFrame, values: dict) -> pl.DataFrame:
    """hh with each household's village (null where its place does not resolve) and group: each distinct place
    resolved once, then joined back (a file lists a village's households together)."""
    empty = pl.Series([""] * len(hh))
    fields = (*form.REGION_FIELDS, "group", "village_code")
    region_columns = [values.get((form.REGION, f), empty) for f in fields]
    names = [f"_r{i}" for i in range(len(region_columns))]
    places = pl.DataFrame(dict(zip(names, region_columns, strict=True)))
    distinct = places.unique(maintain_order=True)
    region_keys = list(distinct.iter_rows())
    resolved = ctx.regions.resolve(set(region_keys))
    distinct = distinct.with_columns(
        village=pl.Series(
            [resolved[key][0] if resolved[key][2] is None else None for key in region_keys], dtype=pl.String
        ),
        group_id=pl.Series([resolved[key][1] for key in region_keys], dtype=pl.String),
    )
    placed = places.join(distinct, on=names, how="left", nulls_equal=True, maintain_order="left")
    return hh.with_columns(village=placed["village"], group_id=placed["group_id"])


def _matches(ctx: Context, hh, members, values, incomes, ok: pl.Series, prepared: Prepared):
    """(ok, unchanged) after the matches in the registry: a household whose every cell equals what is
    registered is unchanged (nothing to write, as the row-wise path finds); any other match goes row-wise."""
    registered_ids = prepared.registered_ids
    unchanged = pl.Series([False] * len(hh))
    if len(registered_ids):
        taken = (
            members.with_columns(t=pl.col("id_number").is_in(registered_ids.implode()))
            .group_by("g", maintain_order=True)
            .agg(any=pl.col("t").any(), all=pl.col("t").all())
        )
        candidates = ok & taken["all"]
        if candidates.any():
            unchanged = candidates & _unchanged(ctx.index, hh, members, values, incomes, candidates, prepared)
        ok &= ~taken["any"]
    file_numbers = hh.filter(pl.col("key").str.starts_with("n"))["key"].str.slice(1).to_list()
    registered_numbers = prepared.registered_numbers.intersection(file_numbers)
    if registered_numbers:
        ok &= ~hh["key"].is_in(["n" + v for v in registered_numbers])
    return ok, unchanged


def households_of(cells: pl.DataFrame, starts: pl.Series, row_ok: pl.Series, head: pl.Series) -> pl.DataFrame:
    """Per household (its rows consecutive, the first where `starts` is set): g, size, its value of each
    household column (the non-empty cell of its rows, "" if none), fine (every row ok and those cells all
    equal), heads (its rows of the head) and head_row (its first head's row, else its first row).

    Row by row rather than grouped by household: a column repeated on every row is taken from the first
    row; in any other, each non-empty cell is compared with the last non-empty one above it, which must be
    equal where it is in the same household."""
    n = len(starts)
    g = starts.cast(pl.Int64).cum_sum() - 1
    first = starts.arg_true()
    last = starts.shift(-1, fill_value=True).arg_true()
    frame = cells.with_columns(_g=g, _start=starts)
    repeated = (
        frame.select(
            (pl.col(c) == pl.col(c).shift(1)).fill_null(True).or_(pl.col("_start")).all()
            for c in cells.columns
        ).row(0)
        if n
        else [True] * cells.width
    )
    varied = [c for c, same in zip(cells.columns, repeated, strict=True) if not same]
    fine = row_ok
    values = cells.gather(first)
    if varied:
        agree, filled = [], []
        for c in varied:
            given = pl.col(c) != ""
            seen_in = pl.when(given).then(pl.col("_g")).forward_fill()
            seen = pl.when(given).then(pl.col(c)).forward_fill()
            agree.append(
                ~given | (seen_in.shift(1) != pl.col("_g")).fill_null(True) | (seen.shift(1) == pl.col(c))
            )
            filled.append(pl.when(seen_in == pl.col("_g")).then(seen).otherwise(pl.lit("")).alias(c))
        checked = frame.select(*filled, _agree=pl.all_horizontal(agree))
        fine = fine & checked["_agree"]
        values = values.with_columns(checked.select(varied).gather(last))
    heads = head.cast(pl.Int64).cum_sum()
    next_head = pl.select(pl.when(head).then(pl.int_range(n, dtype=pl.Int64)).backward_fill()).to_series()
    head_row = next_head.gather(first)
    bad = g.filter(~fine).unique()
    return values.with_columns(
        g=pl.int_range(len(first), dtype=pl.Int64),
        size=(last - first + 1).cast(pl.UInt32),
        fine=~pl.int_range(len(first), dtype=pl.Int64).is_in(bad.implode()),
        heads=heads.gather(last) - heads.gather(first) + head.gather(first).cast(pl.Int64),
        head_row=pl.when(head_row.is_null() | (head_row > last))
        .then(first.cast(pl.Int64))
        .otherwise(head_row),
    )


def fetch(cursor, sql: str, params=()) -> pl.DataFrame:
    """A query's rows through COPY … TO STDOUT, as string columns (NULL as null)."""
    buffer = io.BytesIO()
    with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv, HEADER true, NULL '\\N')", params) as copy:
        for data in copy:
            buffer.write(data)
    frame = pl.read_csv(io.BytesIO(buffer.getvalue()), infer_schema=False, null_values="\\N")
    return frame.with_columns(pl.all().fill_null(""))  # NULL and "" never both occur in one column


def _registry(ids: pl.Series):
    """The registered members, households and incomes of the households these ID numbers are in, as text
    frames."""
    with connection.cursor() as cursor:
        # the planner's estimates can be far off right after a bulk load: no JIT for these plain joins
        cursor.execute("SET jit = off")
        cursor.execute("CREATE TEMPORARY TABLE IF NOT EXISTS _import_ids (id_number_index bigint)")
        cursor.execute("CREATE TEMPORARY TABLE IF NOT EXISTS _import_households (household_id bigint)")
        cursor.execute("TRUNCATE _import_ids, _import_households")
        cursor.execute(f'SELECT EXISTS (SELECT 1 FROM "{MEMBER_TABLE}")')
        empty = not cursor.fetchone()[0]
        with cursor.cursor.copy("COPY _import_ids FROM STDIN") as copy:
            if not empty:
                # encrypted at rest: matched by the blind index (fupin.core.crypto)
                copy.write(
                    "".join(
                        f"{v}\n" for v in crypto.blind_indexes(ids.to_list(), "id_number") if v is not None
                    )
                )
        cursor.execute("ANALYZE _import_ids")
        cursor.execute(
            f'INSERT INTO _import_households SELECT DISTINCT m.household_id FROM "{MEMBER_TABLE}" m '
            "JOIN _import_ids USING (id_number_index)"
        )
        cursor.execute("ANALYZE _import_households")
        member_columns = ", ".join(f'm."{c}"' for c in form.MEMBER_COLUMNS)
        registered = opened(
            Member,
            fetch(
                cursor,
                f'SELECT {member_columns} FROM "{MEMBER_TABLE}" m '
                "JOIN _import_households USING (household_id)",
            ),
        )
        household_columns = ", ".join(f'h."{c}"' for c in ["id", *form.HOUSEHOLD_COLUMNS])
        households = opened(
            Household,
            fetch(
                cursor,
                f'SELECT {household_columns} FROM "{HOUSEHOLD_TABLE}" h '
                "JOIN _import_households s ON s.household_id = h.id",
            ),
        )
        income_columns = ", ".join(f'i."{c}"' for c in form.INCOME_COLUMNS if c != "household_id")
        years = fetch(
            cursor,
            f"""
            SELECT i.household_id, {income_columns},
                   max(i.year) OVER (PARTITION BY i.household_id) AS _latest_year
            FROM "{INCOME_TABLE}" i JOIN _import_households USING (household_id)""",
        )
        cursor.execute("DROP TABLE _import_ids, _import_households")
        cursor.execute("RESET jit")
    counts = registered.group_by("household_id").agg(_members=pl.len().cast(pl.String))
    latest = years.filter(pl.col("year") == pl.col("_latest_year")).select(
        pl.col("household_id"),
        pl.col("year").alias("_latest"),
        pl.col("per_capita_net_income").alias("_latest_pcni"),
    )
    households = households.join(counts, left_on="id", right_on="household_id", how="left").join(
        latest, left_on="id", right_on="household_id", how="left"
    )
    return registered, households, years


def opened(model, frame: pl.DataFrame) -> pl.DataFrame:
    """A frame read past the ORM with its encrypted columns decrypted (fupin.core.crypto)."""
    present = [c for c in frame.columns if isinstance(model._meta.get_field(c), EncryptedField)]
    if not present:
        return frame
    plain = open_columns(model, {c: frame[c].to_list() for c in present})
    return frame.with_columns(*[pl.Series(c, plain[c], dtype=pl.String) for c in present])


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _members_per_group(index: dict, people: pl.DataFrame, registered: pl.DataFrame) -> pl.DataFrame:
    """Per household group: whether every member's stored columns the file gives are equal, and the
    household(s) and village(s) its members are registered in."""
    M = form.MEMBER
    present = [f for f in form.MEMBER_FILE_FIELDS if (M, f) in index and f not in ("sex", "id_number")]
    compared = [*present, "sex", "birth_date", "name_initials"]
    file_side = people.select(
        "g",
        "id_number",
        *[pl.col(f).cast(pl.String).alias(f) for f in present],
        pl.col("sex"),
        pl.col("birth_date").dt.strftime("%Y-%m-%d").alias("birth_date"),
        name_initials=initials(people["name"]),
    )
    joined = file_side.join(
        registered.select(
            "id_number", "household_id", "village_code", *[pl.col(c).alias(f"_db_{c}") for c in compared]
        ),
        on="id_number",
        how="left",
    )
    same = pl.lit(True)
    for c in compared:
        same = same & (pl.col(c).fill_null("") == pl.col(f"_db_{c}").fill_null(""))
    return (
        joined.with_columns(same=same)
        .group_by("g", maintain_order=True)
        .agg(
            same=pl.col("same").all(),
            households=pl.col("household_id").n_unique(),
            household_id=pl.col("household_id").first(),
            village_code=pl.col("village_code").fill_null("").unique().first(),
            villages=pl.col("village_code").n_unique(),
        )
    )


def _household_file_fields(values: dict, picked: pl.Series) -> dict[str, pl.Series]:
    """The picked households' stored columns the file gives, as stored text."""
    H = form.HOUSEHOLD
    file_fields = {}
    for name in form.HOUSEHOLD_FILE_FIELDS:
        if (H, name) in values:
            series = values[(H, name)].gather(picked)
            kind = getattr(form.BY_KEY[(H, name)].convert, "kind", ("text",))[0]
            file_fields[name] = (
                pl.select(cents_text(pl.lit(series))).to_series()
                if kind == "decimal"
                else series.cast(pl.String)
            )
    return file_fields


def _income_same(side: pl.DataFrame, years: pl.DataFrame) -> tuple[pl.DataFrame, pl.Expr]:
    """The file's year registered with the same amounts, and the latest year's income on the household."""
    registered_years = years.join(side.select("household_id").unique(), on="household_id", how="semi").select(
        pl.col("household_id"),
        pl.col("year").alias("_year"),
        pl.col("household_size").alias("_db_household_size"),
        pl.col("per_capita_net_income").alias("_db_pcni"),
        *[pl.col(m).alias(f"_db_income_{m}") for m in form.MONEY_FIELDS],
    )
    side = side.join(registered_years, on=["household_id", "_year"], how="left", maintain_order="left")
    has = pl.col("_year").is_not_null()
    income_same = (pl.col("_db_pcni") == pl.col("_pcni")) & (pl.col("_db_household_size") == pl.col("size"))
    for m in form.MONEY_FIELDS:
        income_same = income_same & (pl.col(f"_db_income_{m}") == pl.col(f"_income_{m}"))
    newest = (
        pl.when(
            has
            & (pl.col("_latest").cast(pl.Int64, strict=False).fill_null(0) <= pl.col("_year").cast(pl.Int64))
        )
        .then(pl.col("_pcni"))
        .otherwise(pl.col("_latest_pcni"))
    )
    return side, (~has | income_same.fill_null(False)) & (
        pl.col("_db_latest_income").fill_null("") == newest.fill_null("")
    )


def _unchanged(index: dict, hh, members, values, incomes, candidates: pl.Series, prepared) -> pl.Series:
    """Of the candidate households (clean, every member registered), those equal to what is registered."""
    R = form.REGION
    groups = hh.filter(candidates)["g"]
    people = members.filter(pl.col("g").is_in(groups.implode()))
    registered, households, years = prepared.registry
    registered = registered.join(people.select("id_number"), on="id_number", how="semi")
    per_group = _members_per_group(index, people, registered)

    # the household: the file's cells and what is derived from the members
    picked = candidates.arg_true()
    side = hh.filter(candidates).select("g", "key", "size", "head_name", "village", "group_id")
    side = side.join(per_group, on="g", how="left", maintain_order="left")
    side = side.with_columns(head_initials=initials(side["head_name"]), size=pl.col("size").cast(pl.String))
    file_fields = _household_file_fields(values, picked)
    side = side.with_columns(**{f"_file_{k}": v for k, v in file_fields.items()})
    income = None
    if incomes is not None:
        income = incomes[picked.to_list()]
        side = side.with_columns(
            _year=income["year"].cast(pl.String),
            _pcni=pl.select(cents_text(pl.lit(income["per_capita"]))).to_series(),
            **{
                f"_income_{m}": pl.select(cents_text(pl.lit(income[m]))).to_series()
                for m in form.MONEY_FIELDS
            },
        )
    stored = households.join(
        per_group.select(pl.col("household_id").cast(pl.String)).unique(),
        left_on="id",
        right_on="household_id",
        how="semi",
    )
    stored = stored.rename(
        {c: f"_db_{c}" for c in stored.columns if c not in ("id", "_latest", "_latest_pcni")}
    )
    side = side.join(stored, left_on="household_id", right_on="id", how="left", maintain_order="left")
    same = (
        pl.col("same")
        & (pl.col("households") == 1)
        & (pl.col("villages") == 1)
        & (pl.col("_db__members") == pl.col("size"))
        & (pl.col("_db_village_id") == pl.col("village"))
        & (pl.col("village_code") == pl.col("village"))
        & (pl.col("_db_head_name") == pl.col("head_name"))
        & (pl.col("_db_head_initials") == pl.col("head_initials"))
        & (pl.col("_db_size") == pl.col("size"))
        & (~pl.col("key").str.starts_with("n") | (("n" + pl.col("_db_number")) == pl.col("key")))
    )
    if (R, "group") in index or (R, "village_code") in index:
        same = same & (pl.col("_db_group_id").fill_null("") == pl.col("group_id").fill_null(""))
    for name in file_fields:
        same = same & (pl.col(f"_db_{name}").fill_null("") == pl.col(f"_file_{name}").fill_null(""))
    if income is not None:
        side, incomes_same = _income_same(side, years)
        same = same & incomes_same
    else:
        same = same & (pl.col("_db_latest_income").fill_null("") == pl.col("_latest_pcni").fill_null(""))
    result = side.select(same.fill_null(False).alias("same"))["same"]
    out = pl.Series([False] * len(hh))
    return out.scatter(picked, result)


def _plain_default(value):
    return value.value if hasattr(value, "value") else value


def _incomes(values, size: pl.Series, today):
    """The income row of each household in cents, and ok where the row-wise _income_row accepts it."""
    INC = form.INCOME
    n = len(size)
    null = pl.Series([None] * n, dtype=pl.Int64)
    get = lambda f: values.get((INC, f), null)  # noqa: E731
    f = pl.DataFrame(
        {
            "year": get("year"),
            "total": get("transfers_total"),
            "stated": get("per_capita_net_income"),
            "size": size.cast(pl.Int64),
        }
        | {m: get(m) for m in form.MONEY_FIELDS}
    )
    other_given = (
        pl.col("other_transfers").is_not_null() if (INC, "other_transfers") in values else pl.lit(False)
    )
    anything = pl.any_horizontal([pl.col(m).is_not_null() for m in (*form.MONEY_FIELDS, "total", "stated")])
    bad = (pl.col("year").is_null() & anything) | (pl.col("year") > today.year)
    f = f.with_columns(other_given=other_given, bad=bad.fill_null(False))
    f = f.with_columns([pl.col(m).fill_null(0) for m in form.MONEY_FIELDS])
    named = (
        pl.col("family_planning")
        + pl.col("dibao")
        + pl.col("wubao")
        + pl.col("pension")
        + pl.col("eco_compensation")
    )
    f = f.with_columns(named=named)
    f = f.with_columns(
        bad=pl.col("bad")
        | (pl.col("total").is_not_null() & ~pl.col("other_given") & (pl.col("total") < pl.col("named")))
        | (
            pl.col("total").is_not_null()
            & pl.col("other_given")
            & (pl.col("total") != pl.col("named") + pl.col("other_transfers"))
        ),
        other_transfers=pl.when(pl.col("total").is_not_null() & ~pl.col("other_given"))
        .then(pl.col("total") - pl.col("named"))
        .otherwise(pl.col("other_transfers")),
    )
    f = f.with_columns(bad=pl.col("bad").fill_null(False))
    net = pl.sum_horizontal([pl.col(m) for m in IncomeRecord.INCOME_FIELDS]) - pl.col(
        "productive_expenditure"
    )
    f = f.with_columns(net=net)
    per_capita = pl.when(pl.col("net") < 0).then(-1).otherwise(1) * (
        (2 * pl.col("net").abs() + pl.col("size")) // (2 * pl.col("size"))
    )
    f = f.with_columns(per_capita=per_capita)
    # a per-capita net income past numeric(12,2): the row-wise path reports it (IncomeTooLarge)
    f = f.with_columns(
        bad=pl.col("bad") | (pl.col("per_capita").abs() >= int(MONEY_BELOW * 100)).fill_null(False)
    )
    f = f.with_columns(
        bad=pl.col("bad")
        | (pl.col("stated").is_not_null() & (pl.col("stated") != pl.col("per_capita"))).fill_null(False)
    )
    return f, ~f["bad"]


def _assemble(index: dict, fast, members, values, ok_mask, incomes, routed) -> Screened:
    """The clean new households' stored columns, as text (COPY's), before numbers and ids are known."""
    H = form.HOUSEHOLD
    picked = ok_mask.arg_true()
    columns = {}
    n = len(fast)
    for name in form.HOUSEHOLD_COLUMNS:
        if name in ("number", "created_at", "updated_at"):
            continue
        if name == "village_id":
            series = fast["village"]
        elif name == "group_id":
            series = fast["group_id"]
        elif name == "head_name":
            series = fast[name]
        elif name == "head_initials":
            continue  # with the names' initials, batch by batch (bulk.batches)
        elif name == "size":
            series = fast["size"].cast(pl.String)
        elif name == "latest_income":
            series = pl.Series([None] * n, dtype=pl.String)
        elif (H, name) in values:
            series = values[(H, name)].gather(picked)
            kind = getattr(form.BY_KEY[(H, name)].convert, "kind", ("text",))[0]
            if kind == "decimal":
                series = pl.select(cents_text(pl.lit(series))).to_series()
            elif series.dtype != pl.String:
                series = series.cast(pl.String)
        else:
            series = pl.Series([copy_text(form.HOUSEHOLD_DEFAULTS[name])] * n, dtype=pl.String)
        columns[name] = series.rename(name)
    households = pl.DataFrame(columns).with_columns(key=fast["key"], h=pl.int_range(n, dtype=pl.Int64))
    income_frame = pl.DataFrame()
    if incomes is not None:
        chosen = incomes[picked.to_list()].with_columns(h=pl.int_range(n, dtype=pl.Int64))
        households = households.with_columns(
            latest_income=pl.select(
                pl.when(chosen["year"].is_not_null()).then(cents_text(pl.lit(chosen["per_capita"])))
            ).to_series()
        )
        chosen = chosen.filter(pl.col("year").is_not_null())
        money = [cents_text(pl.col(m)).alias(m) for m in form.MONEY_FIELDS]
        income_frame = chosen.select(
            pl.col("h"),
            pl.col("year").cast(pl.String),
            *money,
            pl.col("size").cast(pl.String).alias("household_size"),
            cents_text(pl.col("per_capita")).alias("per_capita_net_income"),
        )
    # fast["g"] ascends, and every member's household is in it: its position is found by binary search
    member_columns = {"h": fast["g"].search_sorted(members["g"]).cast(pl.Int64)}
    for name in form.MEMBER_COLUMNS:
        if name == "household_id":
            continue
        if name == "village_code":
            member_columns[name] = fast["village"].gather(member_columns["h"])
        elif name == "birth_date":
            member_columns[name] = members["birth_date"].dt.strftime("%Y-%m-%d")
        elif name == "name_initials":
            continue
        elif name in members.columns and (form.MEMBER, name) in index or name in ("id_number", "sex"):
            member_columns[name] = members[name].cast(pl.String)
        else:
            member_columns[name] = pl.Series(
                [copy_text(form.MEMBER_DEFAULTS[name])] * len(members), dtype=pl.String
            )
    return Screened(routed, households, pl.DataFrame(member_columns), income_frame)


__all__ = ["Context", "Fallback", "Prepared", "Screened", "prepare", "screen"]
