"""What users do in the public procedures: one function per stage transition.

Every function checks the actor's scope and role, the batch's stage against `TRANSITIONS`,
and the stage's own preconditions; it runs in a transaction, records who acted, when and on
what evidence (`StageRecord`, `Evidence`) and writes the audit entry. A refused action raises
`ProcedureError` with a Chinese message saying why. Clocks take a `now` argument so notices
can be tested without waiting seven days.
"""

import datetime
from collections.abc import Callable, Iterable

from django.core.files.base import File
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext

from fupin.accounts.models import User
from fupin.audit.services import record
from fupin.core.errors import ServiceError
from fupin.core.evidence import stored_name
from fupin.disclosure.services import seal_notice
from fupin.regions.models import Region, RegionLevel
from fupin.registry import codes, consents
from fupin.registry import services as registry_services
from fupin.registry.models import GuaranteeCheck, Household, IncomeRecord
from fupin.registry.services import RegistryError
from fupin.subscriptions.events import concerned, household_data, notice_data, raise_event
from fupin.subscriptions.models import EventType

from . import notice_text, rules, selectors
from .models import (
    HOUSEHOLD_PROCEDURES,
    TRANSITIONS,
    Application,
    Batch,
    BatchHousehold,
    DayRule,
    EntryState,
    Evidence,
    Notice,
    NoticeKind,
    Objection,
    Procedure,
    Stage,
    StageRecord,
    VillageProfile,
)
from .permissions import STAGE_LEVEL, ensure_level


class ProcedureError(ServiceError):
    """A refused procedure action; the message is Chinese and says why."""


# ---------------------------------------------------------------- policy, settings, clock


def _is_working_day(day: datetime.date, holidays: set[str], workdays: set[str]) -> bool:
    iso = day.isoformat()
    if iso in workdays:
        return True
    return day.weekday() < 5 and iso not in holidays


def notice_ends_at(
    posted_at: datetime.datetime,
    *,
    days: int = 7,
    rule: str = DayRule.CALENDAR,
    holidays: Iterable[str] = (),
    workdays: Iterable[str] = (),
) -> datetime.datetime:
    """When a notice posted at `posted_at` has run its full period.

    The posting day is not counted (as in the civil-law rule for periods); the period ends at
    midnight after the last counted day, local time. With working days, weekends and the
    county's holidays are skipped and its make-up working days (调休) count.
    """
    local = timezone.localtime(posted_at)
    day = local.date()
    holidays, workdays = set(holidays), set(workdays)
    counted = 0
    while counted < days:
        day += datetime.timedelta(days=1)
        if rule == DayRule.CALENDAR or _is_working_day(day, holidays, workdays):
            counted += 1
    end = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    return timezone.make_aware(end, timezone.get_current_timezone())


def now_unless_given(now: datetime.datetime | None) -> datetime.datetime:
    return now or timezone.now()


def _display_name(user: User | None) -> str:
    return (getattr(user, "full_name", "") or getattr(user, "username", "") or "系统")[:150]


# ---------------------------------------------------------------- the state machine


def ensure_stage(batch: Batch, *stages: str) -> None:
    if batch.stage not in stages:
        wanted = "、".join(batch.stage_label(s) for s in stages)
        raise ProcedureError(
            gettext("本批次当前处于“%(stage_label)s”环节，此操作只能在“%(wanted)s”环节办理")
            % {"stage_label": batch.stage_label(), "wanted": wanted}
        )


def log_step(
    batch: Batch,
    *,
    by: User,
    action: str,
    now: datetime.datetime,
    opinion: str = "",
    evidence: Iterable[tuple[str, File, str]] = (),
    stage: str | None = None,
) -> StageRecord:
    rec = StageRecord.objects.create(
        batch=batch,
        stage=stage or batch.stage,
        action=action,
        by=by if getattr(by, "pk", None) else None,
        by_name=_display_name(by),
        at=now,
        opinion=opinion,
    )
    for kind, file, description in evidence:
        if file:
            kept = Evidence(record=rec, kind=kind, description=description[:200])
            kept.file.save(
                stored_name(file.name or ""), file
            )  # a random name: the uploader's says nothing we keep
    return rec


