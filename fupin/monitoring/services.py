"""What users do in monitoring: sweeps, monitored households, look-backs, cross-checks, the problem ledger.

Each function checks scope and role, runs in a transaction, and writes its audit entry.
Refusals raise MonitoringError with a Chinese message.
"""

import datetime
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from django.core.files.base import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from fupin.accounts.models import User
from fupin.accounts.scope import ScopeError, ensure_can_edit, ensure_can_read, ensure_can_write
from fupin.audit.services import record
from fupin.core import versions
from fupin.core.errors import ServiceError
from fupin.core.evidence import EvidenceRefused
from fupin.core.evidence import accept as accept_evidence
from fupin.regions.models import Region, RegionLevel, in_region
from fupin.registry import codes
from fupin.registry.models import GuaranteeCheck, Household, IncomeRecord
from fupin.registry.services import RegistryError, apply_key_facts
from fupin.subscriptions.events import household_data, raise_event, raise_problem_event
from fupin.subscriptions.models import EventType

from . import permissions, rules
from .models import (
    CHECK_ITEM_LABELS,
    CHECK_ITEMS,
    MONITORING_TRANSITIONS,
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
    RiskEvent,
    RiskSignal,
    SignalState,
)


class MonitoringError(ServiceError):
    """A refused action; the message is Chinese."""


class AddresseeError(MonitoringError):
    """A department list names no county, or one that does not exist."""


def display_name(user: User) -> str:
    return getattr(user, "full_name", "") or getattr(user, "username", "")


# ---------------------------------------------------------------- thresholds


@transaction.atomic
def set_threshold(
    *,
    by: User,
    region_prefix: str,
    year: int,
    threshold: Decimal,
    unregistered_line: Decimal,
    income_drop_percent: int = 30,
    large_expense: Decimal | int = 10000,
    requires_village_appraisal: bool = True,
    requires_township_review: bool = True,
    note: str = "",
    expected_version: int | None = None,
) -> MonitoringThreshold:
    """Set a year's monitoring line for a county (its office) or a wider region or the nation ("",
    administrators).

    `expected_version`: the version the edit was based on (0: none was set); on another one nothing is saved
    (versions.VersionConflict). None: a caller inside the product (the admin page checks its own).

    Prefecture and province offices are read-only roles (accounts.models.READ_ONLY_ROLES): they write nothing.
    """
    ensure_can_write(by)
    if region_prefix:
        ensure_can_read(by, region_prefix)
        permissions.ensure(permissions.is_county_office(by), "只有县扶贫办可以设置本县监测线")
    elif not by.is_superuser:
        raise ScopeError(gettext("只有系统管理员可以设置全国监测线"))
    if threshold is None or threshold <= 0 or unregistered_line is None or unregistered_line <= 0:
        raise MonitoringError(gettext("监测线和排查线须大于0"))
    if not 1 <= int(income_drop_percent) <= 100:
        raise MonitoringError(gettext("收入下降比例应在1%到100%之间"))
    if expected_version is not None:
        current = (
            MonitoringThreshold.objects.select_for_update()
            .filter(region_prefix=region_prefix, year=year)
            .first()
        )
        if current is not None:
            versions.check(current, expected_version, edit={})
    row, created = MonitoringThreshold.objects.update_or_create(
        region_prefix=region_prefix,
        year=year,
        defaults=dict(
            threshold=threshold,
            unregistered_line=unregistered_line,
            income_drop_percent=income_drop_percent,
            large_expense=large_expense,
            requires_village_appraisal=requires_village_appraisal,
            requires_township_review=requires_township_review,
            note=note,
        ),
    )
    record(
        by=by,
        action="set_monitoring_threshold",
        target=row,
        scope_code=region_prefix,
        changes={"threshold": [None, str(threshold)], "unregistered_line": [None, str(unregistered_line)]},
    )
    return row


