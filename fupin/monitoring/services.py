"""What users do in monitoring: sweeps, monitored households, look-backs, cross-checks, the problem ledger.

Each function checks scope and role, runs in a transaction, and writes its audit entry.
Refusals raise MonitoringError with a Chinese message.
"""
import datetime
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.core.files.base import File
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from fupin.accounts.models import Role
from fupin.accounts.permissions import holds
from fupin.accounts.scope import ScopeError, ensure_can_edit, ensure_can_read, ensure_can_write
from fupin.audit.services import record
from fupin.core.errors import ServiceError
from fupin.core.evidence import EvidenceRefused, random_name
from fupin.core.evidence import accept as accept_evidence
from fupin.core.files import local_path
from fupin.regions.models import Region, RegionLevel, code_range, in_region, level_of
from fupin.registry import codes
from fupin.registry.models import GuaranteeCheck, Household, IncomeRecord
from fupin.registry.services import RegistryError, apply_key_facts

from . import matching, permissions, rules, screening
from .models import (
    CHECK_ITEM_LABELS,
    CHECK_ITEMS,
    MONITORING_TRANSITIONS,
    CrossCheck,
    Decision,
    Department,
    Finding,
    LookBack,
    LookBackItem,
    MonitoredHousehold,
    MonitoringKind,
    MonitoringMeasure,
    MonitoringSource,
    MonitoringStage,
    MonitoringStep,
    MonitoringThreshold,
    Problem,
    ProblemSource,
    ProblemStatus,
    RiskEvent,
    RiskSignal,
    SignalState,
    Sweep,
)


class MonitoringError(ServiceError):
    """A refused action; the message is Chinese."""


class AddresseeError(MonitoringError):
    """A department list names no county, or one that does not exist."""


def _display(user) -> str:
    return getattr(user, "full_name", "") or getattr(user, "username", "")


# ---------------------------------------------------------------- thresholds

@transaction.atomic
def set_threshold(*, by, region_prefix: str, year: int, threshold, unregistered_line, income_drop_percent: int = 30,
                  large_expense=10000, requires_village_appraisal: bool = True, requires_township_review: bool = True,
                  note: str = "") -> MonitoringThreshold:
    """Set a year's monitoring line for a county (its office) or a wider region or the nation ("", administrators).

    Prefecture and province offices are read-only roles (accounts.models.READ_ONLY_ROLES): they write nothing.
    """
    ensure_can_write(by)
    if region_prefix:
        ensure_can_read(by, region_prefix)
        permissions.ensure(permissions.is_county_office(by), "只有县扶贫办可以设置本县监测线")
    elif not by.is_superuser:
        raise ScopeError("只有系统管理员可以设置全国监测线")
    if threshold is None or threshold <= 0 or unregistered_line is None or unregistered_line <= 0:
        raise MonitoringError("监测线和排查线须大于0")
    if not 1 <= int(income_drop_percent) <= 100:
        raise MonitoringError("收入下降比例应在1%到100%之间")
    row, created = MonitoringThreshold.objects.update_or_create(
        region_prefix=region_prefix, year=year,
        defaults=dict(threshold=threshold, unregistered_line=unregistered_line, income_drop_percent=income_drop_percent,
                      large_expense=large_expense, requires_village_appraisal=requires_village_appraisal,
                      requires_township_review=requires_township_review, note=note),
    )
    record(by=by, action="set_monitoring_threshold", target=row, scope_code=region_prefix,
           changes={"threshold": [None, str(threshold)], "unregistered_line": [None, str(unregistered_line)]})
    return row


@transaction.atomic
def record_risk_event(household: Household, *, by, kind: str, occurred_on: datetime.date, amount, description: str) -> RiskEvent:
    ensure_can_edit(by, household.village_id)
    if kind not in RiskEvent.Kind.values:
        raise MonitoringError("请选择风险事件类别")
    if occurred_on > timezone.localdate():
        raise MonitoringError("发生日期不能晚于今天")
    if amount is None or amount < 0:
        raise MonitoringError("金额不能为负数")
    if not (description or "").strip():
        raise MonitoringError("请填写情况说明")
    event = RiskEvent.objects.create(household=household, kind=kind, occurred_on=occurred_on, amount=amount,
                                     description=description.strip(), recorded_by=by)
    record(by=by, action="record_risk_event", target=event, household=household, scope_code=household.village_id,
           changes={"kind": [None, kind], "amount": [None, str(amount)], "description": [None, event.description]})
    return event


# ---------------------------------------------------------------- sweeps

def _insert_select(table: str, columns: list[str], inner, constants: list) -> int:
    """INSERT INTO table (columns) SELECT the queryset's s_/f_ columns, then the constants — no row passes through Python.

    On PostgreSQL the rule's rows are first selected into a temporary table with CREATE TABLE AS: an
    INSERT … SELECT never gets a parallel plan there (PostgreSQL 15), CREATE TABLE AS does, and a rule over a
    million households is a few big scans and hash joins that run two to three times faster in parallel.
    """
    sql, params = inner.query.get_compiler(connection=connection).as_sql()
    inner_cols = list(inner.query.values_select) + list(inner.query.annotation_select)
    picked = ", ".join(f"sub.{connection.ops.quote_name(c)}" for c in inner_cols if c.startswith(("s_", "f_")))
    marks = "".join(", %s" for _ in constants)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("DROP TABLE IF EXISTS monitoring_rule_rows")
            cur.execute(f"CREATE TEMPORARY TABLE monitoring_rule_rows AS SELECT {picked} FROM ({sql}) sub", params)
            cur.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT r.*{marks} FROM monitoring_rule_rows r",
                        list(constants))
            n = cur.rowcount
            cur.execute("DROP TABLE monitoring_rule_rows")
            return n
        # the constants' marks come first in the text
        cur.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {picked}{marks} FROM ({sql}) sub",
                    list(constants) + list(params))
        return cur.rowcount


