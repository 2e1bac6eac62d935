"""Writing an import's plans to the database: the ORM on SQLite; on PostgreSQL COPY in text format, on a
second connection that writes while the importer validates the next chunk, dropping and rebuilding the
registry's indexes around a load large relative to the registry (pg_restore's way).
"""

from __future__ import annotations

import datetime
import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import connection, transaction

from fupin.audit.chain import link_columns
from fupin.audit.models import AuditEntry
from fupin.core.encrypting import index_values, seal_columns

from ..models import Household, IncomeRecord, Member
from .columns import HOUSEHOLD_COLUMNS, INCOME_COLUMNS, MEMBER_COLUMNS

if TYPE_CHECKING:
    from .plan import Plan
    from .rows import Importer

log = logging.getLogger(__name__)


class PlanWriter:
    """The importer's writing of one chunk's plan (a mixin of Importer: it reads the importer's user, clock
    and writer)."""

    # -- writing -------------------------------------------------------------------------------

    def _write(self, plan) -> None:
        if self.writer is not None:
            self.writer.send(plan)
        elif hasattr(plan, "write"):  # bulk.Batch
            with connection.wrap_database_errors, connection.cursor() as cursor:
                plan.write(cursor)
        elif self.postgres:
            with connection.wrap_database_errors:
                self._pg_write(plan)
        else:
            self._orm_write(plan)

    def _audit_columns(self, plan, ids) -> dict[str, list]:
        user = self.user
        role = user.role or ("admin" if user.is_superuser else "")
        n = len(plan.audit)
        refs, actions, numbers, names, villages, changes = (
            (list(c) for c in zip(*plan.audit, strict=True)) if n else ([],) * 6
        )
        household_ids = [ids(r) for r in refs]
        return {
            "at": [self.now] * n,
            "user_id": [user.pk] * n,
            "username": [user.username] * n,
            "role": [role] * n,
            "region_code": [user.region_id or ""] * n,
            "action": actions,
            "target_type": ["household"] * n,
            "target_id": [str(h) for h in household_ids],
            "target_label": [f"{a} {b}"[:200] for a, b in zip(numbers, names, strict=True)],
            "household_id": household_ids,
            "scope_code": villages,
            "changes": changes,
        }

    def _orm_write(self, plan: Plan) -> None:
        def rows(columns: dict[str, list]):
            names = list(columns)
            return [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]

        created = Household.objects.bulk_create(
            [Household(**r) for r in rows(plan.households)], batch_size=500
        )
        new_ids = [h.pk for h in created]

        def ids(ref):
            return ref if ref > 0 else new_ids[-ref - 1]

        for ref, row in plan.update_households:
            Household.objects.filter(pk=ref).update(
                **{k: row[k] for k in HOUSEHOLD_COLUMNS if k != "created_at"}
            )
        members = plan.members
        members["household_id"] = [ids(r) for r in plan.member_refs]
        Member.objects.bulk_create([Member(**r) for r in rows(members)], batch_size=500)
        for ref, row in plan.update_members:
            Member.objects.filter(pk=row["id"]).update(
                **{k: row[k] for k in MEMBER_COLUMNS} | {"household_id": ids(ref)} | index_values(Member, row)
            )
        IncomeRecord.objects.bulk_create(
            [
                IncomeRecord(**(row | {"household_id": ids(ref), "recorded_at": self.now}))
                for ref, row in plan.new_incomes
            ],
            batch_size=500,
        )
        for pk, _ref, row in plan.update_incomes:
            IncomeRecord.objects.filter(pk=pk).update(
                **{k: row[k] for k in INCOME_COLUMNS if k != "household_id"} | {"recorded_at": self.now}
            )
        AuditEntry.objects.bulk_create(
            [AuditEntry(**r) for r in rows(link_columns(self._audit_columns(plan, ids)))], batch_size=500
        )

    # PostgreSQL: COPY in text format, built column by column; updates through a temporary table.

    def _pg_prepare(self) -> None:
        with connection.cursor() as cursor:
            for model in (Household, Member, IncomeRecord):
                table = model._meta.db_table
                cursor.execute(
                    f'CREATE TEMPORARY TABLE IF NOT EXISTS "_import_{table}" '
                    f'(LIKE "{table}" INCLUDING DEFAULTS) ON COMMIT DROP'
                )

    def _pg_write(self, plan: Plan) -> None:
        with connection.cursor() as cursor:
            count = len(plan.new_groups)
            new_ids = []
            if count:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [Household._meta.db_table, count],
                )
                new_ids = [r[0] for r in cursor.fetchall()]

            def ids(ref):
                return ref if ref > 0 else new_ids[-ref - 1]

            if count:
                _copy_columns(
                    cursor,
                    Household._meta.db_table,
                    seal_columns(Household, {"id": new_ids} | plan.households),
                )
            self._pg_update(
                cursor, Household, HOUSEHOLD_COLUMNS, [(ref, row) for ref, row in plan.update_households]
            )
            if plan.member_refs:
                _copy_columns(
                    cursor,
                    Member._meta.db_table,
                    seal_columns(Member, {"household_id": [ids(r) for r in plan.member_refs]} | plan.members),
                )
            self._pg_update(
                cursor,
                Member,
                MEMBER_COLUMNS,
                [(row["id"], row | {"household_id": ids(ref)}) for ref, row in plan.update_members],
            )
            if plan.new_incomes:
                columns = [c for c in INCOME_COLUMNS if c not in ("household_id", "recorded_at")]
                values = {c: [row[c] for _, row in plan.new_incomes] for c in columns}
                _copy_columns(
                    cursor,
                    IncomeRecord._meta.db_table,
                    {
                        "household_id": [ids(ref) for ref, _ in plan.new_incomes],
                        "recorded_at": [self.now] * len(plan.new_incomes),
                    }
                    | values,
                )
            self._pg_update(
                cursor,
                IncomeRecord,
                INCOME_COLUMNS,
                [
                    (pk, row | {"household_id": ids(ref), "recorded_at": self.now})
                    for pk, ref, row in plan.update_incomes
                ],
            )
            if plan.audit:
                _copy_columns(cursor, AuditEntry._meta.db_table, link_columns(self._audit_columns(plan, ids)))

    def _pg_update(self, cursor, model, columns, rows: list[tuple[int, dict]]) -> None:
        if not rows:
            return
        table = model._meta.db_table
        temp = f"_import_{table}"
        sealed = seal_columns(
            model, {"id": [pk for pk, _ in rows]} | {c: [row[c] for _, row in rows] for c in columns}
        )
        _copy_columns(cursor, temp, sealed)
        sets = ", ".join(f'"{c}" = s."{c}"' for c in sealed if c not in ("id", "created_at"))
        cursor.execute(f'UPDATE "{table}" t SET {sets} FROM "{temp}" s WHERE t.id = s.id')
        cursor.execute(f'TRUNCATE "{temp}"')


