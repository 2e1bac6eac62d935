"""Sweeps (筛查): the registry read for signals and suspects of a year, in the background, and candidates
dismissed from them."""

import datetime
import time
from concurrent.futures import ThreadPoolExecutor

import polars as pl
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext

from fupin.accounts.models import User
from fupin.accounts.scope import ScopeError, ensure_can_edit, ensure_can_read, ensure_can_write
from fupin.audit.services import record
from fupin.core import work
from fupin.regions.models import code_range
from fupin.registry.models import Household

from . import permissions, rules, screening
from .models import (
    Decision,
    Department,
    Finding,
    RiskSignal,
    SignalState,
    Sweep,
)
from .services import MonitoringError

# ---------------------------------------------------------------- sweeps


def _insert_select(table: str, columns: list[str], inner: QuerySet, constants: list) -> int:
    """INSERT INTO table (columns) SELECT the queryset's s_/f_ columns, then the constants — no row passes
    through Python.

    On PostgreSQL the rule's rows are first selected into a temporary table with CREATE TABLE AS: an
    INSERT … SELECT never gets a parallel plan there (PostgreSQL 15), CREATE TABLE AS does, and a rule over a
    million households is a few big scans and hash joins that run two to three times faster in parallel.
    """
    try:
        sql, params = inner.query.get_compiler(connection=connection).as_sql()
    except EmptyResultSet:
        return 0  # a rule that can match nothing (id_rules: no member fires, pk__in=[]) inserts nothing
    inner_cols = list(inner.query.values_select) + list(inner.query.annotation_select)
    picked = ", ".join(
        f"sub.{connection.ops.quote_name(c)}" for c in inner_cols if c.startswith(("s_", "f_"))
    )
    marks = "".join(", %s" for _ in constants)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("DROP TABLE IF EXISTS monitoring_rule_rows")
            cur.execute(
                f"CREATE TEMPORARY TABLE monitoring_rule_rows AS SELECT {picked} FROM ({sql}) sub", params
            )
            cur.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) SELECT r.*{marks} FROM monitoring_rule_rows r",
                list(constants),
            )
            n = cur.rowcount
            cur.execute("DROP TABLE monitoring_rule_rows")
            return n
        # the constants' marks come first in the text
        cur.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {picked}{marks} FROM ({sql}) sub",
            list(constants) + list(params),
        )
        return cur.rowcount


def start_sweep(*, by: User, kind: str, year: int, scope_code: str | None = None) -> Sweep:
    """Queue a sweep over the user's region (township or county office; an administrator: anywhere)."""
    ensure_can_write(by)
    permissions.ensure(permissions.can_sweep(by))
    if scope_code is None:
        scope_code = by.region_id or ""
    if scope_code:
        ensure_can_read(by, scope_code)
    elif not by.is_superuser:
        raise ScopeError(gettext("不在您的管辖范围内"))
    this_year = timezone.localdate().year
    if not 2013 <= year <= this_year:
        raise MonitoringError(gettext("年度应在2013到%(this_year)s之间") % {"this_year": this_year})
    if kind not in Sweep.Kind.values:
        raise MonitoringError(gettext("未知的筛查类别"))
    if kind == Sweep.Kind.SIGNALS and not rules.effective_thresholds(year):
        raise MonitoringError(gettext("未设置%(year)s年及以前的监测线，请先设置监测线") % {"year": year})
    sweep = Sweep.objects.create(
        kind=kind,
        year=year,
        scope_code=scope_code,
        started_by=by,
        rules_total=len(rules.SIGNAL_RULES if kind == Sweep.Kind.SIGNALS else rules.SUSPECT_RULES),
    )
    record(
        by=by,
        action="start_sweep",
        target=sweep,
        scope_code=scope_code,
        changes={"year": [None, year], "kind": [None, kind]},
    )
    from .tasks import run_sweep_task  # cycle breaker: the task module runs these services

    transaction.on_commit(lambda: run_sweep_task.enqueue(sweep.pk))
    return sweep


