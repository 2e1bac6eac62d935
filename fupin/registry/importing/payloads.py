"""The bulk path's COPY payloads: batches of clean new households (bulk.Screened) with their 户编号, ids and
audit entries, as CSV for the writer (writer.Writer) to COPY in its own transaction.
"""

from __future__ import annotations

import datetime
import io
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import polars as pl

from fupin.audit.chain import CANONICAL_FIELDS, COUNTY_DIGITS, append, timestamp
from fupin.audit.models import AuditEntry
from fupin.core.encrypting import Sealing, seal_columns_later
from fupin.core.fields import BlindIndexField, EncryptedField

from ..models import Household, IncomeRecord, Member
from . import columns as form
from .bulk import Screened
from .initials import initials

HOUSEHOLD_TABLE = Household._meta.db_table
MEMBER_TABLE = Member._meta.db_table
INCOME_TABLE = IncomeRecord._meta.db_table


@dataclass
class Batch:
    """The COPY payloads (CSV, NULL as \\N) of a run of clean new households, in the registry's column
    order."""

    households: int
    tables: list[tuple[str, list[str], bytes | SealedRows | ChainedAudit]]
    villages: list[str] | None = None  # the households' villages (None: not known)

    def write(self, cursor, timings: dict | None = None) -> None:
        for table, columns, data in self.tables:
            if not isinstance(data, bytes):
                # audit entries chained here, in the writer's transaction, which holds the heads; personal
                # columns sealed on the crypto worker meanwhile, collected here
                started = time.perf_counter()
                stage = "audit chain" if isinstance(data, ChainedAudit) else "sealing wait"
                data = data.payload()
                if timings is not None:
                    timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - started
            started = time.perf_counter()
            names = ", ".join(f'"{c}"' for c in columns)
            with cursor.cursor.copy(
                f"COPY \"{table}\" ({names}) FROM STDIN (FORMAT csv, NULL '\\N')"
            ) as copy:
                for i in range(0, len(data), 1 << 20):
                    copy.write(data[i : i + (1 << 20)])
            if timings is not None:
                timings[f"COPY {table}"] = timings.get(f"COPY {table}", 0.0) + time.perf_counter() - started


@dataclass
class ChainedAudit:
    """A batch's audit entries, to be appended to their counties' hash chains (fupin.audit.chain) by the
    writer: `contents` are the entries' canonical contents, built column-wise to equal chain.canonical."""

    frame: pl.DataFrame
    chains: list[str]
    contents: list[bytes]  # UTF-8

    def payload(self) -> bytes:
        seqs, prevs, hashes = append(self.chains, self.contents)
        return csv_bytes(
            self.frame.with_columns(
                chain=pl.Series(self.chains, dtype=pl.String),
                seq=pl.Series(seqs),
                prev_hash=pl.Series(prevs),
                hash=pl.Series(hashes),
            )
        )


@dataclass
class SealedRows:
    """A batch's rows of a table with personal columns, being encrypted and indexed on the crypto worker
    (fupin.core.crypto_columns) while the importer screens the next chunk: the writer's `payload()` waits
    for them and gives the CSV. Nothing is written to the database in plain text."""

    frame: pl.DataFrame
    columns: list[str]  # to COPY, in order
    personal: list[str]
    indexes: list[str]
    sealing: Sealing

    def payload(self) -> bytes:
        done = self.sealing.result()
        frame = self.frame.with_columns(
            *[pl.Series(c, done[c], dtype=pl.String) for c in self.personal],
            *[pl.Series(c, done[c], dtype=pl.Int64) for c in self.indexes],
        )
        return csv_bytes(frame.select(self.columns))


def sealed(model, frame: pl.DataFrame, columns: list[str]) -> tuple[SealedRows | bytes, list[str]]:
    """The frame's rows as their COPY payload with its column list: its personal columns encrypted and its
    blind indexes added (fupin.core.crypto), column-wise, on the crypto worker when they are long."""
    fields = model._meta.concrete_fields
    personal = [f.attname for f in fields if isinstance(f, EncryptedField) and f.attname in columns]
    if not personal:
        return csv_bytes(frame.select(columns)), columns
    sealing = seal_columns_later(model, {c: frame[c].to_list() for c in personal})
    indexes = [f.attname for f in fields if isinstance(f, BlindIndexField) and f.attname in sealing.names]
    names = [*columns, *[c for c in indexes if c not in columns]]
    return SealedRows(frame, names, personal, indexes, sealing), names