# The statement triggers on inserts whose whole effect is a function of the inserted rows' villages
# (the list versions, migration 0003; the rollups' dirty villages, reports.bulk). A bulk load that
# rebuilds the indexes disables them, and applies that effect once for the villages it wrote.
LIST_VERSION_TRIGGERS = {
    Household._meta.db_table: ("registry_household_listversion_insert",),
    Member._meta.db_table: ("registry_member_listversion_insert",),
}


def bump_list_versions(cursor, villages) -> None:
    """A new list version for each of these villages, as the insert triggers give (migration 0003)."""
    cursor.execute(
        "INSERT INTO registry_listversion (village_code, token) "
        "SELECT code, gen_random_uuid()::text FROM unnest(%s::text[]) AS code ORDER BY code "
        "ON CONFLICT (village_code) DO UPDATE SET token = EXCLUDED.token",
        [sorted(set(villages))],
    )


@dataclass(frozen=True)
class VillageTriggers:
    """Insert triggers whose whole effect is `apply(cursor, villages)` for the inserted rows' villages."""

    triggers: dict[str, tuple[str, ...]]  # table → trigger names
    apply: Callable[[object, set[str]], None]


# The registry's own, then those of the apps above it, which register theirs at start-up (reports: the
# rollups' dirty villages, ReportsConfig.ready), so the registry never imports them.
VILLAGE_TRIGGERS: list[VillageTriggers] = [VillageTriggers(LIST_VERSION_TRIGGERS, bump_list_versions)]


def register_village_triggers(
    triggers: dict[str, tuple[str, ...]], apply: Callable[[object, set[str]], None]
) -> None:
    """Let a bulk load disable these insert triggers and call `apply(cursor, villages)` once instead
    (idempotent)."""
    entry = VillageTriggers({table: tuple(names) for table, names in triggers.items()}, apply)
    if entry not in VILLAGE_TRIGGERS:
        VILLAGE_TRIGGERS.append(entry)


def bulk_triggers() -> dict[str, tuple[str, ...]]:
    """table → the registered insert triggers on it that a bulk load disables."""
    out: dict[str, tuple[str, ...]] = {}
    for entry in VILLAGE_TRIGGERS:
        for table, names in entry.triggers.items():
            out[table] = out.get(table, ()) + names
    return out