_move_listeners: list = []


def on_batch_move(listener: Callable[..., None]) -> None:
    """Register `listener(batch)`, called in the moving transaction after every move of a batch's stage (the
    declarations that entered a batch follow it; procedures never imports them)."""
    if listener not in _move_listeners:
        _move_listeners.append(listener)


def move_batch(
    batch: Batch,
    to: str,
    *,
    by: User,
    now: datetime.datetime,
    action: str,
    opinion: str = "",
    evidence: Iterable[tuple[str, File, str]] = (),
) -> Batch:
    """Move the batch along one allowed edge of TRANSITIONS, recording it."""
    if to not in TRANSITIONS[batch.stage]:
        raise ProcedureError(
            gettext("不能从“%(stage_label)s”直接进入“%(to)s”，各环节不得跳过")
            % {"stage_label": batch.stage_label(), "to": batch.stage_label(to)}
        )
    pending = selectors.open_objections(batch)
    if pending:
        raise ProcedureError(
            gettext("本批次还有 %(pending)s 条异议未处理，处理完毕后才能进入下一环节") % {"pending": pending}
        )
    frm = batch.stage
    log_step(batch, by=by, action=action, now=now, opinion=opinion, evidence=evidence, stage=frm)
    batch.stage, batch.stage_since = to, now
    if to == Stage.ANNOUNCED:
        batch.announced_at = now
    batch.save(update_fields=["stage", "stage_since", "announced_at"])
    record(
        by=by,
        action=f"procedure_{action}",
        target=batch,
        scope_code=batch.village_id,
        changes={"stage": [frm, to]} | ({"opinion": [None, opinion]} if opinion else {}),
    )
    for listener in _move_listeners:
        listener(batch)
    return batch


def locked_batch(batch: Batch) -> Batch:
    return Batch.objects.select_for_update().select_related("village").get(pk=batch.pk)


# ---------------------------------------------------------------- household status changes


def _set_household_statuses(*, by: User, changes: dict[int, dict], action: str, batch: Batch) -> int:
    """`registry.services.set_household_statuses` for this batch; a refusal is the procedure's."""
    try:
        return registry_services.set_household_statuses(
            by=by, changes=changes, action=action, batch_id=batch.pk
        )
    except RegistryError as e:
        raise ProcedureError(str(e)) from e


# ---------------------------------------------------------------- opening a batch, applications

ELIGIBLE_STATUS = {
    Procedure.IDENTIFICATION: {
        codes.HouseholdStatus.UNREGISTERED,
        codes.HouseholdStatus.APPLICANT,
        codes.HouseholdStatus.REMOVED,
    },
    Procedure.RELAPSE: {codes.HouseholdStatus.EXITED, codes.HouseholdStatus.MONITORED},
    Procedure.EXIT: {codes.HouseholdStatus.POOR},
}


@transaction.atomic
def open_batch(
    *, by: User, village_code: str, kind: str, year: int, now: datetime.datetime | None = None
) -> Batch:
    now = now_unless_given(now)
    try:
        village = Region.objects.get(code=village_code)
    except Region.DoesNotExist:
        raise ProcedureError(
            gettext("行政村代码不存在：%(village_code)s") % {"village_code": village_code}
        ) from None
    if village.level != RegionLevel.VILLAGE:
        raise ProcedureError(gettext("%(name)s不是行政村，程序以行政村为单位开展") % {"name": village.name})
    ensure_level(by, village.code, "village")
    if kind not in Procedure.values:
        raise ProcedureError(gettext("未知的程序类别"))
    if not 2013 <= year <= now.year + 1:
        raise ProcedureError(gettext("年度应在2013到%(year)s之间") % {"year": now.year + 1})
    # The village's row first: two openings at once would both find no batch and both take round 1.
    list(
        Region.objects.select_for_update(no_key=True).filter(code=village.code).values_list("code", flat=True)
    )
    existing = Batch.objects.select_for_update().filter(kind=kind, village=village, year=year)
    if existing.exclude(stage=Stage.ANNOUNCED).exists():
        raise ProcedureError(
            gettext("%(name)s%(year)s年已有进行中的%(label)s批次，请在原批次中办理")
            % {"name": village.name, "year": year, "label": Procedure(kind).label}
        )
    round_ = (existing.aggregate(m=Max("round"))["m"] or 0) + 1
    batch = Batch.objects.create(
        kind=kind,
        village=village,
        year=year,
        round=round_,
        opened_by=by if by.pk else None,
        opened_at=now,
        stage_since=now,
    )
    log_step(batch, by=by, action=StageRecord.Action.OPEN, now=now)
    record(
        by=by,
        action="procedure_open",
        target=batch,
        scope_code=village.code,
        changes={"kind": [None, kind], "year": [None, year]},
    )
    return batch