@transaction.atomic
def record_risk_event(
    household: Household,
    *,
    by: User,
    kind: str,
    occurred_on: datetime.date,
    amount: Decimal | None,
    description: str,
) -> RiskEvent:
    ensure_can_edit(by, household.village_id)
    if kind not in RiskEvent.Kind.values:
        raise MonitoringError(gettext("请选择风险事件类别"))
    if occurred_on > timezone.localdate():
        raise MonitoringError(gettext("发生日期不能晚于今天"))
    if amount is None or amount < 0:
        raise MonitoringError(gettext("金额不能为负数"))
    if not (description or "").strip():
        raise MonitoringError(gettext("请填写情况说明"))
    event = RiskEvent.objects.create(
        household=household,
        kind=kind,
        occurred_on=occurred_on,
        amount=amount,
        description=description.strip(),
        recorded_by=by,
    )
    record(
        by=by,
        action="record_risk_event",
        target=event,
        household=household,
        scope_code=household.village_id,
        changes={
            "kind": [None, kind],
            "amount": [None, str(amount)],
            "description": [None, event.description],
        },
    )
    return event


# ---------------------------------------------------------------- monitored households


def _kind_allowed(household: Household, kind: str) -> None:
    if kind not in MonitoringKind.values:
        raise MonitoringError(gettext("请选择监测对象类别"))
    if kind == MonitoringKind.UNSTABLE_EXITED and household.status != codes.HouseholdStatus.EXITED:
        raise MonitoringError(gettext("脱贫不稳定户须为已脱贫户"))
    if kind != MonitoringKind.UNSTABLE_EXITED and household.status in (
        codes.HouseholdStatus.POOR,
        codes.HouseholdStatus.EXITED,
        codes.HouseholdStatus.APPLICANT,
    ):
        raise MonitoringError(
            gettext("边缘易致贫户和突发严重困难户须为未建档户，该户当前为“%(get_status_display)s”")
            % {"get_status_display": household.get_status_display()}
        )


@transaction.atomic
def report_monitored(
    household: Household, *, by: User, kind: str, source: str, year: int, risk_description: str
) -> MonitoredHousehold:
    """Put a household forward for monitoring: its own report, the village survey, a department's push, or a
    sweep."""
    ensure_can_edit(by, household.village_id)
    household = Household.objects.select_for_update().get(pk=household.pk)
    _kind_allowed(household, kind)
    if source not in MonitoringSource.values:
        raise MonitoringError(gettext("请选择发现途径"))
    if not (risk_description or "").strip():
        raise MonitoringError(gettext("请填写风险情况"))
    if MonitoredHousehold.objects.filter(
        household=household, stage__in=[s for s in MONITORING_TRANSITIONS if MONITORING_TRANSITIONS[s]]
    ).exists():
        raise MonitoringError(gettext("该户已有未结束的监测程序"))
    case = MonitoredHousehold.objects.create(
        household=household,
        village_code=household.village_id,
        kind=kind,
        source=source,
        year=year,
        risk_description=risk_description.strip(),
        previous_status=household.status,
        reported_by=by,
    )
    MonitoringStep.objects.create(
        case=case,
        stage=MonitoringStage.REPORTED,
        by=by,
        by_name=display_name(by),
        note=risk_description.strip(),
    )
    RiskSignal.objects.filter(household=household, year=year, state=SignalState.OPEN).update(
        state=SignalState.TAKEN
    )
    record(
        by=by,
        action="report_monitored",
        target=case,
        household=household,
        scope_code=household.village_id,
        changes={"kind": [None, kind], "source": [None, source], "risk": [None, case.risk_description]},
    )
    return case


def _config(case: MonitoredHousehold) -> MonitoringThreshold | None:
    try:
        return rules.threshold_for(case.year, case.village_code)
    except rules.ThresholdMissing:
        return None


def _move(case: MonitoredHousehold, to: str, *, by: User, note: str) -> tuple[MonitoredHousehold, str]:
    case = MonitoredHousehold.objects.select_for_update().get(pk=case.pk)
    if to not in MONITORING_TRANSITIONS[case.stage]:
        raise MonitoringError(
            gettext("当前环节为“%(get_stage_display)s”，不能进入“%(label)s”")
            % {"get_stage_display": case.get_stage_display(), "label": MonitoringStage(to).label}
        )
    before = case.stage
    case.stage = to
    return case, before