def start_sweep(*, by, kind: str, year: int, scope_code: str | None = None) -> Sweep:
    """Queue a sweep over the user's region (township or county office; an administrator: anywhere)."""
    ensure_can_write(by)
    permissions.ensure(permissions.can_sweep(by))
    if scope_code is None:
        scope_code = by.region_id or ""
    if scope_code:
        ensure_can_read(by, scope_code)
    elif not by.is_superuser:
        raise ScopeError("不在您的管辖范围内")
    this_year = timezone.localdate().year
    if not 2013 <= year <= this_year:
        raise MonitoringError(f"年度应在2013到{this_year}之间")
    if kind not in Sweep.Kind.values:
        raise MonitoringError("未知的筛查类别")
    if kind == Sweep.Kind.SIGNALS and not rules.effective_thresholds(year):
        raise MonitoringError(f"未设置{year}年及以前的监测线，请先设置监测线")
    sweep = Sweep.objects.create(kind=kind, year=year, scope_code=scope_code, started_by=by,
                                 rules_total=len(rules.SIGNAL_RULES if kind == Sweep.Kind.SIGNALS else rules.SUSPECT_RULES))
    record(by=by, action="start_sweep", target=sweep, scope_code=scope_code, changes={"year": [None, year], "kind": [None, kind]})
    from .tasks import run_sweep_task  # cycle breaker: the task module runs these services

    transaction.on_commit(lambda: run_sweep_task.enqueue(sweep.pk))
    return sweep


def run_sweep(sweep: Sweep) -> Sweep:
    """Run every rule of the sweep as one INSERT … SELECT each, in one transaction; progress after each rule."""
    started = time.perf_counter()
    Sweep.objects.filter(pk=sweep.pk).update(status=Sweep.Status.RUNNING, rules_done=0)
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
            record(by=sweep.started_by, action="sweep_done", target=sweep, scope_code=sweep.scope_code,
                   changes={"results": [None, total]})
    except Exception as e:  # the run is recorded as failed; nothing half-written stays (one transaction)
        Sweep.objects.filter(pk=sweep.pk).update(status=Sweep.Status.FAILED, message=f"筛查失败：{e}"[:1000],
                                                 finished_at=timezone.now())
        raise
    Sweep.objects.filter(pk=sweep.pk).update(status=Sweep.Status.DONE, results=total, finished_at=timezone.now(),
                                             seconds=time.perf_counter() - started)
    sweep.refresh_from_db()
    return sweep


SIGNAL_TABLE_COLUMNS = ["household_id", "village_code", "source_type", "source_id", "source_label", "value", "reference",
                        "kind"]
# a signal row is the same as before when all of these agree (value and reference may be NULL)
SIGNAL_KEY = ["household_id", "kind", "source_type", "source_id"]
SIGNAL_DATA = ["village_code", "source_label", "value", "reference"]


def _tune_for_sweep() -> None:
    """PostgreSQL: the sweep's few big joins need no JIT (it costs more than it saves here) and room to hash in memory."""
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
        cur.execute(f"CREATE TEMPORARY TABLE {temp} (household_id bigint, village_code varchar(15), source_type varchar(20), "
                    f"source_id bigint, source_label varchar(200), value numeric(12, 2), reference numeric(12, 2), "
                    f"kind varchar(20))")
    for i, rule in enumerate(rules.SIGNAL_RULES, 1):
        qs = rule.query(sweep.year, sweep.scope_code).order_by()
        _insert_select(temp, SIGNAL_TABLE_COLUMNS, qs, [str(rule.key)])
        Sweep.objects.filter(pk=sweep.pk).update(rules_done=i)


def _merge_signals(sweep: Sweep) -> int:
    """The year's open signals in scope brought up to the temporary table's rows; how many are open."""
    qn, temp = connection.ops.quote_name, SWEEP_TABLE
    scope, scope_params = "", []
    if sweep.scope_code:
        lo, hi = code_range(sweep.scope_code)
        scope, scope_params = " AND o.village_code >= %s AND o.village_code <= %s", [lo, hi]
    same = "IS NOT DISTINCT FROM" if connection.vendor == "postgresql" else "IS"
    match = " AND ".join([f"n.{qn(c)} = o.{qn(c)}" for c in SIGNAL_KEY] + [f"n.{qn(c)} {same} o.{qn(c)}" for c in SIGNAL_DATA])
    cols = ", ".join(qn(c) for c in SIGNAL_TABLE_COLUMNS)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(f"ANALYZE {temp}")
        cur.execute(f"DELETE FROM monitoring_risksignal AS o WHERE o.year = %s AND o.state = %s{scope} "
                    f"AND NOT EXISTS (SELECT 1 FROM {temp} n WHERE {match})",
                    [sweep.year, SignalState.OPEN.value] + scope_params)
        # rows already present (unchanged open signals, taken or dismissed ones) are skipped by the anti-join;
        # the rules raise each (household, kind, source) once, so the new rows are distinct among themselves.
        # In the unique index's order, the insert touches each index page once.
        cur.execute(f"INSERT INTO monitoring_risksignal ({cols}, year, state, sweep_id) "
                    f"SELECT {', '.join('n.' + qn(c) for c in SIGNAL_TABLE_COLUMNS)}, %s, %s, %s FROM {temp} n "
                    f"WHERE NOT EXISTS (SELECT 1 FROM monitoring_risksignal o WHERE o.year = %s AND "
                    f"{' AND '.join(f'o.{qn(c)} = n.{qn(c)}' for c in SIGNAL_KEY)}) "
                    f"ORDER BY n.household_id, n.kind, n.source_type, n.source_id",
                    [sweep.year, SignalState.OPEN.value, sweep.pk, sweep.year])
        cur.execute(f"SELECT count(*) FROM monitoring_risksignal o WHERE o.year = %s AND o.state = %s{scope}",
                    [sweep.year, SignalState.OPEN.value] + scope_params)
        total = cur.fetchone()[0]
        cur.execute(f"DROP TABLE {temp}")
    return total