def _active_elsewhere(household_ids: list[int], batch: Batch) -> dict[int, Batch]:
    """Households already in another open batch (a household is in one procedure at a time)."""
    rows = (
        BatchHousehold.objects.filter(
            household_id__in=household_ids, state__in=[EntryState.PROPOSED, EntryState.SELECTED]
        )
        .exclude(batch=batch)
        .exclude(batch__stage=Stage.ANNOUNCED)
        .select_related("batch")
    )
    return {r.household_id: r.batch for r in rows}


def _check_application_codes(
    batch: Batch, source: str, proposed_type: str, primary_cause: str, other_causes: list[str] | None
) -> None:
    if batch.kind == Procedure.RELAPSE and not primary_cause:
        raise ProcedureError(gettext("返贫须填写返贫原因（因灾、因病、因学等）"))
    for cause in [primary_cause, *(other_causes or [])]:
        if cause and cause not in codes.PovertyCause.values:
            raise ProcedureError(gettext("未知的致贫原因：%(cause)s") % {"cause": cause})
    if proposed_type and proposed_type not in codes.HouseholdType.values:
        raise ProcedureError(gettext("未知的贫困户属性"))
    if source not in Application.Source.values:
        raise ProcedureError(gettext("未知的申请来源"))


def _households_to_add(batch: Batch, household_ids: list[int]) -> list[Household]:
    """The households, each of the batch's village, not yet in it nor in another running procedure, and of a
    status the procedure takes."""
    households = list(
        Household.objects.filter(pk__in=household_ids).only(
            "pk", "number", "head_name", "village_id", "status", "size"
        )
    )
    if len(households) != len(set(household_ids)):
        raise ProcedureError(gettext("所选的户不存在"))
    eligible = ELIGIBLE_STATUS[Procedure(batch.kind)]
    already = set(batch.entries.filter(household_id__in=household_ids).values_list("household_id", flat=True))
    elsewhere = _active_elsewhere(household_ids, batch)
    for h in households:
        if h.village_id != batch.village_id:
            raise ProcedureError(
                gettext("户 %(number)s 不属于%(name)s") % {"number": h.number, "name": batch.village.name}
            )
        if h.pk in already:
            raise ProcedureError(
                gettext("户 %(number)s（%(head_name)s）已在本批次中")
                % {"number": h.number, "head_name": h.head_name}
            )
        if h.pk in elsewhere:
            raise ProcedureError(
                gettext("户 %(number)s（%(head_name)s）正在“%(pk)s”中，不能同时进入两个程序")
                % {"number": h.number, "head_name": h.head_name, "pk": elsewhere[h.pk]}
            )
        if h.status not in eligible:
            raise ProcedureError(
                gettext("户 %(number)s（%(head_name)s）当前为“%(label)s”，不能进入%(get_kind_display)s程序")
                % {
                    "number": h.number,
                    "head_name": h.head_name,
                    "label": codes.HouseholdStatus(h.status).label,
                    "get_kind_display": batch.get_kind_display(),
                }
            )
    return households