UNFINISHED = (Sweep.Status.QUEUED, Sweep.Status.RUNNING)


def run_sweep(sweep: Sweep) -> Sweep:
    """Run a queued sweep once, holding its lease (fupin.core.work): a second worker given the same sweep, or
    a rerun of one that is done, failed or cancelled, runs nothing; one marked running whose runner died
    (nobody holds its lease; its transaction wrote nothing) is run again from the start."""
    lease = work.Lease("sweep", sweep.pk)
    if not lease.try_acquire():
        sweep.refresh_from_db()
        return sweep  # running in another process
    try:
        if not Sweep.objects.filter(pk=sweep.pk, status__in=UNFINISHED).update(
            status=Sweep.Status.RUNNING, rules_done=0, message=""
        ):
            sweep.refresh_from_db()
            return sweep
        return _run_sweep(sweep)
    finally:
        lease.release()


def _run_sweep(sweep: Sweep) -> Sweep:
    """Run every rule of the sweep as one INSERT … SELECT each, in one transaction; progress after each
    rule."""
    started = time.perf_counter()
    try:
        if sweep.kind == Sweep.Kind.SIGNALS and connection.vendor == "sqlite":
            # SQLite admits one writer at a time: the rules (the long part) fill the connection's temporary
            # table outside the write transaction, so sign-ins and edits go on meanwhile; only the merge below
            # holds the write lock (issue 16, finding 12). PostgreSQL runs both in one transaction.
            _signal_rows(sweep)
        with transaction.atomic():
            if sweep.kind == Sweep.Kind.SIGNALS:
                total = _merge_signals(sweep) if connection.vendor == "sqlite" else _sweep_signals(sweep)
            else:
                total = _sweep_suspects(sweep)
            record(
                by=sweep.started_by,
                action="sweep_done",
                target=sweep,
                scope_code=sweep.scope_code,
                changes={"results": [None, total]},
            )
    except Exception as e:  # the run is recorded as failed; nothing half-written stays (one transaction)
        Sweep.objects.filter(pk=sweep.pk).update(
            status=Sweep.Status.FAILED, message=f"筛查失败：{e}"[:1000], finished_at=timezone.now()
        )
        raise
    Sweep.objects.filter(pk=sweep.pk).update(
        status=Sweep.Status.DONE,
        results=total,
        finished_at=timezone.now(),
        seconds=time.perf_counter() - started,
    )
    sweep.refresh_from_db()
    return sweep


SIGNAL_TABLE_COLUMNS = [
    "household_id",
    "village_code",
    "source_type",
    "source_id",
    "source_label",
    "value",
    "reference",
    "kind",
]
# a signal row is the same as before when all of these agree (value and reference may be NULL)
SIGNAL_KEY = ["household_id", "kind", "source_type", "source_id"]
SIGNAL_DATA = ["village_code", "source_label", "value", "reference"]


def _tune_for_sweep() -> None:
    """PostgreSQL: the sweep's few big joins need no JIT (it costs more than it saves here) and room to hash
    in memory."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SET LOCAL jit = off")
            cur.execute("SET LOCAL work_mem = '64MB'")


def _sweep_signals(sweep: Sweep) -> int:
    """Compute every rule into a temporary table, then bring the year's open signals in scope up to date:
    open signals that no longer fire (or now read differently) go, new ones come in, unchanged ones stay
    as they are (no rewrite). Signals already taken or dismissed are never raised again (the unique
    constraint; ON CONFLICT DO NOTHING). The result is the same set of open signals as deleting them all
    and inserting every rule's rows afresh."""
    _signal_rows(sweep)
    return _merge_signals(sweep)


SWEEP_TABLE = "monitoring_sweep_new"