# Apps beside monitoring that follow a case (declarations: fupin.declarations.apps) register here from their
# AppConfig.ready(); monitoring never imports them. Each listener is called with the case inside the
# transaction that moved it, so what it writes commits or rolls back with the move.
_stage_listeners: list[Callable[[MonitoredHousehold], None]] = []


def on_stage_change(listener: Callable[[MonitoredHousehold], None]) -> None:
    """Register `listener(case)`, called after every move of a monitored household's stage."""
    if listener not in _stage_listeners:
        _stage_listeners.append(listener)


def _log(case: MonitoredHousehold, before: str, *, by: User, note: str, action: str) -> None:
    MonitoringStep.objects.create(case=case, stage=case.stage, by=by, by_name=display_name(by), note=note)
    record(
        by=by,
        action=action,
        target=case,
        household=case.household,
        scope_code=case.village_code,
        changes={"stage": [before, case.stage], "note": [None, note]},
    )
    for listener in _stage_listeners:
        listener(case)


@transaction.atomic
def appraise_monitored(case: MonitoredHousehold, *, by: User, note: str) -> MonitoredHousehold:
    """Record the village's democratic appraisal (村民主评议)."""
    ensure_can_edit(by, case.village_code)
    if not (note or "").strip():
        raise MonitoringError(gettext("请填写评议情况（参会人数、表决结果）"))
    case, before = _move(case, MonitoringStage.APPRAISED, by=by, note=note)
    case.appraisal_note = note.strip()
    case.save(update_fields=["stage", "appraisal_note"])
    _log(case, before, by=by, note=note, action="appraise_monitored")
    return case


@transaction.atomic
def review_monitored(case: MonitoredHousehold, *, by: User, note: str) -> MonitoredHousehold:
    """The township's review (乡镇审核)."""
    case = MonitoredHousehold.objects.select_for_update().select_related("household").get(pk=case.pk)
    ensure_can_edit(by, case.village_code)
    permissions.ensure(permissions.can_decide_cases(by))
    config = _config(case)
    if case.stage == MonitoringStage.REPORTED and (config is None or config.requires_village_appraisal):
        raise MonitoringError(gettext("须先完成村民主评议"))
    if not (note or "").strip():
        raise MonitoringError(gettext("请填写审核意见"))
    case, before = _move(case, MonitoringStage.REVIEWED, by=by, note=note)
    case.review_note = note.strip()
    case.save(update_fields=["stage", "review_note"])
    _log(case, before, by=by, note=note, action="review_monitored")
    return case


@transaction.atomic
def include_monitored(case: MonitoredHousehold, *, by: User, note: str = "") -> MonitoredHousehold:
    """Take the household into monitoring: the household's status becomes 监测户 through the registry
    service."""
    case = MonitoredHousehold.objects.select_for_update().select_related("household").get(pk=case.pk)
    ensure_can_edit(by, case.village_code)
    permissions.ensure(permissions.can_decide_cases(by))
    config = _config(case)
    needs_appraisal = config is None or config.requires_village_appraisal
    needs_review = config is None or config.requires_township_review
    if needs_appraisal and case.stage == MonitoringStage.REPORTED:
        raise MonitoringError(gettext("须先完成村民主评议"))
    if needs_review and case.stage != MonitoringStage.REVIEWED:
        raise MonitoringError(gettext("须先经乡镇审核"))
    case, before = _move(case, MonitoringStage.MEASURES, by=by, note=note)
    case.included_at = timezone.now()
    case.save(update_fields=["stage", "included_at"])
    if case.household.status != codes.HouseholdStatus.MONITORED:
        try:
            apply_key_facts(
                case.household, by=by, action="monitoring_include", status=codes.HouseholdStatus.MONITORED
            )
        except RegistryError as e:
            raise MonitoringError(gettext("户信息不完整，不能标记为监测户：%(e)s") % {"e": e}) from None
    _log(case, before, by=by, note=note, action="include_monitored")
    _raise_case_event(case, EventType.MONITORING_ENTERED)
    return case


