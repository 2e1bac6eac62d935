"""Importing households and members from the national form (贫困户信息采集表) as .xlsx or .csv.

One row per member; the household's columns are repeated on every row or filled on the
head's row only. The file is validated with the same rules as the forms (validation.py,
idnumber.parse) and written all-or-nothing: with any error nothing is written, unless
the user asked for the valid households only, and then a household is written whole or
not at all. Re-importing a file changes nothing: records are matched by ID number (and
户编号), compared, and only what differs is written and audited.

The row-wise path works on chunks of whole households: cells are converted column by column,
once per distinct value, and rows are loaded with PostgreSQL COPY (bulk_create on SQLite).
On PostgreSQL a file of BULK_MIN_ROWS rows or more takes the bulk path (bulk.py): whole
columns checked with polars, clean new households COPYed as CSV, households found equal to the
registry left alone, and every other household handed to the row-wise path here, which reports
its errors or plans its update; both paths give the same errors (tests/registry/test_import_bulk.py).
The column list is docs/import_template.md.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from itertools import repeat
from operator import itemgetter
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from fupin.audit.models import AuditEntry
from fupin.core import crypto_columns, files, idnumber

from .. import codes, validation
from ..models import Household, Member
from ..permissions import may_load_registered
from .columns import (
    BY_KEY,
    HOUSEHOLD,
    INCOME,
    MEMBER,
    MONEY_FIELDS,
    REGION,
    REGION_FIELDS,
    CellError,
    Column,
    ColumnMap,
    ImportRejected,
    _identity,
    map_columns,
)
from .plan import _MISSING, SKIPPED, HouseholdPlanner, _Group
from .reading import Table, open_table
from .regions import INITIALS, RegionResolver, name_initials
from .report import ImportResult, RowError
from .writer import PlanWriter, Writer, _BulkMode

log = logging.getLogger(__name__)


CHUNK_ROWS = 20_000
# rows written in one transaction on SQLite: a page's write waits for one chunk at most
SQLITE_CHUNK_ROWS = 200
# the write lock left free between two chunks: a waiting writer's busy handler polls every 100 ms at most, so
# it takes the lock in this gap rather than starve while the import takes it back at once
SQLITE_GAP_SECONDS = 0.15
BULK_MIN_ROWS = 5_000  # files from this size take the bulk path on PostgreSQL
BULK_INDEX_MIN_ROWS = 200_000  # new members from which indexes are rebuilt after the load (pg_restore's way)
BULK_CHUNK_ROWS = 100_000  # rows screened at a time by the bulk path, while the previous chunk is written
MAX_ERRORS_KEPT = 1_000_000


# ---------------------------------------------------------------------------------------------
# The importer


class Importer(HouseholdPlanner, PlanWriter):
    """Validates and writes one file. Construct, then `run(path, name=…)`; see `import_file`."""

    def __init__(
        self,
        *,
        user,
        scope_code: str | None = None,
        only_valid_rows: bool = False,
        progress: Callable[[str, int, int], None] | None = None,
        source_name: str = "",
        limits: files.Limits | None = None,
        commit_marker: Callable[[], None] | None = None,
    ):
        self.user = user
        # called on the writing connection inside the committing transaction of an import that commits
        # (jobs.py writes the job's ImportCommit there: the record of whether its data went in)
        self.commit_marker = commit_marker
        self.limits = limits
        scope = user.scope_prefix if scope_code is None else scope_code
        if scope is None or not user.can_edit_registry:
            raise ImportRejected(gettext("您的角色不能导入贫困户数据"))
        if user.scope_prefix is None or not scope.startswith(user.scope_prefix):
            raise ImportRejected(gettext("导入范围超出了您的管辖范围"))
        self.scope = scope
        self.only_valid_rows = only_valid_rows
        self.progress = progress or (lambda stage, done, total: None)
        self.source_name = source_name
        self.postgres = connection.vendor == "postgresql"
        self.bulk_min_rows = BULK_MIN_ROWS
        self.path = "row-wise"  # "bulk" once the bulk path took the file (it may hand it all back)
        self.household_sequence: str | None = None
        self.registry_read = True
        if len(INITIALS) > 2_000_000:  # name → pinyin initials, kept between imports
            INITIALS.clear()
        INITIALS[""] = ""
        self.today = timezone.localdate()
        # who may create households already in the registry (the county's load of 建档立卡 data)
        self.loads_registered = may_load_registered(user)
        self.income_years_used: dict[int, set[int]] = {}
        self.cell_errors: dict[int, list[tuple[str, str, str]]] = {}  # row → (heading, shown value, reason)
        self.now = timezone.now()
        self.chunk_rows = CHUNK_ROWS

    # -- driver ------------------------------------------------------------------------------

    def run(self, path, name: str | None = None) -> ImportResult:
        table = open_table(path, name, limits=self.limits)
        columns = map_columns(table.headers)
        # an .xlsx's error values and uncomputed formulas in the template's columns, reported on their rows
        headings = {at: BY_KEY[key].heading for key, at in columns.index.items()}
        self.cell_errors = {}
        for row, cells in table.cell_errors.items():
            if found := [(headings[at], shown, why) for at, shown, why in cells if at in headings]:
                self.cell_errors[row] = found
        self.source_name = self.source_name or (name or Path(path).name)
        if self.postgres:
            # A large file: whole columns checked at once, clean new households COPYed (bulk.py).
            if table.frame is not None and table.estimated_rows >= self.bulk_min_rows:
                result = self._bulk_pass(table, columns)
                if result is not None:
                    self.path = "bulk"
                    return result
            # One pass: validate and COPY chunk by chunk in one transaction, rolled back at the
            # end if the file is refused. Progress goes through the `progress` callback.
            return self._run_rows(table, columns, write=True)
        # SQLite holds one writer at a time: validate the whole file first without the write lock, then
        # validate again and write chunk by chunk, each chunk in a short transaction (_run_chunks).
        checked = self._run_rows(table, columns, write=False)
        if checked.errors and not self.only_valid_rows:
            return checked
        if connection.in_atomic_block:  # a caller's transaction: one write pass inside it
            return self._run_rows(table, columns, write=True)
        return self._run_chunks(table, columns)

    def _run_chunks(self, table: Table, columns: ColumnMap) -> ImportResult:
        """SQLite's write pass: chunks of whole households, each in a transaction with its audit entries,
        the job's progress and its commit record (`commit_marker(rows=…, chunks=…, complete=…)`), so a page's
        write waits for one chunk, never for the file (issue 16, finding 12).

        The file was validated whole before (run), so all-or-nothing still writes nothing for a file with an
        error. Only what changes between the two passes (someone edits the registry meanwhile) or a process
        that dies half-way can leave the file partly written; then the commit record says through which row,
        the job says so, and importing the same file again completes it (a re-import writes only what
        differs).
        """
        self._reset(columns)
        self.chunk_rows = SQLITE_CHUNK_ROWS
        total = table.estimated_rows
        done = chunks = 0
        counted = ("households_created", "households_updated", "members_created", "members_updated")
        written = dict.fromkeys(counted, 0)  # as of the last chunk written
        self.progress("importing", 0, total)
        pending = self._read_chunks(table)
        chunk = next(pending, None)
        while chunk is not None:
            numbers, rows = chunk
            following = next(pending, None)
            with transaction.atomic():
                self.next_number.clear()  # 户编号 given by others since the last chunk are read again
                self._process_chunk(numbers, rows)
                done += len(rows)
                if self.writing:  # validated and written (an error found now stops the writing before it)
                    chunks += 1
                    self.result.committed_rows = done
                    written = {name: getattr(self.result, name) for name in counted}
                    if self.commit_marker:
                        self.commit_marker(rows=done, chunks=chunks, complete=following is None)
                self.progress("importing", done, max(total, done))  # committed with the chunk
            if following is not None:
                time.sleep(SQLITE_GAP_SECONDS)
            chunk = following
        result = self._finish(done, write=True, rollback=False)
        if not result.imported:  # what the committed chunks wrote, not what the next one planned
            for name, value in written.items():
                setattr(result, name, value)
        self.progress("importing", done, done)
        return result

    def _bulk_pass(self, table: Table, columns: ColumnMap) -> ImportResult | None:
        """The bulk path (PostgreSQL): None when the file must take the row-wise path whole.

        Every registry read is done first (bulk.prepare); then chunk after chunk is screened,
        its doubtful households go through the row-wise path and its clean new ones to the writer,
        which COPYs them while the next chunk is screened.
        """
        from . import bulk, frames  # polars, loaded only when a file takes the bulk path

        self._reset(columns)
        self.progress("importing", 0, table.estimated_rows)
        clock = time.perf_counter
        started = clock()
        self.timings = {}
        crypto_columns.warm()  # the worker that seals the batches' personal columns: started during the read
        context = bulk.Context(
            index=columns.index,
            regions=self.regions,
            today=self.today,
            has_income=self.has_income,
            loads_registered=self.loads_registered,
            cell_error_rows=frozenset(self.cell_errors),
        )
        try:
            frame = frames.template_rows(
                table.frame(), sorted(set(columns.index.values())), columns.index[(MEMBER, "id_number")]
            )
            self.timings["read"] = clock() - started
            prepared = bulk.prepare(context, frame, BULK_CHUNK_ROWS)
        except bulk.Fallback:
            return None
        total = len(frame)
        del frame
        self.file_numbers = prepared.file_numbers
        self._reserve_numbers(prepared.villages)  # the villages' next 户编号, while nothing is locked
        self.timings["prepare"] = clock() - started - self.timings["read"]
        # A load large relative to the registry, of people it does not have: indexes are rebuilt after it.
        bulk_mode = (
            not len(prepared.registered_ids)
            and not prepared.registered_numbers
            and total >= max(BULK_INDEX_MIN_ROWS, estimated_rows(Member))
        )
        self.writer = Writer(self) if not connection.in_atomic_block else None
        self.registry_read = not (bulk_mode and self.writer is not None)
        self.routed_rows = 0
        committed = False
        try:
            with transaction.atomic() if self.writer is None else contextlib.nullcontext():
                if self.writer is None:
                    self._pg_prepare()
                else:
                    self.writer.start()
                    if bulk_mode:
                        # the audit trail's indexes too when this load at least doubles it
                        self.writer.send(_BulkMode(audit=estimated_rows(AuditEntry) <= total // 4))
                self._bulk_chunks(context, prepared, len(table.headers), total)
                result = self._finish(total, write=True)
                committed = result.imported
                if committed and self.writer is None and self.commit_marker:
                    self.commit_marker()
        finally:
            mark = clock()
            if self.writer is not None:
                self.writer.close(commit=committed)
            self.timings["writer tail"] = clock() - mark
            self.registry_read = True
        self.progress("importing", total, total)
        return result

    def _bulk_chunks(self, context, prepared, width: int, total: int) -> None:
        """Screen chunk after chunk: its doubtful households through the row-wise path, its clean new ones
        to the writer as COPY batches."""
        from . import bulk, payloads

        clock = time.perf_counter
        timings = {"screen": 0.0, "row-wise": 0.0, "batches": 0.0}
        cells = [f"c{i}" for i in range(width)]
        done = 0
        try:
            while prepared.chunks:
                chunk = prepared.chunks.pop(0)
                mark = clock()
                screened = bulk.screen(context, chunk, prepared)
                timings["screen"] += clock() - mark
                mark = clock()
                routed, fresh = screened.routed, screened.households
                self.routed_rows += len(routed)
                self.result.unchanged_rows += screened.unchanged_rows
                rows = zip(routed["row"].to_list(), map(list, routed.select(cells).iter_rows()), strict=True)
                for numbers, rows_chunk in self._chunked(rows, width):
                    self._process_chunk(numbers, rows_chunk)
                timings["row-wise"] += clock() - mark
                mark = clock()
                if self.writing and len(fresh):
                    keys = fresh["key"].to_list()
                    self.numbers_used.update(k[1:] for k in keys if k[0] == "n")
                    villages = fresh["village_id"].to_list()
                    numbers = [
                        k[1:] if k[0] == "n" else self._new_number(v)
                        for k, v in zip(keys, villages, strict=True)
                    ]
                    for batch in payloads.batches(
                        screened,
                        numbers,
                        self._reserve_ids,
                        user=self.user,
                        at=self.now,
                        source_name=self.source_name,
                    ):
                        self._write(batch)
                    self.result.households_created += len(fresh)
                    self.result.members_created += len(screened.members)
                timings["batches"] += clock() - mark
                done += screened.total
                self.progress("importing", done, total)
        finally:
            self.timings |= timings

    def _reserve_ids(self, count: int) -> range | list[int]:
        """`count` new household ids: a range when the sequence gave them in one run, as it does unless
        another writer took ids meanwhile (20,000 ids as rows through Python cost 20 ms a batch)."""
        with connection.cursor() as cursor:
            if self.household_sequence is None:
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [Household._meta.db_table])
                self.household_sequence = cursor.fetchone()[0]
            cursor.execute(
                "SELECT min(v), max(v), CASE WHEN max(v) - min(v) + 1 = count(*) THEN NULL "
                "ELSE array_agg(v ORDER BY v) END "
                "FROM (SELECT nextval(%s) AS v FROM generate_series(1, %s)) s",
                [self.household_sequence, count],
            )
            low, high, ids = cursor.fetchone()
        return range(low, high + 1) if ids is None else ids

    def _finish(self, total: int, *, write: bool, rollback: bool = True) -> ImportResult:
        """The result of a pass over `total` rows: imported when written and clean (or the valid kept).
        `rollback`: the pass's own transaction is rolled back when the file is refused (SQLite's chunks
        committed each in theirs: what they wrote is counted, in committed_rows)."""
        result = self.result
        result.total_rows = total
        result.errors = self.errors
        result.error_rows = len({e.row for e in self.errors if e.reason != SKIPPED})
        result.imported = write and (not self.errors or self.only_valid_rows)
        if not result.imported and not result.committed_rows:
            result.forget_changes()
        if not result.imported and write and rollback and self.writer is None:
            transaction.set_rollback(True)
        return result

    def _reset(self, columns: ColumnMap):
        self.columns = columns
        self.result = ImportResult(ignored_columns=columns.ignored)
        self.errors: list[RowError] = []
        self.bad_rows: set[int] = set()
        self.seen_ids: dict[str, int] = {}  # ID number → row where it first appeared
        self.seen_keys: dict[tuple, int] = {}  # household key → its first row
        self.numbers_used: set[str] = set()
        self.file_numbers: set[str] = set()  # the bulk path: every 户编号 the file gives, never generated
        self.next_number: dict[str, int] = {}
        self.regions = RegionResolver(self.scope)
        self.writing = True
        self.has_income = any(
            (INCOME, c) in columns.index
            for c in (*MONEY_FIELDS, "year", "transfers_total", "per_capita_net_income")
        )

    def _run_rows(self, table: Table, columns: ColumnMap, *, write: bool) -> ImportResult:
        self._reset(columns)
        stage = "importing" if write else "validating"
        total = table.estimated_rows
        done = 0
        self.progress(stage, 0, total)
        self.writing = write
        # When the import owns its transaction on PostgreSQL, a second connection writes while
        # this thread validates the next chunk: the server's work overlaps Python's.
        self.writer = Writer(self) if write and self.postgres and not connection.in_atomic_block else None
        committed = False
        try:
            with transaction.atomic() if write and self.writer is None else contextlib.nullcontext():
                if write and self.postgres and self.writer is None:
                    self._pg_prepare()
                if self.writer is not None:
                    self.writer.start()
                for numbers, rows in self._read_chunks(table):
                    self._process_chunk(numbers, rows)
                    done += len(rows)
                    self.progress(stage, done, max(total, done))
                result = self._finish(done, write=write)
                committed = result.imported
                if committed and self.writer is None and self.commit_marker:
                    self.commit_marker()
        finally:
            if self.writer is not None:
                self.writer.close(commit=committed)
        self.progress(stage, done, done)
        return result

    def _read_chunks(self, table: Table) -> Iterator[tuple[list[int], list[list[str]]]]:
        """(row numbers, rows) holding whole households (a household's rows are contiguous)."""
        return self._chunked(enumerate(table.read_rows(), start=table.header_row + 1), len(table.headers))

    def _chunked(self, numbered_rows, width: int) -> Iterator[tuple[list[int], list[list[str]]]]:
        index = self.columns.index
        key_at = [
            i
            for i in (index.get((HOUSEHOLD, "number")), index.get((HOUSEHOLD, "head_id_number")))
            if i is not None
        ]
        numbers: list[int] = []
        rows: list[list[str]] = []
        previous_key = None
        cell_errors = self.cell_errors
        id_at = index[(MEMBER, "id_number")]
        mapped = sorted(set(index.values()), key=lambda i: i != id_at)  # the ID number first: most have one
        for number, row in numbered_rows:
            if number in cell_errors:
                for heading, shown, reason in cell_errors[number]:
                    self._error(number, heading, shown, reason)
            if len(row) != width:
                if len(row) < width:
                    row = list(row) + [""] * (width - len(row))
                else:
                    if any(str(v).strip() for v in row[width:]):
                        self._error(number, "", "", "本行的列数多于表头，请检查是否有多余的单元格")
                    row = row[:width]
            if not any(row) or not any(row[i].strip() for i in mapped):  # blanks, spaces, a 序号 alone
                continue
            key = row[key_at[0]].strip() or (len(key_at) > 1 and row[key_at[1]].strip())
            if key and key != previous_key:
                if len(rows) >= self.chunk_rows:
                    yield numbers, rows
                    numbers, rows = [], []
                previous_key = key
            numbers.append(number)
            rows.append(row)
        if rows:
            yield numbers, rows

    # -- errors ------------------------------------------------------------------------------

    def _error(self, row: int, column: str, value, reason: str) -> None:
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(RowError(row, column, "" if value is None else str(value), reason))
        self.bad_rows.add(row)
        if not self.only_valid_rows:
            self.writing = False  # nothing will be kept: stop writing, keep validating

    # -- one chunk ---------------------------------------------------------------------------

    def _process_chunk(self, numbers: list[int], cells: list[list[str]]) -> None:
        groups = self._group(numbers, cells)
        if not groups:
            return
        members = self._member_columns(numbers, cells)
        hh = self._household_values(groups, numbers, cells)
        self._identities(numbers, members)
        self._member_rules(numbers, members)
        plan = self._plan(groups, numbers, members, hh)
        if self.writing:
            self._write(plan)

    def _group(self, numbers: list[int], cells: list[list[str]]) -> list[_Group]:
        index = self.columns.index
        number_at = index.get((HOUSEHOLD, "number"))
        head_at = index.get((HOUSEHOLD, "head_id_number"))
        groups: list[_Group] = []
        current = None
        for i, row in enumerate(cells):
            number = row[number_at].strip() if number_at is not None else ""
            head = row[head_at].strip().upper() if head_at is not None else ""
            key = ("number", number) if number else (("head", head) if head else None)
            if key is None or (current is not None and key == current.key):
                if current is None:
                    self._error(
                        numbers[i], "户编号", "", "无法确定本行属于哪一户：请填写户编号或户主证件号码"
                    )
                    continue
                current.end = i + 1
                continue
            first = self.seen_keys.get(key)
            if first is not None:
                what = "户编号" if key[0] == "number" else "户主证件号码"
                self._error(
                    numbers[i], what, key[1], f"与第{first}行是同一户，但不相邻：同一户的成员行须连续排列"
                )
                current = _Group(key, i, i + 1, bad=True)
                groups.append(current)
                continue
            self.seen_keys[key] = numbers[i]
            current = _Group(key, i, i + 1)
            groups.append(current)
        return groups

    def _convert_column(self, column: Column, values: list[str], numbers: list[int]) -> list:
        """Convert a column once per distinct value; errors go to the rows that hold the bad values."""
        converted = {}
        bad = {}
        blank, convert = column.blank, column.convert
        for raw in set(values):
            value = raw.strip()
            if not value:
                converted[raw] = blank
                continue
            try:
                converted[raw] = convert(value)
            except CellError as e:
                bad[raw] = str(e)
                converted[raw] = _MISSING
        if bad:
            for number, raw in zip(numbers, values, strict=True):
                if raw in bad:
                    self._error(number, column.heading, raw, bad[raw])
        return list(map(converted.__getitem__, values))

    def _member_columns(self, numbers, cells) -> dict[str, list]:
        out = {}
        for (part, name), at in self.columns.index.items():
            if part == MEMBER:
                raw = list(map(itemgetter(at), cells))
                # ID numbers are all distinct: idnumber.parse checks each one in _identities
                out[name] = (
                    raw if name == "id_number" else self._convert_column(BY_KEY[(part, name)], raw, numbers)
                )
        return out

    def _household_values(self, groups: list[_Group], numbers, cells) -> dict:
        """Each household's values, as columns over the chunk's households: the non-empty cells of its rows,
        which must agree."""
        at = [(key, i) for key, i in self.columns.index.items() if key[0] in (REGION, HOUSEHOLD, INCOME)]
        pick = itemgetter(*[i for _, i in at]) if len(at) > 1 else (lambda row, i=at[0][1]: (row[i],))
        blank = tuple("" for _ in at)
        reps = []
        for g, group in enumerate(groups):
            group.index = g
            first = pick(cells[group.start])
            merged = None
            for i in range(group.start + 1, group.end):
                other = pick(cells[i])
                if other == first or other == blank:
                    continue
                merged = merged or list(first)
                for j, value in enumerate(other):
                    if value == merged[j] or not value.strip():
                        continue
                    if not merged[j].strip():
                        merged[j] = value
                    elif not self._same_value(at[j][0], value, merged[j]):
                        column = BY_KEY[at[j][0]]
                        self._error(
                            numbers[i], column.heading, value, f"与本户其他行填写的“{merged[j]}”不一致"
                        )
                        group.bad = True
            reps.append(tuple(merged) if merged else first)
        rep_numbers = [numbers[g.start] for g in groups]
        hh = {}
        columns = list(zip(*reps, strict=True)) if reps else [() for _ in at]
        for (key, _), raw in zip(at, columns, strict=True):
            hh[key] = (
                self._convert_column(BY_KEY[key], raw, rep_numbers)
                if key[0] != REGION
                else [v.strip() for v in raw]
            )
        n = len(groups)
        empty = [""] * n
        region_keys = list(
            zip(*[hh.get((REGION, f), empty) for f in (*REGION_FIELDS, "group", "village_code")], strict=True)
        )
        resolved = self.regions.resolve(set(region_keys))
        villages, region_groups = [], []
        for group, key in zip(groups, region_keys, strict=True):
            village, region_group, error = resolved[key]
            if error:
                column, reason = error
                value = key[
                    ("省", "市", "县", "乡（镇）", "行政村", "自然村（组）", "行政村代码").index(column)
                ]
                self._error(numbers[group.start], column, value, reason)
                group.bad = True
            villages.append(village)
            region_groups.append(region_group)
        hh["village_id"], hh["group_id"] = villages, region_groups
        return hh

    @staticmethod
    def _same_value(key, one: str, other: str) -> bool:
        """Two cells of a household column that read as the same value: 12,000.50 and 12000.5, 男 and 1."""
        convert = BY_KEY[key].convert
        if convert is None or key[0] == REGION:
            return one.strip() == other.strip()
        try:
            return convert(one.strip()) == convert(other.strip())
        except CellError:
            return False

    def _identities(self, numbers, members) -> None:
        ids = members["id_number"]
        sexes = members.get("sex") or repeat(None)
        heading_id = BY_KEY[(MEMBER, "id_number")].heading
        heading_sex = BY_KEY[(MEMBER, "sex")].heading
        today = self.today
        birth_dates = []
        parsed_sexes = []
        normalised = []
        seen = self.seen_ids
        for number, raw, sex in zip(numbers, ids, sexes, strict=True):
            if not raw or not raw.strip():
                self._error(number, heading_id, raw, "证件号码不能为空")
                normalised.append(None)
                birth_dates.append(None)
                parsed_sexes.append(None)
                continue
            try:
                parsed = idnumber.parse(raw, today=today)
            except idnumber.IdNumberError as refusal:
                message = str(refusal)
                try:
                    _identity(raw)
                except CellError as excel:  # an 18-digit number Excel turned into 3.6E+17
                    message = str(excel)
                self._error(number, heading_id, raw, message)
                normalised.append(None)
                birth_dates.append(None)
                parsed_sexes.append(None)
                continue
            # the same rule as the forms: validation.check_identity, here with the parsed number
            if sex and sex is not _MISSING and sex != parsed.sex:
                errors, _ = validation.check_identity(id_number=parsed.number, sex=sex)
                for reason in errors.values():
                    self._error(number, heading_sex, codes.Sex(sex).label, reason)
            first = seen.get(parsed.number)
            if first is not None:
                self._error(number, heading_id, raw, f"证件号码与第{first}行重复（一人只能在一户）")
                normalised.append(None)
            else:
                seen[parsed.number] = number
                normalised.append(parsed.number)
            birth_dates.append(parsed.birth_date)
            parsed_sexes.append(parsed.sex)
        members["id_number"] = normalised
        members["birth_date"] = birth_dates
        members["sex"] = parsed_sexes

    def _member_rules(self, numbers, members) -> None:
        relation = members["relation"]
        n = len(numbers)
        schooling = members.get("schooling") or [None] * n
        months = members.get("work_months") or [None] * n
        category = members.get("disability_category") or [""] * n
        level = members.get("disability_level") or [""] * n
        birth = members["birth_date"]
        names = members["name"]
        headings = {
            "work_months": "务工时间（月）",
            "disability_level": "残疾等级",
            "schooling": "在校生状况",
            "relation": "与户主关系",
        }
        check = validation.check_member
        for i in range(n):
            if not names[i] and names[i] is not _MISSING:
                self._error(numbers[i], "姓名", "", "姓名不能为空")
            if not relation[i] and relation[i] is not _MISSING:
                self._error(numbers[i], "与户主关系", "", "请填写与户主关系")
            errors = check(
                relation=relation[i],
                birth_date=birth[i],
                schooling=None if schooling[i] is _MISSING else schooling[i],
                work_months=None if months[i] is _MISSING else months[i],
                disability_category="" if category[i] is _MISSING else category[i],
                disability_level="" if level[i] is _MISSING else level[i],
            )
            for name, reason in errors.items():
                self._error(numbers[i], headings.get(name, name), "", reason)
        members["name_initials"] = [name_initials(v) if isinstance(v, str) else "" for v in names]


def estimated_rows(model) -> int:
    """The planner's row count of a table (exact enough to compare a load with)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table]
        )
        return max(cursor.fetchone()[0], 0)


def import_file(
    path,
    *,
    user,
    scope_code: str | None = None,
    only_valid_rows: bool = False,
    name: str | None = None,
    progress=None,
    limits: files.Limits | None = None,
    commit_marker=None,
) -> ImportResult:
    """Validate and import one file; ImportRejected for a file that cannot be read at all (or holds too
    much)."""
    importer = Importer(
        user=user,
        scope_code=scope_code,
        only_valid_rows=only_valid_rows,
        progress=progress,
        source_name=name or Path(path).name,
        limits=limits,
        commit_marker=commit_marker,
    )
    result = importer.run(path, name)
    if result.total_rows == 0:
        raise ImportRejected(gettext("文件中没有数据行：表头下面没有任何成员"))
    return result