def _sweep_suspects(sweep: Sweep, timings: dict | None = None) -> int:
    """Each suspect rule as one INSERT … SELECT. The member rules run over the members the screen marked
    (screening.py: one read of the members, checked column-wise), the rest over everything — first, while
    the screen's checks run beside them. `timings`, when given, gets the seconds of the screen and of each rule."""
    _tune_for_sweep()  # the suspect rules are the same kind of big scans and hash joins: 26 s -> 18 s on 1M households
    timings = {} if timings is None else timings
    started = time.perf_counter()
    keys = {rule.key for rule in rules.SUSPECT_RULES}
    members = screening.read_members(sweep.scope_code) if keys & screening.SCREENED_RULES else None
    timings["screen: read"] = time.perf_counter() - started

    def checks():
        started = time.perf_counter()
        found = screening.candidates(members, whole_registry=not sweep.scope_code)
        timings["screen: checks"] = time.perf_counter() - started
        return found

    total = 0
    now = timezone.now()
    columns = ["household_id", "member_id", "village_code", "detail", "rule", "severity", "department", "evidence",
               "decision", "decision_note", "created_at", "sweep_id"]
    # the rules the screen does not serve go first (a stable sort keeps their order)
    order = sorted(rules.SUSPECT_RULES, key=lambda r: members is not None and r.key in screening.SCREENED_RULES)
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
                    qs = rule.query(sweep.year, sweep.scope_code,
                                    candidates=RawSQL(f"SELECT id FROM {screening.SCREENED_TABLE}", ()))
            else:
                qs = rule.query(sweep.year, sweep.scope_code)
            if qs is not None:
                # a rule already raised on the same household (and member) is not raised again: its decision stands
                earlier = Finding.objects.filter(department=Department.REGISTRY, rule=rule.key,
                                                 household_id=OuterRef("f_household"))
                if rule.key not in NO_MEMBER_RULES:
                    earlier = earlier.filter(member_id=OuterRef("f_member"))
                fresh = qs.exclude(Exists(earlier))
                total += _insert_select("monitoring_finding", columns, fresh,
                                        [rule.key, int(rule.severity), Department.REGISTRY.value, "{}",
                                         Decision.PENDING.value, "", now, sweep.pk])
            Sweep.objects.filter(pk=sweep.pk).update(rules_done=i)
            timings[rule.key] = time.perf_counter() - started
    if screened:
        screening.drop_candidates()
    return total


# rules that fire on a household as a whole (no member)
NO_MEMBER_RULES = ["head_missing", "income_inconsistent", "income_size_mismatch", "split_household", "exited_guarantees_unmet"]


# ---------------------------------------------------------------- candidates from signals

@transaction.atomic
def dismiss_candidate(household: Household, *, by, year: int, reason: str) -> int:
    """Set a household's open signals of the year aside, with the reason (never a status change)."""
    ensure_can_edit(by, household.village_id)
    if not (reason or "").strip():
        raise MonitoringError("请填写排除理由")
    n = RiskSignal.objects.filter(household=household, year=year, state=SignalState.OPEN).update(state=SignalState.DISMISSED)
    if not n:
        raise MonitoringError("该户没有待研判的预警")
    record(by=by, action="dismiss_risk_signals", target=household, household=household, scope_code=household.village_id,
           changes={"year": [None, year], "reason": [None, reason.strip()], "signals": [None, n]})
    return n


# ---------------------------------------------------------------- monitored households

def _kind_allowed(household: Household, kind: str) -> None:
    if kind not in MonitoringKind.values:
        raise MonitoringError("请选择监测对象类别")
    if kind == MonitoringKind.UNSTABLE_EXITED and household.status != codes.HouseholdStatus.EXITED:
        raise MonitoringError("脱贫不稳定户须为已脱贫户")
    if kind != MonitoringKind.UNSTABLE_EXITED and household.status in (codes.HouseholdStatus.POOR, codes.HouseholdStatus.EXITED,
                                                                        codes.HouseholdStatus.APPLICANT):
        raise MonitoringError(f"边缘易致贫户和突发严重困难户须为未建档户，该户当前为“{household.get_status_display()}”")


@transaction.atomic
def report_monitored(household: Household, *, by, kind: str, source: str, year: int, risk_description: str) -> MonitoredHousehold:
    """Put a household forward for monitoring: its own report, the village survey, a department's push, or a sweep."""
    ensure_can_edit(by, household.village_id)
    household = Household.objects.select_for_update().get(pk=household.pk)
    _kind_allowed(household, kind)
    if source not in MonitoringSource.values:
        raise MonitoringError("请选择发现途径")
    if not (risk_description or "").strip():
        raise MonitoringError("请填写风险情况")
    if MonitoredHousehold.objects.filter(household=household, stage__in=[s for s in MONITORING_TRANSITIONS
                                                                         if MONITORING_TRANSITIONS[s]]).exists():
        raise MonitoringError("该户已有未结束的监测程序")
    case = MonitoredHousehold.objects.create(
        household=household, village_code=household.village_id, kind=kind, source=source, year=year,
        risk_description=risk_description.strip(), previous_status=household.status, reported_by=by,
    )
    MonitoringStep.objects.create(case=case, stage=MonitoringStage.REPORTED, by=by, by_name=_display(by),
                                  note=risk_description.strip())
    RiskSignal.objects.filter(household=household, year=year, state=SignalState.OPEN).update(state=SignalState.TAKEN)
    record(by=by, action="report_monitored", target=case, household=household, scope_code=household.village_id,
           changes={"kind": [None, kind], "source": [None, source], "risk": [None, case.risk_description]})
    return case


def _config(case: MonitoredHousehold) -> MonitoringThreshold | None:
    try:
        return rules.threshold_for(case.year, case.village_code)
    except rules.ThresholdMissing:
        return None


