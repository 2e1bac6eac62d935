"""Notices and objections in the public procedures: posting a 7-day notice (and its posting photo), closing
it, and objections recorded and resolved during the notice and the reviews after it; the same checks,
transaction and audit as services.py."""

import datetime
from typing import Any

from django.core.files.base import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from fupin.accounts.models import User
from fupin.accounts.scope import ensure_can_edit
from fupin.audit.services import record
from fupin.disclosure.services import seal_notice
from fupin.regions.models import Region
from fupin.subscriptions.events import notice_data, raise_event
from fupin.subscriptions.models import EventType

from . import notice_text, selectors
from .models import (
    HOUSEHOLD_PROCEDURES,
    Batch,
    BatchHousehold,
    EntryState,
    Evidence,
    JointNoticeBatch,
    Notice,
    NoticeKind,
    Objection,
    Stage,
    StageRecord,
)
from .permissions import STAGE_LEVEL, ensure_level
from .services import (
    ProcedureError,
    ensure_stage,
    locked_batch,
    log_step,
    move_batch,
    notice_ends_at,
    now_unless_given,
)

NOTICE_STAGE = {Stage.FIRST_NOTICE: NoticeKind.VILLAGE, Stage.SECOND_NOTICE: NoticeKind.TOWNSHIP}


@transaction.atomic
def post_notice(
    batch: Batch, *, by: User, photo: File | None = None, now: datetime.datetime | None = None
) -> Notice:
    """Issue the village (first) or township (second) notice, to be printed and posted; its period starts now.

    The photo of the posted sheet is the evidence: given here, or afterwards with `add_notice_photo` once the
    printed notice is up. The notice cannot be closed without it."""
    now = now_unless_given(now)
    batch = locked_batch(batch)
    ensure_stage(batch, Stage.FIRST_NOTICE, Stage.SECOND_NOTICE)
    ensure_level(by, batch.village_id, STAGE_LEVEL[batch.stage])
    if selectors.running_notice(batch):
        raise ProcedureError(gettext("本环节的公示已经生成，正在公示期内"))
    cfg, ends_at = notice_period(batch.village_id, now)
    kind = NOTICE_STAGE[Stage(batch.stage)]
    text = notice_text.notice_text(batch, kind, ends_at, cfg.notice_days, cfg.supervision_phone)
    region = batch.village if kind == NoticeKind.VILLAGE else batch.village.parent
    assert region is not None  # a village has its township
    return issue_notice(
        [batch],
        kind=kind,
        region=region,
        text=text,
        entries=notice_text.notice_entries(batch),
        by=by,
        now=now,
        ends_at=ends_at,
        opinion=f"{text[0]}，公示至 {timezone.localtime(ends_at):%Y-%m-%d %H:%M}",
        evidence=[(Evidence.Kind.NOTICE_PHOTO, photo, "公示张贴照片")] if photo else [],
    )


def notice_period(region_code: str, now: datetime.datetime) -> tuple[Any, datetime.datetime]:
    """The notice settings that hold in `region_code`, and when a notice posted `now` under them ends."""
    cfg = selectors.settings_for(region_code)
    ends_at = notice_ends_at(
        now, days=cfg.notice_days, rule=cfg.day_rule, holidays=cfg.holidays, workdays=cfg.extra_workdays
    )
    return cfg, ends_at


def issue_notice(
    batches: list[Batch],
    *,
    kind: str,
    region: Region,
    text: tuple[str, str, str],
    entries: list,
    by: User,
    now: datetime.datetime,
    ends_at: datetime.datetime,
    opinion: str,
    evidence: list | None = None,
    joint: bool = False,
) -> Notice:
    """Post this notice (`text`: title, body, issuer) for these batches: one village's, or, `joint`, a
    township's across villages (each batch linked to it). It is sealed for the public page and announced to
    subscribers, and each batch's step is logged with `opinion` (and `evidence`) and audited, in the caller's
    transaction."""
    title, body, issuer = text
    notice = Notice.objects.create(
        batch=batches[0],
        kind=kind,
        region=region,
        title=title,
        body=body,
        entries=entries,
        issuer=issuer,
        posted_by=by if by.pk else None,
        posted_at=now,
        ends_at=ends_at,
    )
    if joint:
        JointNoticeBatch.objects.bulk_create([JointNoticeBatch(notice=notice, batch=b) for b in batches])
    seal_notice(notice, by=by)
    raise_event(EventType.NOTICE_PUBLISHED, region_code=notice.region_id, data=notice_data(notice))
    for batch in batches:
        log_step(
            batch,
            by=by,
            action=StageRecord.Action.POST_NOTICE,
            now=now,
            opinion=opinion,
            evidence=evidence or [],
        )
        record(
            by=by,
            action="procedure_post_notice",
            target=batch,
            scope_code=batch.village_id,
            changes={"notice": [None, notice.pk], "ends_at": [None, str(ends_at)]},
        )
    return notice