@dataclass(frozen=True)
class _BulkMode:
    """Sent to the writer before a bulk load large relative to the registry (and to the audit trail, if
    `audit`)."""

    audit: bool


class Writer(threading.Thread):
    """Writes the chunks' plans on its own connection, in one transaction committed only at the end.

    Before a bulk load that is large relative to the registry it drops the registry tables'
    secondary indexes, unique constraints, foreign keys and primary keys (but the households', see
    PRIMARY_KEPT, with the foreign keys pointing at them), and rebuilds them after the load in the
    same transaction (pg_restore's order: one sort per index instead of a million insertions, one
    join per foreign key instead of a check per row), so nothing half-written is ever visible and a
    violation found by the rebuild rolls everything back.
    """

    TABLES = (Household._meta.db_table, Member._meta.db_table, IncomeRecord._meta.db_table)
    # Every secondary index goes, those led by a column that only grows during the load (household_id,
    # at) too: measured on a million members, appending to them cost the writer 1.2 s (members) and
    # 0.9 s (audit) in COPY, rebuilding them 0.3 s and 0.2 s. So do the primary keys, ascending as they
    # are (each row's key costs a WAL record: 1.35 s of the COPY of a million members, 0.5 s of 270,000
    # audit entries; sorting them after, 0.1 s), with the foreign keys that point at them, but the
    # households': sixteen tables' keys point at it, each re-added key would read its whole table.
    PRIMARY_KEPT = (Household._meta.db_table,)

    def __init__(self, importer: Importer):
        super().__init__(name="fupin-import-writer", daemon=True)
        self.importer = importer
        self.queue: queue.Queue = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.commit = False
        self.ended = False
        self.rebuild: list[str] = []
        self.disabled: list[tuple[str, str]] = []  # (table, trigger) disabled for the load (bulk_triggers)
        self.villages: set[str] = set()  # the villages written while they are

    def run(self) -> None:
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    # synchronous_commit stays as the server has it (on): an import reported as done must
                    # survive a crash right after its COMMIT (issue 16; the cost, measured with
                    # bench_import.py, in CHANGELOG.md)
                    cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
                    cursor.execute("SET LOCAL work_mem = '64MB'")
                    # foreign keys checked as each batch arrives, while the importer prepares the next,
                    # rather than all at once at the commit
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                self.importer._pg_prepare()
                while (plan := self._next()) is not None:
                    if isinstance(plan, _BulkMode):
                        self.drop_indexes(self.TABLES + ((AuditEntry._meta.db_table,) if plan.audit else ()))
                        continue
                    if self.disabled:
                        villages = plan.villages if hasattr(plan, "write") else plan.new_villages()
                        if villages is None:  # not only new households in known villages: the triggers see it
                            self._enable_triggers()
                        else:
                            self.villages.update(villages)
                    if hasattr(plan, "write"):
                        # COPY goes through psycopg itself: its errors become Django's (IntegrityError …)
                        with connection.wrap_database_errors, connection.cursor() as cursor:
                            plan.write(cursor, getattr(self.importer, "timings", None))
                    else:
                        with connection.wrap_database_errors:
                            self.importer._pg_write(plan)
                if not self.commit:
                    transaction.set_rollback(True)
                else:
                    timings = getattr(self.importer, "timings", {})
                    with connection.cursor() as cursor:
                        for statement in self.rebuild:
                            started = time.perf_counter()
                            cursor.execute(statement)
                            timings["rebuild"] = timings.get("rebuild", 0.0) + time.perf_counter() - started
                            timings.setdefault("rebuild each", []).append(
                                (round(time.perf_counter() - started, 2), statement.split(" ON ")[0][-40:])
                            )
                    if self.disabled:
                        started = time.perf_counter()
                        self._enable_triggers()
                        timings["triggers' effect"] = time.perf_counter() - started
                    if self.importer.commit_marker:
                        # on this thread's connection: in the committing transaction
                        self.importer.commit_marker()
        except BaseException as e:  # handed to the importing thread by close()
            self.error = e
            while not self.ended:
                self._next()
        finally:
            connection.close()

    def drop_indexes(self, tables: tuple[str, ...]) -> None:
        """Drop what the rebuild list recreates; skipped (nothing dropped) if the tables cannot be locked in 5
        s.

        Public as the seam through which a test sees what a load dropped (`rebuild`) and disabled
        (`disabled`).
        """
        from django.db import OperationalError

        registered = bulk_triggers()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 'DROP INDEX ' || i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM "
                "pg_index i "
                "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1",
                [list(tables)],
            )
            indexes = cursor.fetchall()
            cursor.execute(
                "SELECT format('ALTER TABLE %%I DROP CONSTRAINT %%I', c.conrelid::regclass::text, "
                "c.conname), "
                "format('ALTER TABLE %%I ADD CONSTRAINT %%I %%s', c.conrelid::regclass::text, c.conname, "
                "pg_get_constraintdef(c.oid)), c.contype FROM pg_constraint c "
                "WHERE (c.conrelid = ANY(%(tables)s::regclass[]) AND (c.contype IN ('f', 'u') "
                "                                    OR c.contype = 'p' AND c.conrelid <> "
                "ALL(%(kept)s::regclass[]))) "
                "OR (c.contype = 'f' AND c.confrelid = ANY(%(tables)s::regclass[]) AND c.confrelid <> "
                "ALL(%(kept)s::regclass[])) "
                "ORDER BY c.contype <> 'f', 1",  # foreign keys dropped before the keys they point at
                {"tables": list(tables), "kept": list(self.PRIMARY_KEPT)},
            )
            constraints = cursor.fetchall()
            cursor.execute(
                "SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE tgrelid = ANY(%s::regclass[]) "
                "AND tgenabled = 'O' AND NOT tgisinternal AND tgname = ANY(%s) ORDER BY 1, 2",
                [list(tables), [name for names in registered.values() for name in names]],
            )
            triggers = [
                (table, name) for table, name in cursor.fetchall() if name in registered.get(table, ())
            ]
            try:
                with transaction.atomic():
                    cursor.execute("SET LOCAL lock_timeout = '5s'")
                    for drop, _, _ in constraints:
                        cursor.execute(drop)
                    for drop, _ in indexes:
                        cursor.execute(drop)
                    for table, name in triggers:
                        cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER "{name}"')
                    cursor.execute("SET LOCAL lock_timeout = 0")
            except OperationalError:
                log.info("import: registry tables busy, loading with their indexes in place")
                return
        self.disabled = triggers
        # primary keys and unique constraints before the foreign keys, then the plain indexes
        self.rebuild = (
            [add for _, add, kind in constraints if kind in ("p", "u")]
            + [add for _, add, kind in constraints if kind == "f"]
            + [create for _, create in indexes]
        )

    def _enable_triggers(self) -> None:
        """Apply the disabled triggers' effect to the villages written meanwhile, set-wise, and enable them
        again (all in the load's transaction: no other session ever sees them disabled)."""
        if not self.disabled:
            return
        with connection.cursor() as cursor:
            if self.villages:
                for entry in VILLAGE_TRIGGERS:
                    entry.apply(cursor, self.villages)
            for table, name in self.disabled:
                cursor.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER "{name}"')
        self.disabled, self.villages = [], set()

    def _next(self):
        plan = self.queue.get()
        if plan is None:
            self.ended = True
        return plan

    def send(self, plan) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(plan)

    def close(self, *, commit: bool) -> None:
        self.commit = commit and self.error is None
        if self.ident is not None:  # started: it closes its connection when it ends
            self.queue.put(None)
            self.join()
        if self.error is not None:
            raise self.error