def _move(case: MonitoredHousehold, to: str, *, by, note: str) -> MonitoredHousehold:
    case = MonitoredHousehold.objects.select_for_update().get(pk=case.pk)
    if to not in MONITORING_TRANSITIONS[case.stage]:
        raise MonitoringError(f"当前环节为“{case.get_stage_display()}”，不能进入“{MonitoringStage(to).label}”")
    before = case.stage
    case.stage = to
    return case, before


# Apps beside monitoring that follow a case (declarations: fupin.declarations.apps) register here from their
# AppConfig.ready(); monitoring never imports them. Each listener is called with the case inside the transaction
# that moved it, so what it writes commits or rolls back with the move.
_stage_listeners = []


def on_stage_change(listener) -> None:
    """Register `listener(case)`, called after every move of a monitored household's stage."""
    if listener not in _stage_listeners:
        _stage_listeners.append(listener)


def _log(case, before, *, by, note, action):
    MonitoringStep.objects.create(case=case, stage=case.stage, by=by, by_name=_display(by), note=note)
    record(by=by, action=action, target=case, household=case.household, scope_code=case.village_code,
           changes={"stage": [before, case.stage], "note": [None, note]})
    for listener in _stage_listeners:
        listener(case)


@transaction.atomic
def appraise_monitored(case: MonitoredHousehold, *, by, note: str) -> MonitoredHousehold:
    """Record the village's democratic appraisal (村民主评议)."""
    ensure_can_edit(by, case.village_code)
    if not (note or "").strip():
        raise MonitoringError("请填写评议情况（参会人数、表决结果）")
    case, before = _move(case, MonitoringStage.APPRAISED, by=by, note=note)
    case.appraisal_note = note.strip()
    case.save(update_fields=["stage", "appraisal_note"])
    _log(case, before, by=by, note=note, action="appraise_monitored")
    return case


@transaction.atomic
def review_monitored(case: MonitoredHousehold, *, by, note: str) -> MonitoredHousehold:
    """The township's review (乡镇审核)."""
    case = MonitoredHousehold.objects.select_for_update().select_related("household").get(pk=case.pk)
    ensure_can_edit(by, case.village_code)
    permissions.ensure(permissions.can_decide_cases(by))
    config = _config(case)
    if case.stage == MonitoringStage.REPORTED and (config is None or config.requires_village_appraisal):
        raise MonitoringError("须先完成村民主评议")
    if not (note or "").strip():
        raise MonitoringError("请填写审核意见")
    case, before = _move(case, MonitoringStage.REVIEWED, by=by, note=note)
    case.review_note = note.strip()
    case.save(update_fields=["stage", "review_note"])
    _log(case, before, by=by, note=note, action="review_monitored")
    return case


@transaction.atomic
def include_monitored(case: MonitoredHousehold, *, by, note: str = "") -> MonitoredHousehold:
    """Take the household into monitoring: the household's status becomes 监测户 through the registry service."""
    case = MonitoredHousehold.objects.select_for_update().select_related("household").get(pk=case.pk)
    ensure_can_edit(by, case.village_code)
    permissions.ensure(permissions.can_decide_cases(by))
    config = _config(case)
    needs_appraisal = config is None or config.requires_village_appraisal
    needs_review = config is None or config.requires_township_review
    if needs_appraisal and case.stage == MonitoringStage.REPORTED:
        raise MonitoringError("须先完成村民主评议")
    if needs_review and case.stage != MonitoringStage.REVIEWED:
        raise MonitoringError("须先经乡镇审核")
    case, before = _move(case, MonitoringStage.MEASURES, by=by, note=note)
    case.included_at = timezone.now()
    case.save(update_fields=["stage", "included_at"])
    if case.household.status != codes.HouseholdStatus.MONITORED:
        try:
            apply_key_facts(case.household, by=by, action="monitoring_include", status=codes.HouseholdStatus.MONITORED)
        except RegistryError as e:
            raise MonitoringError(f"户信息不完整，不能标记为监测户：{e}") from None
    _log(case, before, by=by, note=note, action="include_monitored")
    return case


@transaction.atomic
def reject_monitored(case: MonitoredHousehold, *, by, reason: str) -> MonitoredHousehold:
    ensure_can_edit(by, case.village_code)
    permissions.ensure(permissions.can_reject_case(by))
    if not (reason or "").strip():
        raise MonitoringError("请填写不予纳入的理由")
    case, before = _move(case, MonitoringStage.REJECTED, by=by, note=reason)
    case.rejection_reason = reason.strip()
    case.save(update_fields=["stage", "rejection_reason"])
    _log(case, before, by=by, note=reason, action="reject_monitored")
    return case


@transaction.atomic
def add_measure(case: MonitoredHousehold, *, by, kind: str, description: str, responsible: str,
                planned_on: datetime.date) -> MonitoringMeasure:
    ensure_can_edit(by, case.village_code)
    if case.stage != MonitoringStage.MEASURES:
        raise MonitoringError("纳入监测后才能落实帮扶措施")
    if kind not in MonitoringMeasure.Kind.values:
        raise MonitoringError("请选择措施类别")
    if not (description or "").strip() or not (responsible or "").strip():
        raise MonitoringError("请填写措施内容和责任人")
    measure = MonitoringMeasure.objects.create(case=case, kind=kind, description=description.strip(),
                                               responsible=responsible.strip(), planned_on=planned_on)
    record(by=by, action="add_monitoring_measure", target=case, household=case.household, scope_code=case.village_code,
           changes={"measure": [None, f"{measure.get_kind_display()}：{measure.description}"]})
    return measure


@transaction.atomic
def complete_measure(measure: MonitoringMeasure, *, by, done_on: datetime.date) -> MonitoringMeasure:
    ensure_can_edit(by, measure.case.village_code)
    if done_on > timezone.localdate():
        raise MonitoringError("落实日期不能晚于今天")
    measure.done_on = done_on
    measure.save(update_fields=["done_on"])
    record(by=by, action="complete_monitoring_measure", target=measure.case, household=measure.case.household,
           scope_code=measure.case.village_code, changes={"measure": [measure.description, f"已于{done_on}落实"]})
    return measure