def _raise_case_event(case: MonitoredHousehold, event_type: str) -> None:
    case.household.refresh_from_db()
    raise_event(
        event_type,
        region_code=case.village_code,
        data=household_data(case.household, case={"id": case.pk, "kind": case.kind, "stage": case.stage}),
    )


@transaction.atomic
def reject_monitored(case: MonitoredHousehold, *, by: User, reason: str) -> MonitoredHousehold:
    ensure_can_edit(by, case.village_code)
    permissions.ensure(permissions.can_reject_case(by))
    if not (reason or "").strip():
        raise MonitoringError(gettext("请填写不予纳入的理由"))
    case, before = _move(case, MonitoringStage.REJECTED, by=by, note=reason)
    case.rejection_reason = reason.strip()
    case.save(update_fields=["stage", "rejection_reason"])
    _log(case, before, by=by, note=reason, action="reject_monitored")
    return case


@transaction.atomic
def add_measure(
    case: MonitoredHousehold,
    *,
    by: User,
    kind: str,
    description: str,
    responsible: str,
    planned_on: datetime.date,
) -> MonitoringMeasure:
    ensure_can_edit(by, case.village_code)
    if case.stage != MonitoringStage.MEASURES:
        raise MonitoringError(gettext("纳入监测后才能落实帮扶措施"))
    if kind not in MonitoringMeasure.Kind.values:
        raise MonitoringError(gettext("请选择措施类别"))
    if not (description or "").strip() or not (responsible or "").strip():
        raise MonitoringError(gettext("请填写措施内容和责任人"))
    measure = MonitoringMeasure.objects.create(
        case=case,
        kind=kind,
        description=description.strip(),
        responsible=responsible.strip(),
        planned_on=planned_on,
    )
    record(
        by=by,
        action="add_monitoring_measure",
        target=case,
        household=case.household,
        scope_code=case.village_code,
        changes={"measure": [None, f"{measure.get_kind_display()}：{measure.description}"]},
    )
    return measure


@transaction.atomic
def complete_measure(measure: MonitoringMeasure, *, by: User, done_on: datetime.date) -> MonitoringMeasure:
    ensure_can_edit(by, measure.case.village_code)
    if done_on > timezone.localdate():
        raise MonitoringError(gettext("落实日期不能晚于今天"))
    measure.done_on = done_on
    measure.save(update_fields=["done_on"])
    record(
        by=by,
        action="complete_monitoring_measure",
        target=measure.case,
        household=measure.case.household,
        scope_code=measure.case.village_code,
        changes={"measure": [measure.description, f"已于{done_on}落实"]},
    )
    return measure


def accepted_evidence(evidence: File) -> File:
    """An evidence upload judged by its content and renamed at random (`fupin.core.evidence`); MonitoringError
    if refused."""
    try:
        return accept_evidence(evidence)
    except EvidenceRefused as e:
        raise MonitoringError(str(e)) from None


