"""The suspect sweep's member rules screened column-wise (polars) over one read of the members.

PostgreSQL spends about a microsecond a row on each string function, so the ID-number rules cost
seconds over a few million members. The sweep instead reads the members' few fields once, marks the
members (or households) each rule may fire on, and runs the rule's own query over those alone. The
screen may mark too many, never too few: the query decides, so the findings are the rules' own, the
same as without the screen (tests/monitoring/test_screening.py holds the two together).
"""

import datetime
import time

import polars as pl
from django.db import connection

from fupin.core import crypto, crypto_columns
from fupin.core.idnumber import CHECK_CHARS, WEIGHTS
from fupin.regions.models import code_range
from fupin.registry import codes

from . import rules

SEPARATOR = "\x1f"  # between the values of one column in the read below (a value holding it: no screen)
GROUP_ROWS = 65536  # members per aggregated row of the read
SCREENED_RULES = {
    "same_person",
    "invalid_id",
    "identity_mismatch",
    "implausible_age",
    "child_older_than_head",
    "parent_younger_than_head",
    "head_missing",
}
# Rules that compare a member with others outside the sweep's scope (the same person anywhere; a household's
# head found by the household, not by village code) are screened only when the sweep covers everything.
WHOLE_REGISTRY_ONLY = {"same_person", "child_older_than_head", "parent_younger_than_head"}
# Rules whose candidates are households (the rest: members).
BY_HOUSEHOLD = {"head_missing"}


def read_columns(
    fields: dict[str, str], where: str, params: list, *, parallel: bool = False
) -> pl.DataFrame | None:
    """registry_member's rows matching `where`, as a frame of the given columns (name: SQL, read as text).
    On PostgreSQL the server writes each column of 65,536 members as one text, the values parted by the
    separator (a row per member would be a round of Python each); None when a value holds the separator.

    A server-side cursor reads a few groups at a time (only the frame and one batch of text held at once),
    which PostgreSQL never runs in parallel. `parallel` is for a few narrow columns, whose text is small to
    hold at once: an ordinary query, and the planner told that its rows cost little to gather from
    workers (a cross-check's consenting members' keys: 1.45 s against 2.7 s over two million members)."""
    names = list(fields)
    with connection.cursor() as cur:
        if connection.vendor != "postgresql":
            cur.execute(
                f"SELECT {', '.join(f'CAST({sql} AS text)' for sql in fields.values())} "
                f"FROM registry_member WHERE {where}",
                params,
            )
            return pl.DataFrame(cur.fetchall(), schema={n: pl.String for n in names}, orient="row")
        settings = {"work_mem": "512MB", "enable_sort": "off"}
        if parallel:
            settings |= {"parallel_setup_cost": "0", "parallel_tuple_cost": "0.001"}
        cur.execute("SELECT " + ", ".join(f"current_setting('{name}')" for name in settings))
        before = dict(zip(settings, cur.fetchone(), strict=True))
        # hashed, not sorted (the sort alone took half a second over two million members), in memory
        for name, value in settings.items():
            cur.execute(f"SET LOCAL {name} = '{value}'")
        aggregates = ", ".join(f"string_agg(CAST({sql} AS text), chr(31))" for sql in fields.values())
        parts = []
        with connection.cursor() if parallel else connection.chunked_cursor() as groups:
            groups.execute(
                f"SELECT {aggregates} FROM registry_member WHERE {where} GROUP BY id / {GROUP_ROWS}", params
            )
            while batch := groups.fetchmany(8):
                split = {
                    n: pl.Series(n, [g[i] for g in batch], dtype=pl.String).str.split(SEPARATOR)
                    for i, n in enumerate(names)
                }
                del batch
                counts = split[names[0]].list.len()
                if any((s.list.len() != counts).any() for s in split.values()):
                    parts = None
                    break
                parts.append(pl.DataFrame({n: s.explode() for n, s in split.items()}))
        cur.execute(
            "SELECT " + ", ".join("set_config(%s, %s, true)" for _ in before),
            [part for pair in before.items() for part in pair],
        )
    if parts is None:
        return None
    return pl.concat(parts) if parts else pl.DataFrame(schema={n: pl.String for n in names})


def _scope_where(prefix: str) -> tuple[str, list]:
    if not prefix:
        return "1 = 1", []

    lo, hi = code_range(prefix)
    return "village_code >= %s AND village_code <= %s", [lo, hi]