def _attach_form(entry: BatchHousehold, form: File) -> None:
    """The signed application form, stored on the household's application."""
    app = entry.application if hasattr(entry, "application") else Application.objects.get(entry=entry)
    app.form.save(stored_name(form.name or ""), form, save=False)
    app.save(update_fields=["form"])


@transaction.atomic
def add_households(
    batch: Batch,
    *,
    by: User,
    household_ids: list[int],
    source: str = Application.Source.SELF,
    applied_on: datetime.date | None = None,
    statement: str = "",
    proposed_type: str = "",
    primary_cause: str = "",
    other_causes: list[str] | None = None,
    form: File | None = None,
    now: datetime.datetime | None = None,
) -> list[BatchHousehold]:
    """Put households into the batch at its application stage: applications (识别, 返贫) or the
    draft exit list (脱贫)."""
    now = now_unless_given(now)
    batch = locked_batch(batch)
    ensure_level(by, batch.village_id, "village")
    if batch.kind not in HOUSEHOLD_PROCEDURES:
        raise ProcedureError(gettext("贫困村程序不含户名单"))
    ensure_stage(batch, Stage.APPLICATION)
    _check_application_codes(batch, source, proposed_type, primary_cause, other_causes)
    households = _households_to_add(batch, household_ids)
    entries = BatchHousehold.objects.bulk_create(
        [
            BatchHousehold(
                batch=batch,
                household_id=h.pk,
                persons=h.size,
                previous_status=h.status,
                proposed_type=proposed_type,
                primary_cause=primary_cause,
                other_causes=other_causes or [],
            )
            for h in households
        ]
    )
    if entries and entries[0].pk is None:
        entries = list(batch.entries.filter(household_id__in=household_ids))
    if batch.is_entry:
        Application.objects.bulk_create(
            [
                Application(
                    entry=e,
                    applied_on=applied_on or timezone.localdate(now),
                    source=source,
                    statement=statement,
                )
                for e in entries
            ]
        )
        if form and len(entries) == 1:
            _attach_form(entries[0], form)
        _set_household_statuses(
            by=by,
            batch=batch,
            action="procedure_apply",
            changes={
                h.pk: {"status": codes.HouseholdStatus.APPLICANT}
                for h in households
                if batch.kind == Procedure.IDENTIFICATION and h.status != codes.HouseholdStatus.APPLICANT
            },
        )
    record(
        by=by,
        action="procedure_add_households",
        target=batch,
        scope_code=batch.village_id,
        changes={"households": [None, [h.number for h in households][:200]]},
    )
    return entries


@transaction.atomic
def withdraw_entry(
    entry: BatchHousehold, *, by: User, reason: str, now: datetime.datetime | None = None
) -> BatchHousehold:
    """Take a household off the list at the application stage (the applicant withdraws, a wrong entry)."""
    batch = locked_batch(entry.batch)
    ensure_level(by, batch.village_id, "village")
    ensure_stage(batch, Stage.APPLICATION)
    if not (reason or "").strip():
        raise ProcedureError(gettext("请填写撤回原因"))
    entry.delete()
    if batch.kind == Procedure.IDENTIFICATION and entry.previous_status:
        _set_household_statuses(
            by=by,
            batch=batch,
            action="procedure_withdraw",
            changes={entry.household_id: {"status": entry.previous_status}},
        )
    record(
        by=by,
        action="procedure_withdraw",
        target=batch,
        scope_code=batch.village_id,
        changes={"household": [entry.household_id, None], "reason": [None, reason]},
    )
    return entry


def incomes_and_guarantees(household_ids: list[int], year: int) -> tuple[dict, dict]:
    incomes = dict(
        IncomeRecord.objects.filter(household_id__in=household_ids, year=year).values_list(
            "household_id", "per_capita_net_income"
        )
    )
    guarantees = {
        g.household_id: g for g in GuaranteeCheck.objects.filter(household_id__in=household_ids, year=year)
    }
    return incomes, guarantees