def _accepted(evidence: File) -> File:
    """An evidence upload judged by its content and renamed at random (`fupin.core.evidence`); MonitoringError if refused."""
    try:
        return accept_evidence(evidence)
    except EvidenceRefused as e:
        raise MonitoringError(str(e)) from None


@transaction.atomic
def eliminate_risk(case: MonitoredHousehold, *, by, note: str, evidence: File | None) -> MonitoredHousehold:
    """风险消除: measures done, the year's income at or above the line, guarantees met, with evidence.

    The household returns to the status it had before monitoring.
    """
    ensure_can_edit(by, case.village_code)
    permissions.ensure(permissions.can_decide_cases(by))
    if case.stage != MonitoringStage.MEASURES:
        raise MonitoringError("只有正在监测帮扶的户才能标注风险消除")
    if not case.measures.exists():
        raise MonitoringError("尚未落实任何帮扶措施，不能标注风险消除")
    if case.measures.filter(done_on__isnull=True).exists():
        raise MonitoringError("还有帮扶措施未落实")
    if evidence is None:
        raise MonitoringError("请上传风险消除的佐证材料（收入核算、入户核实记录等）")
    evidence = _accepted(evidence)
    if not (note or "").strip():
        raise MonitoringError("请填写风险消除情况")
    config = _config(case)
    income = IncomeRecord.objects.filter(household=case.household).order_by("-year").first()
    if config and (income is None or income.per_capita_net_income < config.threshold):
        got = f"{income.year}年人均纯收入 {income.per_capita_net_income} 元" if income else "没有收入记录"
        raise MonitoringError(f"{got}，未达到监测线 {config.threshold} 元，不能标注风险消除")
    check = GuaranteeCheck.objects.filter(household=case.household).order_by("-year").first()
    if check and not check.all_met:
        raise MonitoringError("最近一次两不愁三保障核查仍有未达标项目，不能标注风险消除")
    case, before = _move(case, MonitoringStage.ELIMINATED, by=by, note=note)
    case.elimination_note = note.strip()
    case.elimination_evidence.save(Path(evidence.name).name, evidence, save=False)
    case.eliminated_at = timezone.now()
    case.save(update_fields=["stage", "elimination_note", "elimination_evidence", "eliminated_at"])
    if case.previous_status and case.household.status == codes.HouseholdStatus.MONITORED:
        try:
            apply_key_facts(case.household, by=by, action="monitoring_eliminate", status=case.previous_status)
        except RegistryError as e:
            raise MonitoringError(f"恢复户状态失败：{e}") from None
    _log(case, before, by=by, note=note, action="eliminate_risk")
    return case


# ---------------------------------------------------------------- look-back campaigns

@transaction.atomic
def open_lookback(*, by, region_code: str, name: str, year: int, starts_on: datetime.date, ends_on: datetime.date,
                  income_line) -> LookBack:
    """Open a campaign over a region: registered and monitored households, and unregistered ones below the line."""
    permissions.ensure(permissions.can_decide_cases(by))
    ensure_can_edit(by, region_code)
    region = Region.objects.filter(code=region_code).first()
    if region is None or region.level > RegionLevel.VILLAGE:
        raise MonitoringError("请选择乡镇、县或行政村作为排查范围")
    if not (name or "").strip():
        raise MonitoringError("请填写名称")
    if ends_on < starts_on:
        raise MonitoringError("截止日期不能早于开始日期")
    if income_line is None or income_line <= 0:
        raise MonitoringError("排查线须大于0")

    campaign = LookBack.objects.create(name=name.strip(), region=region, year=year, starts_on=starts_on, ends_on=ends_on,
                                       income_line=income_line, created_by=by)
    S = codes.HouseholdStatus
    households = Household.objects.filter(in_region("village_id", region.code)).filter(
        Q(status__in=[S.POOR, S.EXITED, S.MONITORED])
        | Q(status__in=[S.UNREGISTERED, S.REMOVED], latest_income__lt=income_line)
    ).values_list("pk", "village_id", "status")
    group = {S.MONITORED: LookBackItem.Group.MONITORED, S.POOR: LookBackItem.Group.REGISTERED,
             S.EXITED: LookBackItem.Group.REGISTERED}
    batch = []
    count = 0
    for pk, village, status in households.iterator(chunk_size=5000):
        batch.append(LookBackItem(campaign=campaign, household_id=pk, village_code=village,
                                  group=group.get(status, LookBackItem.Group.UNREGISTERED)))
        if len(batch) >= 5000:
            LookBackItem.objects.bulk_create(batch)
            count += len(batch)
            batch = []
    LookBackItem.objects.bulk_create(batch)
    count += len(batch)
    record(by=by, action="open_lookback", target=campaign, scope_code=region.code,
           changes={"households": [None, count], "income_line": [None, str(income_line)]})
    return campaign