def _copy_value(value) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    kind = type(value)
    if kind is str:
        return _copy_escape(value)
    if kind is bool:
        return "t" if value else "f"
    if kind is list or kind is dict:
        return _copy_escape(json.dumps(value, ensure_ascii=False))
    if kind is datetime.datetime:
        return value.isoformat()
    return str(value)


def _copy_escape(text: str) -> str:
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _copy_column(values: list) -> list[str]:
    """A column in COPY text format, converting each distinct value once."""
    kinds = set(map(type, values))
    if kinds == {str}:
        joined = "".join(values)
        if "\\" in joined or "\t" in joined or "\n" in joined or "\r" in joined:
            return [_copy_escape(v) for v in values]
        return values
    if kinds == {list}:  # JSON lists (致贫原因, flags): few distinct ones
        formatted = {}
        out = []
        for v in values:
            key = tuple(v)
            text = formatted.get(key)
            if text is None:
                text = formatted[key] = _copy_value(v)
            out.append(text)
        return out
    if list in kinds or dict in kinds:
        return [_copy_value(v) for v in values]
    formatted = {v: _copy_value(v) for v in set(values)}
    return list(map(formatted.__getitem__, values))


def _copy_columns(cursor, table: str, columns: dict[str, list]) -> None:
    names = ", ".join(f'"{c}"' for c in columns)
    lines = map("\t".join, zip(*map(_copy_column, columns.values()), strict=True))
    with cursor.cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
        block = []
        size = 0
        for line in lines:
            block.append(line)
            size += 1
            if size >= 5000:
                block.append("")
                copy.write("\n".join(block))
                block, size = [], 0
        if block:
            block.append("")
            copy.write("\n".join(block))