@transaction.atomic
def propose_exit_candidates(batch: Batch, *, by: User, now: datetime.datetime | None = None) -> int:
    """Draft the exit list from the year's income update: poor households of the village whose
    per-capita net income is above the year's line and whose guarantees are all met."""
    batch = locked_batch(batch)
    if batch.kind != Procedure.EXIT:
        raise ProcedureError(gettext("只有脱贫批次可以从收入更新中拟定名单"))
    ensure_level(by, batch.village_id, "village")
    ensure_stage(batch, Stage.APPLICATION)
    line = selectors.poverty_line(batch.year, batch.village_id)
    poor = list(
        Household.objects.filter(village_id=batch.village_id, status=codes.HouseholdStatus.POOR).values_list(
            "pk", flat=True
        )
    )
    incomes, guarantees = incomes_and_guarantees(poor, batch.year)
    taken = set(batch.entries.values_list("household_id", flat=True)) | set(_active_elsewhere(poor, batch))
    ids = [
        h
        for h in poor
        if h not in taken
        and rules.meets_exit_standard(
            income=incomes.get(h), line=line, guarantees_met=rules.guarantees_met(guarantees.get(h))
        )
    ]
    if ids:
        add_households(batch, by=by, household_ids=ids, now=now)
    return len(ids)


@transaction.atomic
def confirm_by_helper(
    entries: Iterable[BatchHousehold], *, by: User, helper_name: str, now: datetime.datetime | None = None
) -> int:
    """The helper (帮扶责任人) confirms the household has stably left poverty."""
    now = now_unless_given(now)
    entries = list(entries)
    if not (helper_name or "").strip():
        raise ProcedureError(gettext("请填写确认的帮扶责任人姓名"))
    for e in entries:
        if e.batch.kind != Procedure.EXIT:
            raise ProcedureError(gettext("帮扶责任人确认只用于脱贫批次"))
        ensure_level(by, e.batch.village_id, "village")
        ensure_stage(e.batch, Stage.APPLICATION, Stage.SURVEY)
    BatchHousehold.objects.filter(pk__in=[e.pk for e in entries]).update(
        helper_confirmed_by=helper_name.strip()[:50], helper_confirmed_at=now
    )
    if entries:
        record(
            by=by,
            action="procedure_helper_confirm",
            target=entries[0].batch,
            scope_code=entries[0].batch.village_id,
            changes={
                "households": [None, [e.household_id for e in entries][:200]],
                "helper": [None, helper_name],
            },
        )
    return len(entries)


@transaction.atomic
def complete_application(batch: Batch, *, by: User, now: datetime.datetime | None = None) -> Batch:
    now = now_unless_given(now)
    batch = locked_batch(batch)
    ensure_level(by, batch.village_id, "village")
    ensure_stage(batch, Stage.APPLICATION)
    if batch.kind in HOUSEHOLD_PROCEDURES:
        if not batch.entries.filter(state=EntryState.PROPOSED).exists():
            raise ProcedureError(gettext("名单中还没有户，请先录入申请（或拟定名单）"))
        # the household's authorisation for checking its economic situation (电子授权书)
        if batch.kind == Procedure.IDENTIFICATION:
            unsigned = consents.households_without_consent(
                batch.entries.filter(state=EntryState.PROPOSED).values_list("household_id", flat=True)
            )
            if unsigned:
                raise ProcedureError(consents.missing_consent_message(unsigned))
    elif not VillageProfile.objects.filter(village_id=batch.village_id, year=batch.year).exists():
        raise ProcedureError(
            gettext("请先填报%(name)s%(year)s年的村情登记") % {"name": batch.village.name, "year": batch.year}
        )
    return move_batch(batch, Stage.SURVEY, by=by, now=now, action=StageRecord.Action.COMPLETE)


# ---------------------------------------------------------------- reviews and announcement