@transaction.atomic
def record_lookback_item(item: LookBackItem, *, by, results: dict[str, bool], notes: dict[str, str],
                         checked_on: datetime.date, evidence: File | None = None,
                         responsible_person: str = "") -> list[Problem]:
    """Record one household's checklist; every item not met becomes a problem in the ledger."""
    ensure_can_edit(by, item.village_code)
    item = LookBackItem.objects.select_for_update().select_related("campaign").get(pk=item.pk)
    if item.campaign.status != LookBack.Status.OPEN:
        raise MonitoringError("该回头看已结束")
    missing = [i for i in CHECK_ITEMS if results.get(i) is None]
    if missing:
        raise MonitoringError("请逐项填写：" + "、".join(str(CHECK_ITEM_LABELS[i]) for i in missing))
    notes = {k: (v or "").strip() for k, v in notes.items() if k in CHECK_ITEMS and (v or "").strip()}
    unexplained = [i for i in CHECK_ITEMS if results[i] is False and not notes.get(i)]
    if unexplained:
        raise MonitoringError("未达标的项目须说明情况：" + "、".join(str(CHECK_ITEM_LABELS[i]) for i in unexplained))
    if checked_on > timezone.localdate():
        raise MonitoringError("排查日期不能晚于今天")
    if evidence is not None:
        evidence = _accepted(evidence)
    for i in CHECK_ITEMS:
        setattr(item, i, bool(results[i]))
    item.notes = notes
    item.checked_by = by
    item.checked_on = checked_on
    if evidence is not None:
        item.evidence.save(Path(evidence.name).name, evidence, save=False)
    item.save()
    deadline = max(item.campaign.ends_on, timezone.localdate() + datetime.timedelta(days=30))
    existing = set(item.problems.values_list("check_item", flat=True))
    problems = [
        Problem.objects.create(
            source=ProblemSource.LOOKBACK, region_code=item.village_code, household=item.household, lookback_item=item,
            check_item=i, description=f"{CHECK_ITEM_LABELS[i]}未达标：{notes[i]}", responsible_person=responsible_person,
            deadline=deadline, created_by=by,
        )
        for i in item.unmet if i not in existing
    ]
    record(by=by, action="record_lookback_item", target=item.campaign, household=item.household, scope_code=item.village_code,
           changes={i: [None, results[i]] for i in CHECK_ITEMS} | {"problems": [None, len(problems)]})
    return problems


@transaction.atomic
def close_lookback(campaign: LookBack, *, by) -> LookBack:
    permissions.ensure(permissions.can_decide_cases(by))
    ensure_can_edit(by, campaign.region_id)
    campaign.status = LookBack.Status.CLOSED
    campaign.save(update_fields=["status"])
    record(by=by, action="close_lookback", target=campaign, scope_code=campaign.region_id, changes={"status": ["open", "closed"]})
    return campaign


# ---------------------------------------------------------------- cross-checks

def _addressed_county(by, county: str) -> str:
    """The county a list is for: a county office's own; the one a liaison names (an administrator may name none: everywhere).

    Only that county's office may run the list (start_cross_check), so a list a department sends
    to one county is never matched against another's households.
    """
    if holds(by, Role.COUNTY):
        return by.region_id
    county = (county or "").strip()
    if not county and by.is_superuser:
        return ""
    if not (len(county) == 6 and county.isdigit()
            and Region.objects.filter(code=county, level=RegionLevel.COUNTY).exists()):
        raise AddresseeError("请填写名单所发往的县（区）的6位区划代码" if not county else f"县级区划代码不存在：{county}")
    return county


def upload_cross_check(*, by, department: str, upload, county: str = "") -> CrossCheck:
    """Keep a department's list (normalised to UTF-8 CSV) until its retention date; a bad file leaves nothing behind.

    The list is addressed to one county (`county`, for a liaison; a county office's uploads are its own).
    """
    permissions.ensure(permissions.can_upload_lists(by), "只有部门联络员和县扶贫办可以上传比对名单")
    if department not in Department.values or department == Department.REGISTRY:
        raise MonitoringError("请选择部门")
    scope_code = _addressed_county(by, county)
    name = Path(getattr(upload, "name", "") or "名单.csv").name[:200]
    with tempfile.TemporaryDirectory() as tmp:
        dest = Path(tmp) / "list.csv"
        try:
            upload.seek(0)
        except Exception:
            pass
        columns, rows = matching.normalise_upload(upload, dest)
        with transaction.atomic():
            check = CrossCheck(department=department, original_name=name, columns=columns, rows=rows, uploaded_by=by,
                               retain_until=CrossCheck.default_retention(),
                               scope_code=scope_code)
            with open(dest, "rb") as f:
                check.file.save(random_name(".csv"), File(f), save=False)
            check.save()
            record(by=by, action="upload_cross_check", target=check, scope_code=check.scope_code,
                   changes={"department": [None, department], "rows": [None, rows], "file": [None, name]})
    return check


def start_cross_check(check: CrossCheck, *, by) -> CrossCheck:
    """The office of the county a list is addressed to runs it against that county (an administrator: against its scope)."""
    permissions.ensure(permissions.can_run_checks(by))
    with transaction.atomic():
        check = CrossCheck.objects.select_for_update().get(pk=check.pk)
        if by.is_superuser:
            if check.scope_code and by.region_id and not check.scope_code.startswith(by.region_id):
                raise ScopeError("不在您的管辖范围内")
            scope = check.scope_code or by.region_id or ""
        elif check.scope_code != by.region_id:
            # a list with no county (uploaded before lists were addressed) is run by an administrator only
            raise ScopeError("该名单不是发给本县的，不能比对")
        else:
            scope = by.region_id
        if check.status not in (CrossCheck.Status.UPLOADED, CrossCheck.Status.FAILED):
            raise MonitoringError(f"该名单当前状态为“{check.get_status_display()}”，不能再次比对")
        if check.purged_at or not check.file:
            raise MonitoringError("名单文件已按保留期限删除，请重新上传")
        check.status = CrossCheck.Status.QUEUED
        check.scope_code = scope
        check.run_by = by
        check.progress = 0
        check.message = ""
        check.save(update_fields=["status", "scope_code", "run_by", "progress", "message"])
        record(by=by, action="start_cross_check", target=check, scope_code=scope, changes={"scope": [None, scope]})
        from .tasks import run_cross_check_task  # cycle breaker: the task module runs these services

        transaction.on_commit(lambda: run_cross_check_task.enqueue(check.pk))
    return check