def _notice_in_force(batch: Batch, *, by: User, missing: str) -> tuple[Batch, Notice]:
    """The batch, locked, at a notice stage the user's level acts on, and its running notice (`missing` if
    none)."""
    batch = locked_batch(batch)
    ensure_stage(batch, Stage.FIRST_NOTICE, Stage.SECOND_NOTICE)
    ensure_level(by, batch.village_id, STAGE_LEVEL[batch.stage])
    notice = selectors.running_notice(batch)
    if notice is None:
        raise ProcedureError(missing)
    return batch, notice


@transaction.atomic
def add_notice_photo(
    batch: Batch, *, by: User, photo: File | None, now: datetime.datetime | None = None
) -> Batch:
    """The photo of the printed notice as posted (公示张贴现场照片), after the notice was issued."""
    now = now_unless_given(now)
    batch, notice = _notice_in_force(batch, by=by, missing=gettext("请先生成并打印公示，张贴后再上传照片"))
    if not photo:
        raise ProcedureError(gettext("请选择公示张贴现场照片"))
    log_step(
        batch,
        by=by,
        action=StageRecord.Action.NOTICE_PHOTO,
        now=now,
        opinion=f"{notice.title}张贴现场照片",
        evidence=[(Evidence.Kind.NOTICE_PHOTO, photo, "公示张贴照片")],
    )
    record(
        by=by,
        action="procedure_notice_photo",
        target=batch,
        scope_code=batch.village_id,
        changes={"notice": [notice.pk, notice.pk]},
    )
    return batch