def read_members(prefix: str) -> pl.DataFrame | None:
    """The members under `prefix`: id, household_id, id_number, birth (the birth date as the database writes
    it as text, as the rules compare it), sex, relation. None when a value holds the separator (nothing
    screened)."""
    where, params = _scope_where(prefix)
    crypto_columns.warm()  # the worker that decrypts half the numbers below: started during the read
    frame = read_columns(
        {
            "id": "id",
            "household_id": "household_id",
            "id_number": "id_number",
            "birth": "birth_date",
            "sex": "sex",
            "relation": "relation",
        },
        where,
        params,
    )
    if frame is None:
        return None
    # encrypted at rest (fupin.core.crypto): the checks below read the numbers themselves
    numbers = pl.Series(
        "id_number", crypto.decrypt_many(frame["id_number"].to_list(), "id_number"), pl.String
    )
    return frame.with_columns(
        pl.col("id").cast(pl.Int64), pl.col("household_id").cast(pl.Int64), numbers.alias("id_number")
    )


def with_id_checks(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with the id_number read as id_rules.well_formed and check_right read it: well_formed
    (18 characters, 17 ASCII digits then a digit or an upper-case X), check_right (GB 11643's check character;
    meaningful where well formed) and first17 (the first 17 digits as an integer, where well formed)."""
    number = pl.col("id_number")
    frame = frame.with_columns(
        well_formed=(number.str.len_chars() == 18) & number.str.contains(r"^[0-9]{17}[0-9X]$"),
        first17=number.str.slice(0, 17).str.to_integer(strict=False),  # once: every digit comes from it
    ).with_columns(first17=pl.when("well_formed").then("first17"))
    total = (
        pl.sum_horizontal([(pl.col("first17") // 10 ** (16 - i)) % 10 * w for i, w in enumerate(WEIGHTS)])
        % 11
    )
    expected = total.replace_strict(list(range(11)), list(CHECK_CHARS), return_dtype=pl.String)
    return frame.with_columns(check_right=(expected == number.str.slice(17, 1)).fill_null(False))


def _same_person(frame: pl.DataFrame) -> pl.Series:
    """Members whose person key (id_rules.person_key) is shared with a member of another household."""
    # A well-formed number's key is its first 17 digits, already an integer; the others' keys are worked out
    # as text (few), as integers where they are 17 digits. Nearly every key is unique: only repeated ones go
    # on.
    number, length = pl.col("id_number"), pl.col("id_number").str.len_chars()
    widened = number.str.slice(0, 6) + pl.lit("19") + number.str.slice(6, 9)
    person = (
        pl.when(length == 18).then(number.str.slice(0, 17)).when(length == 15).then(widened).otherwise(number)
    )
    others = (
        frame.filter(~pl.col("well_formed"))
        .select("id", "household_id", person=person)
        .with_columns(
            key=pl.when(pl.col("person").str.contains(r"^[0-9]{17}$")).then(
                pl.col("person").str.to_integer(strict=False)
            )
        )
    )
    by_digits = pl.concat(
        [
            frame.filter("well_formed").select("id", "household_id", key="first17"),
            others.filter(pl.col("key").is_not_null()).select("id", "household_id", "key"),
        ]
    )
    repeated = pl.concat(
        [
            by_digits.filter(pl.col("key").is_duplicated()).select(
                "id", "household_id", key=pl.col("key").cast(pl.String).str.zfill(17)
            ),
            others.filter(pl.col("key").is_null() & pl.col("person").is_duplicated()).select(
                "id", "household_id", key="person"
            ),
        ]
    )
    shared = (
        repeated.group_by("key")
        .agg(households=pl.col("household_id").n_unique())
        .filter(pl.col("households") > 1)
    )
    return repeated.join(shared, on="key", how="semi")["id"]


def _head_counts_not_one(frame: pl.DataFrame) -> pl.Series:
    """Households (among the members') that have no head or more than one (rules.suspect_head_missing)."""
    return (
        frame.group_by("household_id")
        .agg(heads=(pl.col("relation") == codes.Relation.HEAD.value).sum())
        .filter(pl.col("heads") != 1)["household_id"]
    )


def candidates(members: pl.DataFrame, *, whole_registry: bool) -> dict[str, pl.Series]:
    """For each screened rule, the ids (members, or households for BY_HOUSEHOLD) it may fire on: all it fires
    on, and perhaps some more (a birth date the screen cannot read is a candidate for every date rule)."""
    today, oldest = rules.plausible_birth_dates()
    # a day wider each way, in case the rule's query runs on the next day
    today, oldest = today - datetime.timedelta(days=1), oldest + datetime.timedelta(days=1)
    birth = pl.col("birth_date")
    # the ID's birth digits and sex digit as integers; the recorded birth date as YYYYMMDD (its text, dashes
    # removed, whenever the date reads back: four-digit years)
    id_birth = (pl.col("first17") // 1000) % 100_000_000
    id_odd = pl.col("first17") % 2 == 1
    recorded = (
        birth.dt.year().cast(pl.Int64) * 10000
        + birth.dt.month().cast(pl.Int64) * 100
        + birth.dt.day().cast(pl.Int64)
    )
    sex = pl.col("sex")
    frame = with_id_checks(
        members.with_columns(birth_date=pl.col("birth").str.to_date("%Y-%m-%d", strict=False))
    )
    frame = frame.with_columns(
        invalid_id=~(pl.col("well_formed") & pl.col("check_right")),
        identity_mismatch=pl.col("well_formed")
        & (
            (id_birth != recorded).fill_null(True)
            | (id_odd & (sex == codes.Sex.FEMALE.value))
            | (~id_odd & (sex == codes.Sex.MALE.value))
        ),
        implausible_age=(birth.is_null() | (birth < oldest) | (birth > today)),
    )
    found = {
        "invalid_id": frame.filter("invalid_id")["id"],
        "identity_mismatch": frame.filter("identity_mismatch")["id"],
        "implausible_age": frame.filter("implausible_age")["id"],
        "head_missing": _head_counts_not_one(frame),
    }
    if whole_registry:
        found["same_person"] = _same_person(frame)
        heads = frame.filter(pl.col("relation") == codes.Relation.HEAD.value).select(
            "household_id", head_birth="birth_date"
        )
        for key, relations, fires in (
            ("child_older_than_head", rules.CHILD_RELATIONS, pl.col("head_birth") >= pl.col("birth_date")),
            (
                "parent_younger_than_head",
                rules.PARENT_RELATIONS,
                pl.col("head_birth") <= pl.col("birth_date"),
            ),
        ):
            kin = frame.filter(pl.col("relation").is_in([r.value for r in relations])).select(
                "id", "household_id", "birth_date"
            )
            pairs = kin.join(heads, on="household_id", how="inner")
            unreadable = pl.col("head_birth").is_null() | pl.col("birth_date").is_null()
            found[key] = pairs.filter(fires | unreadable)["id"].unique()
    return found


def screen(prefix: str, timings: dict | None = None) -> dict[str, pl.Series]:
    """The screened rules' candidates for a sweep under `prefix` ({} when the members cannot be screened);
    `timings`, when given, gets the seconds of the read and of the checks."""
    timings = {} if timings is None else timings
    started = time.perf_counter()
    members = read_members(prefix)
    timings["screen: read"] = time.perf_counter() - started
    if members is None:
        return {}
    started = time.perf_counter()
    found = candidates(members, whole_registry=not prefix)
    timings["screen: checks"] = time.perf_counter() - started
    return found


SCREENED_TABLE = "monitoring_screened"


def write_candidates(ids: pl.Series) -> None:
    """Put a rule's candidates into the temporary table its query reads (rules._among)."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {SCREENED_TABLE} (id bigint PRIMARY KEY) "
                "ON COMMIT DROP"
            )
            cur.execute(f"TRUNCATE {SCREENED_TABLE}")
            text = "\n".join(map(str, ids.unique().to_list()))
            with cur.cursor.copy(f"COPY {SCREENED_TABLE} (id) FROM STDIN") as copy:
                copy.write(text.encode() + b"\n" if text else b"")
            cur.execute(f"ANALYZE {SCREENED_TABLE}")
            return
        cur.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {SCREENED_TABLE} (id bigint PRIMARY KEY)")
        cur.execute(f"DELETE FROM {SCREENED_TABLE}")
        cur.executemany(
            f"INSERT INTO {SCREENED_TABLE} (id) VALUES (%s)", [(i,) for i in ids.unique().to_list()]
        )


def drop_candidates() -> None:
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {SCREENED_TABLE}")