def run_cross_check(check: CrossCheck, timings: dict | None = None) -> CrossCheck:
    """Match the list, then insert all findings in one transaction (all or nothing).
    `timings`, when given, gets the seconds of each step (members' keys, match, findings and commit)."""
    started = time.perf_counter()
    timings = {} if timings is None else timings

    def progress(pct):
        CrossCheck.objects.filter(pk=check.pk).update(progress=pct)

    CrossCheck.objects.filter(pk=check.pk).update(status=CrossCheck.Status.RUNNING, progress=5)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            members, hits = Path(tmp) / "members.csv", Path(tmp) / "hits.csv"
            by_name = matching.matches_by_name(check.columns)
            step = time.perf_counter()
            keys = matching.read_member_keys(check.scope_code, with_names=by_name)
            if keys is None:
                matching.export_members(check.scope_code, members, with_names=by_name)
            timings["members"] = time.perf_counter() - step
            progress(20)
            step = time.perf_counter()
            with local_path(check.file) as list_csv:
                matched = matching.match(department=check.department, columns=check.columns, members_csv=members,
                                         member_keys=keys, list_csv=Path(list_csv), hits_csv=hits, progress=progress)
            timings["match"] = time.perf_counter() - step
            step = time.perf_counter()
            with transaction.atomic():
                Finding.objects.filter(cross_check=check).delete()
                n = matching.raise_findings(check_id=check.pk, department=check.department, scope_code=check.scope_code,
                                            hits_csv=hits, created_at=timezone.now())
                CrossCheck.objects.filter(pk=check.pk).update(
                    status=CrossCheck.Status.DONE, matched_members=matched, findings_count=n, progress=100,
                    finished_at=timezone.now(), seconds=time.perf_counter() - started)
                record(by=check.run_by, action="cross_check_done", target=check, scope_code=check.scope_code,
                       changes={"matched_members": [None, matched], "findings": [None, n]})
            timings["findings"] = time.perf_counter() - step
    except matching.DepartmentFileError as e:
        CrossCheck.objects.filter(pk=check.pk).update(status=CrossCheck.Status.FAILED, message=str(e), progress=0)
    except Exception as e:
        CrossCheck.objects.filter(pk=check.pk).update(status=CrossCheck.Status.FAILED, progress=0,
                                                      message=f"比对失败：{str(e).splitlines()[0][:300] if str(e) else type(e).__name__}")
        raise
    check.refresh_from_db()
    return check


def purge_cross_checks(*, today: datetime.date | None = None) -> int:
    """Delete uploaded lists past their retention date; the summary and the findings stay."""
    today = today or timezone.localdate()
    n = 0
    for check in CrossCheck.objects.filter(retain_until__lt=today, purged_at__isnull=True):
        with transaction.atomic():
            if check.file:
                check.file.delete(save=False)
            check.file = ""
            check.purged_at = timezone.now()
            check.save(update_fields=["file", "purged_at"])
            record(by=None, action="purge_cross_check", target=check, scope_code=check.scope_code,
                   changes={"file": [check.original_name, None]})
            n += 1
    return n


@transaction.atomic
def decide_finding(finding: Finding, *, by, decision: str, note: str, responsible_person: str = "",
                   deadline: datetime.date | None = None) -> Finding:
    """Review a suspect record (township or county). The decision goes into the problem ledger:
    explained / corrected / excluded close the problem at once (the reviewer is the level above the
    village that keeps the record); "rectify" leaves it open with a responsible person and deadline.
    Excluding a household clears it out (清退) through the registry service, audited there."""
    permissions.ensure(permissions.can_decide_cases(by))
    ensure_can_edit(by, finding.village_code)
    finding = Finding.objects.select_for_update().select_related("household").get(pk=finding.pk)
    if finding.decision != Decision.PENDING:
        raise MonitoringError("该疑点已核实处理")
    if decision not in Decision.values or decision == Decision.PENDING:
        raise MonitoringError("请选择核实结论")
    note = (note or "").strip()
    if not note:
        raise MonitoringError("请填写核实说明")
    if decision == Decision.RECTIFY and (deadline is None or not responsible_person.strip()):
        raise MonitoringError("转整改须填写整改责任人和整改时限")
    if decision == Decision.RECTIFY and deadline < timezone.localdate():
        raise MonitoringError("整改时限不能早于今天")
    now = timezone.now()
    if decision == Decision.EXCLUDED and finding.household.status != codes.HouseholdStatus.REMOVED:
        try:
            apply_key_facts(finding.household, by=by, action="monitoring_exclude", status=codes.HouseholdStatus.REMOVED)
        except RegistryError as e:
            raise MonitoringError(f"清退失败：{e}") from None
    finding.decision, finding.decision_note, finding.decided_by, finding.decided_at = decision, note, by, now
    finding.save(update_fields=["decision", "decision_note", "decided_by", "decided_at"])
    closed = decision != Decision.RECTIFY
    source = ProblemSource.DATA_CHECK if finding.department == Department.REGISTRY else ProblemSource.CROSS_CHECK
    problem = Problem.objects.create(
        source=source, region_code=finding.village_code, household=finding.household, finding=finding,
        description=f"{finding.get_department_display()}：{finding.detail}", responsible_level=RegionLevel.VILLAGE,
        responsible_person=responsible_person.strip(), measure=f"{Decision(decision).label}：{note}",
        deadline=deadline or timezone.localdate(now), created_by=by,
        status=ProblemStatus.CLOSED if closed else ProblemStatus.OPEN,
        rectification=note if closed else "", rectified_by=by if closed else None, rectified_at=now if closed else None,
        closed_by=by if closed else None, closed_at=now if closed else None,
        close_note=f"经{_display(by)}核实：{Decision(decision).label}" if closed else "",
    )
    record(by=by, action="decide_finding", target=finding, household=finding.household, scope_code=finding.village_code,
           changes={"decision": [Decision.PENDING.value, decision], "note": [None, note], "problem": [None, problem.pk]})
    return finding


# ---------------------------------------------------------------- the problem ledger