@transaction.atomic
def approve_review(
    batch: Batch,
    *,
    by: User,
    opinion: str,
    evidence: File | None = None,
    now: datetime.datetime | None = None,
) -> Batch:
    """The township's review (审核) passes; the batch goes on to the township notice."""
    now = now_unless_given(now)
    batch = locked_batch(batch)
    ensure_stage(batch, Stage.TOWNSHIP_REVIEW)
    ensure_level(by, batch.village_id, "township")
    if not (opinion or "").strip():
        raise ProcedureError(gettext("请填写审核意见"))
    return move_batch(
        batch,
        Stage.SECOND_NOTICE,
        by=by,
        now=now,
        action=StageRecord.Action.APPROVE,
        opinion=opinion.strip(),
        evidence=[(Evidence.Kind.REVIEW, evidence, "审核材料")] if evidence else [],
    )


@transaction.atomic
def send_back(batch: Batch, *, by: User, reason: str, now: datetime.datetime | None = None) -> Batch:
    """A review sends the whole batch back: township → village survey, county → township review."""
    now = now_unless_given(now)
    batch = locked_batch(batch)
    ensure_stage(batch, Stage.TOWNSHIP_REVIEW, Stage.COUNTY_REVIEW)
    ensure_level(by, batch.village_id, STAGE_LEVEL[batch.stage])
    if not (reason or "").strip():
        raise ProcedureError(gettext("退回须写明理由"))
    to = Stage.SURVEY if batch.stage == Stage.TOWNSHIP_REVIEW else Stage.TOWNSHIP_REVIEW
    return move_batch(batch, to, by=by, now=now, action=StageRecord.Action.SEND_BACK, opinion=reason.strip())


@transaction.atomic
def return_household(
    entry: BatchHousehold, *, by: User, reason: str, now: datetime.datetime | None = None
) -> BatchHousehold:
    """A review sends one household back for re-checking; it leaves this batch."""
    now = now_unless_given(now)
    batch = locked_batch(entry.batch)
    ensure_stage(batch, Stage.TOWNSHIP_REVIEW, Stage.COUNTY_REVIEW)
    ensure_level(by, batch.village_id, STAGE_LEVEL[batch.stage])
    entry = BatchHousehold.objects.select_for_update().select_related("household").get(pk=entry.pk)
    if entry.batch_id != batch.pk or entry.state != EntryState.SELECTED:
        raise ProcedureError(gettext("该户不在本批次的名单中"))
    if not (reason or "").strip():
        raise ProcedureError(gettext("退回须写明理由"))
    if entry.objections.filter(state=Objection.State.OPEN).exists():
        raise ProcedureError(gettext("该户有未处理的异议，请先处理异议"))
    entry.state, entry.reason = EntryState.RETURNED, f"{batch.stage_label()}退回：{reason.strip()}"[:300]
    entry.save(update_fields=["state", "reason"])
    log_step(
        batch,
        by=by,
        action=StageRecord.Action.RETURN_HOUSEHOLD,
        now=now,
        opinion=f"{entry.household.head_name}：{reason.strip()}",
    )
    record(
        by=by,
        action="procedure_return_household",
        target=batch,
        scope_code=batch.village_id,
        household=entry.household,
        changes={"state": [EntryState.SELECTED, EntryState.RETURNED], "reason": [None, reason.strip()]},
    )
    return entry


@transaction.atomic
def announce(batch: Batch, *, by: User, opinion: str, now: datetime.datetime | None = None) -> Notice:
    """The county's review (复审) passes and the result is announced (公告): the households'
    status changes (identification, relapse: poor; exit: exited) or the village's record does."""
    now = now_unless_given(now)
    batch = locked_batch(batch)
    ensure_stage(batch, Stage.COUNTY_REVIEW)
    ensure_level(by, batch.village_id, "county")
    if not (opinion or "").strip():
        raise ProcedureError(gettext("请填写复审意见"))
    pending = selectors.open_objections(batch)
    if pending:
        raise ProcedureError(
            gettext("还有 %(pending)s 条异议未处理，不能公告；任何户在异议处理完毕前不得变更状态")
            % {"pending": pending}
        )
    cfg = selectors.settings_for(batch.village_id)
    ends_at = notice_ends_at(
        now, days=cfg.notice_days, rule=cfg.day_rule, holidays=cfg.holidays, workdays=cfg.extra_workdays
    )
    title, body, issuer = notice_text.notice_text(
        batch, NoticeKind.ANNOUNCEMENT, ends_at, cfg.notice_days, cfg.supervision_phone
    )
    notice = Notice.objects.create(
        batch=batch,
        kind=NoticeKind.ANNOUNCEMENT,
        region=batch.village,
        title=title,
        body=body,
        entries=notice_text.notice_entries(batch),
        issuer=issuer,
        posted_by=by if by.pk else None,
        posted_at=now,
        ends_at=ends_at,
    )
    seal_notice(notice, by=by)
    raise_event(EventType.NOTICE_PUBLISHED, region_code=notice.region_id, data=notice_data(notice))
    _apply_result(batch, by=by)
    move_batch(
        batch, Stage.ANNOUNCED, by=by, now=now, action=StageRecord.Action.ANNOUNCE, opinion=opinion.strip()
    )
    return notice