@transaction.atomic
def eliminate_risk(
    case: MonitoredHousehold, *, by: User, note: str, evidence: File | None
) -> MonitoredHousehold:
    """风险消除: measures done, the year's income at or above the line, guarantees met, with evidence.

    The household returns to the status it had before monitoring.
    """
    ensure_can_edit(by, case.village_code)
    permissions.ensure(permissions.can_decide_cases(by))
    if case.stage != MonitoringStage.MEASURES:
        raise MonitoringError(gettext("只有正在监测帮扶的户才能标注风险消除"))
    if not case.measures.exists():
        raise MonitoringError(gettext("尚未落实任何帮扶措施，不能标注风险消除"))
    if case.measures.filter(done_on__isnull=True).exists():
        raise MonitoringError(gettext("还有帮扶措施未落实"))
    if evidence is None:
        raise MonitoringError(gettext("请上传风险消除的佐证材料（收入核算、入户核实记录等）"))
    evidence = accepted_evidence(evidence)
    if not (note or "").strip():
        raise MonitoringError(gettext("请填写风险消除情况"))
    config = _config(case)
    income = IncomeRecord.objects.filter(household=case.household).order_by("-year").first()
    if config and (income is None or income.per_capita_net_income < config.threshold):
        got = f"{income.year}年人均纯收入 {income.per_capita_net_income} 元" if income else "没有收入记录"
        raise MonitoringError(
            gettext("%(got)s，未达到监测线 %(threshold)s 元，不能标注风险消除")
            % {"got": got, "threshold": config.threshold}
        )
    check = GuaranteeCheck.objects.filter(household=case.household).order_by("-year").first()
    if check and not check.all_met:
        raise MonitoringError(gettext("最近一次两不愁三保障核查仍有未达标项目，不能标注风险消除"))
    case, before = _move(case, MonitoringStage.ELIMINATED, by=by, note=note)
    case.elimination_note = note.strip()
    case.elimination_evidence.save(Path(evidence.name or "").name, evidence, save=False)
    case.eliminated_at = timezone.now()
    case.save(update_fields=["stage", "elimination_note", "elimination_evidence", "eliminated_at"])
    if case.previous_status and case.household.status == codes.HouseholdStatus.MONITORED:
        try:
            apply_key_facts(case.household, by=by, action="monitoring_eliminate", status=case.previous_status)
        except RegistryError as e:
            raise MonitoringError(gettext("恢复户状态失败：%(e)s") % {"e": e}) from None
    _log(case, before, by=by, note=note, action="eliminate_risk")
    _raise_case_event(case, EventType.MONITORING_LEFT)
    return case


# ---------------------------------------------------------------- look-back campaigns


@transaction.atomic
def open_lookback(
    *,
    by: User,
    region_code: str,
    name: str,
    year: int,
    starts_on: datetime.date,
    ends_on: datetime.date,
    income_line: Decimal,
) -> LookBack:
    """Open a campaign over a region: registered and monitored households, and unregistered ones below the
    line."""
    permissions.ensure(permissions.can_decide_cases(by))
    ensure_can_edit(by, region_code)
    region = Region.objects.filter(code=region_code).first()
    if region is None or region.level > RegionLevel.VILLAGE:
        raise MonitoringError(gettext("请选择乡镇、县或行政村作为排查范围"))
    if not (name or "").strip():
        raise MonitoringError(gettext("请填写名称"))
    if ends_on < starts_on:
        raise MonitoringError(gettext("截止日期不能早于开始日期"))
    if income_line is None or income_line <= 0:
        raise MonitoringError(gettext("排查线须大于0"))

    campaign = LookBack.objects.create(
        name=name.strip(),
        region=region,
        year=year,
        starts_on=starts_on,
        ends_on=ends_on,
        income_line=income_line,
        created_by=by,
    )
    S = codes.HouseholdStatus
    households = (
        Household.objects.filter(in_region("village_id", region.code))
        .filter(
            Q(status__in=[S.POOR, S.EXITED, S.MONITORED])
            | Q(status__in=[S.UNREGISTERED, S.REMOVED], latest_income__lt=income_line)
        )
        .values_list("pk", "village_id", "status")
    )
    group: dict[str, str] = {
        S.MONITORED: LookBackItem.Group.MONITORED,
        S.POOR: LookBackItem.Group.REGISTERED,
        S.EXITED: LookBackItem.Group.REGISTERED,
    }
    batch = []
    count = 0
    for pk, village, status in households.iterator(chunk_size=5000):
        batch.append(
            LookBackItem(
                campaign=campaign,
                household_id=pk,
                village_code=village,
                group=group.get(status, LookBackItem.Group.UNREGISTERED),
            )
        )
        if len(batch) >= 5000:
            LookBackItem.objects.bulk_create(batch)
            count += len(batch)
            batch = []
    LookBackItem.objects.bulk_create(batch)
    count += len(batch)
    record(
        by=by,
        action="open_lookback",
        target=campaign,
        scope_code=region.code,
        changes={"households": [None, count], "income_line": [None, str(income_line)]},
    )
    return campaign