@transaction.atomic
def create_problem(*, by, source: str, region_code: str, description: str, deadline: datetime.date,
                   household: Household | None = None, responsible_person: str = "", measure: str = "",
                   responsible_level: int | None = None) -> Problem:
    ensure_can_edit(by, region_code)
    if source not in ProblemSource.values:
        raise MonitoringError("请选择问题来源")
    if not (description or "").strip():
        raise MonitoringError("请填写问题描述")
    if household is not None and household.village_id != region_code and not household.village_id.startswith(region_code):
        raise MonitoringError("该户不在所选区域内")
    region_level = level_of(region_code)
    level = responsible_level or min(region_level, RegionLevel.VILLAGE)
    if level < region_level and region_level <= RegionLevel.VILLAGE:
        level = region_level
    problem = Problem.objects.create(
        source=source, region_code=region_code, household=household, description=description.strip(),
        responsible_level=level, responsible_person=(responsible_person or "").strip(), measure=(measure or "").strip(),
        deadline=deadline, created_by=by,
    )
    record(by=by, action="create_problem", target=problem, household=household, scope_code=region_code,
           changes={"description": [None, problem.description], "deadline": [None, str(deadline)]})
    return problem


@transaction.atomic
def open_deadline_problem(*, region_code: str, description: str, deadline: datetime.date, responsible_level: int,
                          household: Household | None = None) -> Problem:
    """A problem the deadline sweep opens (申报办理超期) for the level that let a step run over: no user acts, the
    audit entry names the system."""
    problem = Problem.objects.create(
        source=ProblemSource.DEADLINE, region_code=region_code, household=household, description=description,
        responsible_level=responsible_level, deadline=deadline,
    )
    record(by=None, action="open_deadline_problem", target=problem, household=household, scope_code=region_code,
           changes={"description": [None, description], "deadline": [None, str(deadline)]})
    return problem


@transaction.atomic
def settle_deadline_problem(problem: Problem, *, note: str) -> Problem:
    """Close a deadline problem once its step is done (late): the fact that settles it is the step itself."""
    problem = Problem.objects.select_for_update().get(pk=problem.pk)
    if problem.source != ProblemSource.DEADLINE:
        raise MonitoringError("只有申报办理超期问题由系统销号")
    if problem.status == ProblemStatus.CLOSED:
        return problem
    before = problem.status
    now = timezone.now()
    problem.status, problem.rectification, problem.rectified_at = ProblemStatus.CLOSED, note, now
    problem.closed_at, problem.close_note = now, note
    problem.save(update_fields=["status", "rectification", "rectified_at", "closed_at", "close_note"])
    record(by=None, action="settle_deadline_problem", target=problem, household=problem.household,
           scope_code=problem.region_code, changes={"status": [before, "closed"], "note": [None, note]})
    return problem


@transaction.atomic
def rectify_problem(problem: Problem, *, by, rectification: str, evidence: File | None = None,
                    measure: str = "") -> Problem:
    """The responsible level reports the rectification done, with evidence; it then waits for close-out."""
    ensure_can_edit(by, problem.region_code)
    problem = Problem.objects.select_for_update().get(pk=problem.pk)
    if problem.status != ProblemStatus.OPEN:
        raise MonitoringError("只有整改中的问题才能提交整改情况")
    if not (rectification or "").strip():
        raise MonitoringError("请填写整改情况")
    if evidence is None and not problem.evidence:
        raise MonitoringError("请上传整改佐证材料")
    if evidence is not None:
        evidence = _accepted(evidence)
    problem.rectification = rectification.strip()
    if measure.strip():
        problem.measure = measure.strip()
    if evidence is not None:
        problem.evidence.save(Path(evidence.name).name, evidence, save=False)
    problem.status, problem.rectified_by, problem.rectified_at = ProblemStatus.RECTIFIED, by, timezone.now()
    problem.save()
    record(by=by, action="rectify_problem", target=problem, household=problem.household, scope_code=problem.region_code,
           changes={"status": ["open", "rectified"], "rectification": [None, problem.rectification]})
    return problem


@transaction.atomic
def close_problem(problem: Problem, *, by, note: str) -> Problem:
    ensure_can_edit(by, problem.region_code)
    problem = Problem.objects.select_for_update(of=("self",)).select_related("rectified_by").get(pk=problem.pk)
    if problem.status != ProblemStatus.RECTIFIED:
        raise MonitoringError("问题尚未提交整改情况，不能销号")
    if not permissions.can_close(by, problem):
        raise MonitoringError("销号须由整改责任层级的上一级审核")
    if not (note or "").strip():
        raise MonitoringError("请填写销号意见")
    problem.status, problem.closed_by, problem.closed_at, problem.close_note = ProblemStatus.CLOSED, by, timezone.now(), note.strip()
    problem.save(update_fields=["status", "closed_by", "closed_at", "close_note"])
    record(by=by, action="close_problem", target=problem, household=problem.household, scope_code=problem.region_code,
           changes={"status": ["rectified", "closed"], "note": [None, problem.close_note]})
    return problem


@transaction.atomic
def return_problem(problem: Problem, *, by, reason: str) -> Problem:
    """The level above sends a rectification back (整改不到位)."""
    ensure_can_edit(by, problem.region_code)
    problem = Problem.objects.select_for_update(of=("self",)).select_related("rectified_by").get(pk=problem.pk)
    if problem.status != ProblemStatus.RECTIFIED:
        raise MonitoringError("只有待销号的问题可以退回")
    if not permissions.can_close(by, problem):
        raise MonitoringError("退回须由整改责任层级的上一级审核")
    if not (reason or "").strip():
        raise MonitoringError("请填写退回理由")
    problem.status = ProblemStatus.OPEN
    problem.close_note = f"退回：{reason.strip()}"
    problem.save(update_fields=["status", "close_note"])
    record(by=by, action="return_problem", target=problem, household=problem.household, scope_code=problem.region_code,
           changes={"status": ["rectified", "open"], "reason": [None, reason.strip()]})
    return problem