def _signal_rows(sweep: Sweep) -> None:
    """Every rule's rows into the connection's temporary table (progress after each rule)."""
    _tune_for_sweep()
    if connection.vendor == "postgresql":
        # one signal sweep of a year at a time (scopes may overlap), so the insert below needs no ON CONFLICT
        # (speculative insertion cost 40 % of it); SQLite runs one writer at a time anyway
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtext('monitoring.signal_sweep'), %s)", [sweep.year])
    temp = SWEEP_TABLE
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {temp}")
        # the same DDL on both databases; the rules' rows land here (a temporary table: no WAL, no indexes)
        cur.execute(
            f"CREATE TEMPORARY TABLE {temp} (household_id bigint, village_code varchar(15), "
            "source_type varchar(20), "
            f"source_id bigint, source_label varchar(200), value numeric(12, 2), reference numeric(12, 2), "
            f"kind varchar(20))"
        )
    for i, rule in enumerate(rules.SIGNAL_RULES, 1):
        qs = rule.query(sweep.year, sweep.scope_code).order_by()
        _insert_select(temp, SIGNAL_TABLE_COLUMNS, qs, [str(rule.key)])
        Sweep.objects.filter(pk=sweep.pk).update(rules_done=i)


def _merge_signals(sweep: Sweep) -> int:
    """The year's open signals in scope brought up to the temporary table's rows; how many are open."""
    qn, temp = connection.ops.quote_name, SWEEP_TABLE
    scope, scope_params = "", list[str]()
    if sweep.scope_code:
        lo, hi = code_range(sweep.scope_code)
        scope, scope_params = " AND o.village_code >= %s AND o.village_code <= %s", [lo, hi]
    same = "IS NOT DISTINCT FROM" if connection.vendor == "postgresql" else "IS"
    match = " AND ".join(
        [f"n.{qn(c)} = o.{qn(c)}" for c in SIGNAL_KEY] + [f"n.{qn(c)} {same} o.{qn(c)}" for c in SIGNAL_DATA]
    )
    cols = ", ".join(qn(c) for c in SIGNAL_TABLE_COLUMNS)
    open_in_scope: list[int | str] = [sweep.year, SignalState.OPEN.value, *scope_params]
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(f"ANALYZE {temp}")
        cur.execute(
            f"DELETE FROM monitoring_risksignal AS o WHERE o.year = %s AND o.state = %s{scope} "
            f"AND NOT EXISTS (SELECT 1 FROM {temp} n WHERE {match})",
            open_in_scope,
        )
        # rows already present (unchanged open signals, taken or dismissed ones) are skipped by the anti-join;
        # the rules raise each (household, kind, source) once, so the new rows are distinct among themselves.
        # In the unique index's order, the insert touches each index page once.
        cur.execute(
            f"INSERT INTO monitoring_risksignal ({cols}, year, state, sweep_id) "
            f"SELECT {', '.join('n.' + qn(c) for c in SIGNAL_TABLE_COLUMNS)}, %s, %s, %s FROM {temp} n "
            f"WHERE NOT EXISTS (SELECT 1 FROM monitoring_risksignal o WHERE o.year = %s AND "
            f"{' AND '.join(f'o.{qn(c)} = n.{qn(c)}' for c in SIGNAL_KEY)}) "
            f"ORDER BY n.household_id, n.kind, n.source_type, n.source_id",
            [sweep.year, SignalState.OPEN.value, sweep.pk, sweep.year],
        )
        cur.execute(
            f"SELECT count(*) FROM monitoring_risksignal o WHERE o.year = %s AND o.state = %s{scope}",
            open_in_scope,
        )
        total = cur.fetchone()[0]
        cur.execute(f"DROP TABLE {temp}")
    return total


# the columns of a finding a sweep's INSERT … SELECT writes: the rule's query gives the first four
FINDING_COLUMNS = [
    "household_id",
    "member_id",
    "village_code",
    "detail",
    "rule",
    "severity",
    "department",
    "evidence",
    "decision",
    "decision_note",
    "created_at",
    "sweep_id",
]