def lookback_messages() -> dict[str, str]:
    """record_lookback_item's refusals in the current language: the items unanswered or unexplained follow
    the first two, joined by 、 (the field app's phone words its own refusals with these)."""
    return {
        "missing": gettext("请逐项填写："),
        "unexplained": gettext("未达标的项目须说明情况："),
        "future": gettext("排查日期不能晚于今天"),
        "separator": "、",
    }


@transaction.atomic
def record_lookback_item(
    item: LookBackItem,
    *,
    by: User,
    results: dict[str, bool],
    notes: dict[str, str],
    checked_on: datetime.date,
    evidence: File | None = None,
    responsible_person: str = "",
    expected_version: int | None = None,
) -> list[Problem]:
    """Record one household's checklist; every item not met becomes a problem in the ledger.
    `expected_version`: the version the checklist form was based on; on another one nothing is saved
    (versions.VersionConflict). None: a caller inside the product."""
    ensure_can_edit(by, item.village_code)
    item = LookBackItem.objects.select_for_update().select_related("campaign").get(pk=item.pk)
    versions.check(item, expected_version, edit={})
    if item.campaign.status != LookBack.Status.OPEN:
        raise MonitoringError(gettext("该回头看已结束"))
    words = lookback_messages()
    missing = [i for i in CHECK_ITEMS if results.get(i) is None]
    if missing:
        raise MonitoringError(
            words["missing"] + words["separator"].join(str(CHECK_ITEM_LABELS[i]) for i in missing)
        )
    notes = {k: (v or "").strip() for k, v in notes.items() if k in CHECK_ITEMS and (v or "").strip()}
    unexplained = [i for i in CHECK_ITEMS if results[i] is False and not notes.get(i)]
    if unexplained:
        raise MonitoringError(
            words["unexplained"] + words["separator"].join(str(CHECK_ITEM_LABELS[i]) for i in unexplained)
        )
    if checked_on > timezone.localdate():
        raise MonitoringError(words["future"])
    if evidence is not None:
        evidence = accepted_evidence(evidence)
    for i in CHECK_ITEMS:
        setattr(item, i, bool(results[i]))
    item.notes = notes
    item.checked_by = by
    item.checked_on = checked_on
    if evidence is not None:
        item.evidence.save(Path(evidence.name or "").name, evidence, save=False)
    item.save()
    deadline = max(item.campaign.ends_on, timezone.localdate() + datetime.timedelta(days=30))
    existing = set(item.problems.values_list("check_item", flat=True))
    problems = [
        Problem.objects.create(
            source=ProblemSource.LOOKBACK,
            region_code=item.village_code,
            household=item.household,
            lookback_item=item,
            check_item=i,
            description=f"{CHECK_ITEM_LABELS[i]}未达标：{notes[i]}",
            responsible_person=responsible_person,
            deadline=deadline,
            created_by=by,
        )
        for i in item.unmet
        if i not in existing
    ]
    for problem in problems:
        raise_problem_event(problem, closed=False)
    record(
        by=by,
        action="record_lookback_item",
        target=item.campaign,
        household=item.household,
        scope_code=item.village_code,
        changes={i: [None, results[i]] for i in CHECK_ITEMS} | {"problems": [None, len(problems)]},
    )
    return problems


@transaction.atomic
def close_lookback(campaign: LookBack, *, by: User) -> LookBack:
    permissions.ensure(permissions.can_decide_cases(by))
    ensure_can_edit(by, campaign.region_id)
    campaign.status = LookBack.Status.CLOSED
    campaign.save(update_fields=["status"])
    record(
        by=by,
        action="close_lookback",
        target=campaign,
        scope_code=campaign.region_id,
        changes={"status": ["open", "closed"]},
    )
    return campaign