def _apply_result(batch: Batch, *, by: User) -> None:
    if batch.is_village_procedure:
        profile = VillageProfile.objects.get(village_id=batch.village_id, year=batch.year)
        if batch.kind == Procedure.VILLAGE_IDENTIFICATION:
            profile.is_poor_village, profile.identified_year = True, batch.year
        else:
            profile.is_poor_village, profile.exit_year = False, batch.year
        profile.save()
        record(
            by=by,
            action="procedure_village_result",
            target=profile,
            scope_code=batch.village_id,
            changes={"is_poor_village": [not profile.is_poor_village, profile.is_poor_village]},
        )
        return
    entries = list(batch.entries.all())
    confirmed = [e for e in entries if e.state == EntryState.SELECTED]
    changes: dict[int, dict] = {}
    for e in confirmed:
        if batch.kind == Procedure.IDENTIFICATION:
            changes[e.household_id] = {
                "status": codes.HouseholdStatus.POOR,
                "registration_year": batch.year,
                "household_type": e.proposed_type or codes.HouseholdType.GENERAL_POOR,
                "primary_cause": e.primary_cause,
                "other_causes": e.other_causes,
            }
        elif batch.kind == Procedure.RELAPSE:
            changes[e.household_id] = {
                "status": codes.HouseholdStatus.POOR,
                "primary_cause": e.primary_cause,
                "exit_year": None,
            }
            if e.proposed_type:
                changes[e.household_id]["household_type"] = e.proposed_type
        else:
            changes[e.household_id] = {"status": codes.HouseholdStatus.EXITED, "exit_year": batch.year}
    if batch.kind == Procedure.IDENTIFICATION:
        for e in entries:
            if (
                e.state != EntryState.SELECTED
                and e.previous_status
                and e.previous_status != codes.HouseholdStatus.APPLICANT
            ):
                changes[e.household_id] = {"status": e.previous_status}
    BatchHousehold.objects.filter(pk__in=[e.pk for e in confirmed]).update(state=EntryState.CONFIRMED)
    _set_household_statuses(by=by, changes=changes, action=f"procedure_{batch.kind}", batch=batch)
    _raise_results(batch, [e.household_id for e in confirmed])


# The event each household procedure's announcement raises for the households it confirmed
# (fupin.subscriptions).
RESULT_EVENT = {
    Procedure.IDENTIFICATION: EventType.HOUSEHOLD_IDENTIFIED,
    Procedure.EXIT: EventType.HOUSEHOLD_EXITED,
    Procedure.RELAPSE: EventType.HOUSEHOLD_RELAPSED,
}


def _raise_results(batch: Batch, household_ids: list[int]) -> None:
    """Tell the subscribers of the households' new status, in the announcing transaction."""
    event_type = RESULT_EVENT.get(Procedure(batch.kind))
    if event_type is None or not concerned(event_type, batch.village_id):
        return
    for household in Household.objects.filter(pk__in=household_ids).order_by("pk"):
        raise_event(
            event_type,
            region_code=household.village_id,
            data=household_data(household, batch=batch.pk, year=batch.year),
        )