def _insert_findings(sweep: Sweep, rule: rules.Rule, qs: QuerySet, now: datetime.datetime) -> int:
    """The rule's findings that are new: one raised on the same household (and member) is not raised again,
    its decision stands."""
    earlier = Finding.objects.filter(
        department=Department.REGISTRY, rule=rule.key, household_id=OuterRef("f_household")
    )
    if rule.key not in NO_MEMBER_RULES:
        earlier = earlier.filter(member_id=OuterRef("f_member"))
    return _insert_select(
        "monitoring_finding",
        FINDING_COLUMNS,
        qs.exclude(Exists(earlier)),
        [
            rule.key,
            int(rule.severity),
            Department.REGISTRY.value,
            "{}",
            Decision.PENDING.value,
            "",
            now,
            sweep.pk,
        ],
    )


def _sweep_suspects(sweep: Sweep, timings: dict | None = None) -> int:
    """Each suspect rule as one INSERT … SELECT. The member rules run over the members the screen marked
    (screening.py: one read of the members, checked column-wise), the rest over everything — first, while
    the screen's checks run beside them. `timings`, when given, gets the seconds of the screen and of each
    rule."""
    # the suspect rules are the same kind of big scans and hash joins: 26 s -> 18 s on 1M households
    _tune_for_sweep()
    timings = {} if timings is None else timings
    started = time.perf_counter()
    keys = {rule.key for rule in rules.SUSPECT_RULES}
    members = screening.read_members(sweep.scope_code) if keys & screening.SCREENED_RULES else None
    timings["screen: read"] = time.perf_counter() - started

    def checks() -> dict[str, pl.Series]:
        assert members is not None  # submitted only when the screen read them
        started = time.perf_counter()
        found = screening.candidates(members, whole_registry=not sweep.scope_code)
        timings["screen: checks"] = time.perf_counter() - started
        return found

    total = 0
    now = timezone.now()
    # the rules the screen does not serve go first (a stable sort keeps their order)
    order = sorted(
        rules.SUSPECT_RULES, key=lambda r: members is not None and r.key in screening.SCREENED_RULES
    )
    with ThreadPoolExecutor(max_workers=1) as pool:  # polars works outside the GIL; the database on its own
        pending = pool.submit(checks) if members is not None else None
        screened = None
        for i, rule in enumerate(order, 1):
            started = time.perf_counter()
            if pending is not None and rule.key in screening.SCREENED_RULES and screened is None:
                screened = pending.result()
            if screened is not None and rule.key in screened:
                found = screened[rule.key]
                if found.is_empty():
                    qs = None
                else:
                    screening.write_candidates(found)
                    qs = rule.query(
                        sweep.year,
                        sweep.scope_code,
                        candidates=RawSQL(f"SELECT id FROM {screening.SCREENED_TABLE}", ()),
                    )
            else:
                qs = rule.query(sweep.year, sweep.scope_code)
            if qs is not None:
                total += _insert_findings(sweep, rule, qs, now)
            Sweep.objects.filter(pk=sweep.pk).update(rules_done=i)
            timings[rule.key] = time.perf_counter() - started
    if screened:
        screening.drop_candidates()
    return total


# rules that fire on a household as a whole (no member)
NO_MEMBER_RULES = [
    "head_missing",
    "income_inconsistent",
    "income_size_mismatch",
    "split_household",
    "exited_guarantees_unmet",
]


# ---------------------------------------------------------------- candidates from signals


@transaction.atomic
def dismiss_candidate(household: Household, *, by: User, year: int, reason: str) -> int:
    """Set a household's open signals of the year aside, with the reason (never a status change)."""
    ensure_can_edit(by, household.village_id)
    if not (reason or "").strip():
        raise MonitoringError(gettext("请填写排除理由"))
    n = RiskSignal.objects.filter(household=household, year=year, state=SignalState.OPEN).update(
        state=SignalState.DISMISSED
    )
    if not n:
        raise MonitoringError(gettext("该户没有待研判的预警"))
    record(
        by=by,
        action="dismiss_risk_signals",
        target=household,
        household=household,
        scope_code=household.village_id,
        changes={"year": [None, year], "reason": [None, reason.strip()], "signals": [None, n]},
    )
    return n