def csv_bytes(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_csv(buffer, include_header=False, null_value="\\N")
    return buffer.getvalue()


def _json_string(series: pl.Series) -> pl.Series:
    """Each value as a JSON string literal (polars for plain text, json.dumps for quotes, backslashes,
    controls)."""
    special = series.str.contains(r'["\\\x00-\x1f]')
    plain = '"' + series + '"'
    if not special.any():
        return plain
    fixed = {v: json.dumps(v, ensure_ascii=False) for v in series.filter(special).unique().to_list()}
    return pl.select(
        pl.when(special).then(series.replace_strict(fixed, default=None)).otherwise(plain)
    ).to_series()


BATCH_HOUSEHOLDS = 20_000


# the audit table's columns a batch COPYs: the hashed fields, then where the entry sits in its chain
AUDIT_COLUMNS = [*CANONICAL_FIELDS, "chain", "seq", "prev_hash", "hash"]


def _audit_rows(chunk: pl.DataFrame, ids: pl.Series, *, user, role: str, now: str, source: str, prefix: str):
    """The chunk's audit entries, column-wise, and their canonical content for the writer to chain."""
    count = len(chunk)
    changes = (
        '{"number": [null, '
        + _json_string(chunk["number"])
        + '], "head_name": [null, '
        + _json_string(chunk["head_name"])
        + '], "size": [null, '
        + chunk["size"]
        + '], "来源文件": [null, '
        + source
        + "]}"
    )
    audit = pl.DataFrame(
        {
            "at": pl.Series([now] * count),
            "user_id": pl.Series([str(user.pk)] * count),
            "username": pl.Series([user.username] * count),
            "role": pl.Series([role] * count),
            "region_code": pl.Series([user.region_id or ""] * count),
            "action": pl.Series(["import_create"] * count),
            "target_type": pl.Series(["household"] * count),
            "target_id": ids.cast(pl.String),
            "target_label": (chunk["number"] + " " + chunk["head_name"]).str.slice(0, 200),
            "household_id": ids.cast(pl.String),
            "scope_code": chunk["village_id"],
            "changes": changes,
        }
    )
    key = ids.cast(pl.String)
    contents = (
        prefix
        + '"'
        + key
        + '",'
        + _json_string(audit["target_label"])
        + ","
        + key
        + ","
        + _json_string(chunk["village_id"])
        + ',{"head_name":[null,'
        + _json_string(chunk["head_name"])
        + '],"number":[null,'
        + _json_string(chunk["number"])
        + '],"size":[null,'
        + chunk["size"]
        + '],"来源文件":[null,'
        + source
        + "]}]"
    )
    return ChainedAudit(
        audit,
        chunk["village_id"].str.slice(0, COUNTY_DIGITS).to_list(),
        contents.cast(pl.Binary).to_list(),
    )


def batches(
    screened: Screened,
    numbers: Sequence[str],
    reserve_ids: Callable[[int], Sequence[int]],
    *,
    user,
    at: datetime.datetime,
    source_name: str,
    size: int = BATCH_HOUSEHOLDS,
) -> Iterator[Batch]:
    """Batches of COPY payloads for the clean new households, with their 户编号 (`numbers`, in order), ids
    (`reserve_ids(count)`) and audit entries (by `user`, `at`, naming the file `source_name`)."""
    households = screened.households.with_columns(number=pl.Series(numbers, dtype=pl.String))
    members, incomes = screened.members, screened.incomes
    households = households.with_columns(head_initials=initials(households["head_name"]))
    members = members.with_columns(name_initials=initials(members["name"]))
    now = at.isoformat()
    role = user.role or ("admin" if user.is_superuser else "")
    source = json.dumps(source_name, ensure_ascii=False)
    member_h = members["h"]
    income_h = incomes["h"] if len(incomes) else pl.Series([], dtype=pl.Int64)
    household_columns = ["id", *form.HOUSEHOLD_COLUMNS]
    member_columns = form.MEMBER_COLUMNS
    income_columns = [c for c in form.INCOME_COLUMNS]
    # chain.canonical's JSON array, column-wise: the fields every entry shares, then each entry's own
    content_prefix = (
        json.dumps(
            [timestamp(at), user.pk, user.username, role, user.region_id or "", "import_create", "household"],
            ensure_ascii=False,
            separators=(",", ":"),
        )[:-1]
        + ","
    )
    for start in range(0, len(households), size):
        count = min(size, len(households) - start)
        ids = pl.Series("id", reserve_ids(count), dtype=pl.Int64)
        chunk = households.slice(start, count)
        low, high = member_h.search_sorted(start), member_h.search_sorted(start + count)
        part = members.slice(low, high - low)
        chunk = chunk.with_columns(id=ids, created_at=pl.lit(now), updated_at=pl.lit(now))
        chunk = chunk.with_columns(pl.col("id").cast(pl.String))
        household_rows, names = sealed(Household, chunk, household_columns)
        tables: list[tuple[str, list[str], bytes | SealedRows | ChainedAudit]] = [
            (HOUSEHOLD_TABLE, names, household_rows)
        ]
        part = part.with_columns(household_id=ids.gather(part["h"] - start).cast(pl.String))
        member_rows, names = sealed(Member, part, member_columns)
        tables.append((MEMBER_TABLE, names, member_rows))
        if len(incomes):
            low, high = income_h.search_sorted(start), income_h.search_sorted(start + count)
            part = incomes.slice(low, high - low)
            part = part.with_columns(
                household_id=ids.gather(part["h"] - start).cast(pl.String), recorded_at=pl.lit(now)
            )
            tables.append((INCOME_TABLE, income_columns, csv_bytes(part.select(income_columns))))
        tables.append(
            (
                AuditEntry._meta.db_table,
                AUDIT_COLUMNS,
                _audit_rows(chunk, ids, user=user, role=role, now=now, source=source, prefix=content_prefix),
            )
        )
        yield Batch(count, tables, chunk["village_id"].unique().to_list())