def _days_left(now: datetime.datetime, ends_at: datetime.datetime) -> str:
    seconds = (ends_at - now).total_seconds()
    days = int(seconds // 86400)
    hours = int((seconds % 86400) // 3600)
    return f"{days} 天 {hours} 小时" if days else f"{max(hours, 1)} 小时"


@transaction.atomic
def close_notice(batch: Batch, *, by: User, now: datetime.datetime | None = None) -> Batch:
    """End a notice that has run its full period and move on to the review."""
    now = now_unless_given(now)
    batch, notice = _notice_in_force(batch, by=by, missing=gettext("公示尚未张贴，请先张贴公示并上传照片"))
    if not selectors.notice_photographed(batch, notice):
        raise ProcedureError(gettext("请先上传公示张贴现场照片，再结束公示"))
    if now < notice.ends_at:
        raise ProcedureError(
            gettext("公示期未满，不能提前结束：还剩 %(ends_at)s，%(ends_at2)s 后方可结束")
            % {
                "ends_at": _days_left(now, notice.ends_at),
                "ends_at2": format(timezone.localtime(notice.ends_at), "%Y-%m-%d %H:%M"),
            }
        )
    pending = selectors.open_objections(batch)
    if pending:
        raise ProcedureError(
            gettext("公示期间收到的 %(pending)s 条异议尚未处理，处理完毕后才能结束公示")
            % {"pending": pending}
        )
    _close_for(notice, batch, now)
    to = Stage.TOWNSHIP_REVIEW if batch.stage == Stage.FIRST_NOTICE else Stage.COUNTY_REVIEW
    return move_batch(batch, to, by=by, now=now, action=StageRecord.Action.END_NOTICE, opinion="公示期满")


def _close_for(notice: Notice, batch: Batch, now: datetime.datetime) -> None:
    """The notice ends for this batch; a township's notice across villages ends once it has for every
    village."""
    link = notice.joint_batches.select_for_update().filter(batch=batch).first()
    if link is not None:
        link.closed_at = now
        link.save(update_fields=["closed_at"])
        if notice.joint_batches.filter(closed_at__isnull=True).exists():
            return
    notice.closed_at = now
    notice.save(update_fields=["closed_at"])


OBJECTION_STAGES = (Stage.FIRST_NOTICE, Stage.TOWNSHIP_REVIEW, Stage.SECOND_NOTICE, Stage.COUNTY_REVIEW)


@transaction.atomic
def record_objection(
    batch: Batch,
    *,
    by: User,
    content: str,
    entry: BatchHousehold | None = None,
    objector: str = "",
    raised_on: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> Objection:
    """Record an objection (异议) raised during a notice or a review, against a household of the batch."""
    now = now_unless_given(now)
    batch = locked_batch(batch)
    ensure_can_edit(by, batch.village_id)
    ensure_stage(batch, *OBJECTION_STAGES)
    if batch.stage in NOTICE_STAGE and selectors.running_notice(batch) is None:
        raise ProcedureError(gettext("公示尚未张贴，异议应在公示期内受理"))
    if not (content or "").strip():
        raise ProcedureError(gettext("请填写异议内容"))
    if batch.kind in HOUSEHOLD_PROCEDURES:
        if entry is None:
            raise ProcedureError(gettext("请选择异议涉及的户"))
        if entry.batch_id != batch.pk or entry.state != EntryState.SELECTED:
            raise ProcedureError(gettext("该户不在本批次的公示名单中"))
    objection = Objection.objects.create(
        batch=batch,
        entry=entry,
        stage=batch.stage,
        raised_on=raised_on or timezone.localdate(now),
        objector=objector.strip()[:50],
        content=content.strip(),
        recorded_by=by if by.pk else None,
    )
    record(
        by=by,
        action="procedure_objection",
        target=batch,
        scope_code=batch.village_id,
        household=entry.household if entry else None,
        changes={"objection": [None, objection.pk]},
    )
    return objection


@transaction.atomic
def resolve_objection(
    objection: Objection, *, by: User, upheld: bool, resolution: str, now: datetime.datetime | None = None
) -> Objection:
    """Decide an objection after checking: upheld takes the household out of the batch; rejected keeps
    it, and either way the reason is recorded."""
    now = now_unless_given(now)
    objection = (
        Objection.objects.select_for_update(of=("self",))
        .select_related("batch", "entry", "entry__household")
        .get(pk=objection.pk)
    )
    batch = locked_batch(objection.batch)
    ensure_can_edit(by, batch.village_id)
    if objection.state != Objection.State.OPEN:
        raise ProcedureError(gettext("该异议已经处理"))
    if not (resolution or "").strip():
        raise ProcedureError(gettext("请填写核查情况和处理理由"))
    objection.state = Objection.State.UPHELD if upheld else Objection.State.REJECTED
    objection.resolution, objection.resolved_by, objection.resolved_at = (
        resolution.strip(),
        by if by.pk else None,
        now,
    )
    objection.save()
    entry = objection.entry
    if upheld and entry is not None:
        entry.state, entry.reason = EntryState.WITHDRAWN, f"异议成立：{resolution.strip()}"[:300]
        entry.save(update_fields=["state", "reason"])
    record(
        by=by,
        action="procedure_resolve_objection",
        target=batch,
        scope_code=batch.village_id,
        household=entry.household if entry is not None else None,
        changes={"objection": [objection.pk, objection.state], "resolution": [None, objection.resolution]},
    )
    if upheld and batch.is_village_procedure and selectors.open_objections(batch) == 0:
        # The village no longer qualifies as posted: back to the criteria check.
        batch.stage, batch.stage_since = Stage.SURVEY, now
        batch.save(update_fields=["stage", "stage_since"])
        log_step(
            batch,
            by=by,
            action=StageRecord.Action.SEND_BACK,
            now=now,
            opinion=f"异议成立，重新核验：{resolution}",
        )
    return objection
