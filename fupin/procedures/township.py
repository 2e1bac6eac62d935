"""A township's work across its villages (乡镇统一审核、统一公示): the township review of every village's
batch waiting for it, and one township notice listing the households of the chosen villages, with one posting
photo and one period.

Each village's batch moves through the same services as on its own page (`services.approve_review`,
`send_back`, `notices.close_notice`, `notices.record_objection`): this module gathers the villages and posts
the one notice, with the checks of `notices.post_notice` made for every village; it adds no rule of its own to
the procedure.
"""

import datetime
from typing import Any

from django.core.files.base import File
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from fupin.accounts.models import User
from fupin.accounts.scope import region_filter
from fupin.audit.services import record
from fupin.core.errors import ScopeError
from fupin.regions.models import Region, RegionLevel

from . import notice_text, notices, selectors, services
from .models import (
    HOUSEHOLD_PROCEDURES,
    Batch,
    EntryState,
    Evidence,
    Notice,
    NoticeKind,
    Stage,
    StageRecord,
)
from .permissions import ensure_level
from .services import ProcedureError, ensure_stage, log_step, now_unless_given

MAX_VILLAGES = (
    300  # a township has a few dozen villages; more ids than this in one request is not a township's
)


def township_batches(user: Any, township: Region, *, year: int, kind: str, stage: str) -> QuerySet[Batch]:
    """The township's village batches of a year and procedure at `stage`, in the user's scope."""
    scope = region_filter(user, "village_id")
    if scope is None:
        return Batch.objects.none()
    return (
        Batch.objects.filter(scope, village__parent_id=township.code, year=year, kind=kind, stage=stage)
        .select_related("village")
        .annotate(households=Count("entries", filter=Q(entries__state=EntryState.SELECTED)))
        .order_by("village_id", "round")
    )


def joint_notices(user: Any, township: Region, *, year: int, kind: str) -> QuerySet[Notice]:
    """The township's notices across villages of a year and procedure, newest first."""
    scope = region_filter(user, "region_id")
    if scope is None:
        return Notice.objects.none()
    return (
        Notice.objects.filter(
            scope, region_id=township.code, joint_batches__isnull=False, batch__year=year, batch__kind=kind
        )
        .distinct()
        .prefetch_related("joint_batches__batch__village")
        .order_by("-posted_at", "-id")
    )


def joint_notice_for(user: Any, pk: Any) -> Notice:
    """One township notice across villages in the user's scope; Notice.DoesNotExist otherwise."""
    scope = region_filter(user, "region_id")
    if scope is None:
        raise Notice.DoesNotExist
    return Notice.objects.filter(scope, joint_batches__isnull=False).distinct().get(pk=pk)


def review_villages(
    decisions: dict[int, tuple[str, str]], *, by: User, opinion: str, now: datetime.datetime | None = None
) -> tuple[list[str], dict[str, str]]:
    """The township review of several villages' batches: per batch id ("approve", "") with the shared opinion
    or ("send_back", reason). Each village's decision is its own transaction through the one-village services,
    so a village refused (moved meanwhile, out of scope, no reason) leaves the others decided: (done, refused
    by village)."""
    if len(decisions) > MAX_VILLAGES:
        raise ProcedureError(gettext("一次最多审核 %(n)s 个村") % {"n": MAX_VILLAGES})
    done: list[str] = []
    refused: dict[str, str] = {}
    batches = Batch.objects.select_related("village").in_bulk(list(decisions))
    for pk, (decision, reason) in decisions.items():
        batch = batches.get(pk)
        if batch is None:
            refused[str(pk)] = gettext("批次不存在")
            continue
        try:
            if decision == "approve":
                services.approve_review(batch, by=by, opinion=opinion, now=now)
            elif decision == "send_back":
                services.send_back(batch, by=by, reason=reason, now=now)
            else:
                continue
        except (ProcedureError, ScopeError) as e:
            refused[batch.village.name] = str(e)
        else:
            done.append(batch.village.name)
    if not done and not refused:
        raise ProcedureError(gettext("请为至少一个村选择“审核通过”或“退回”"))
    return done, refused


def _chosen(batch_ids: list[int], *, by: User) -> list[Batch]:
    """The chosen batches, locked in id order (two officers at once wait for each other, never deadlock), each
    at the township notice stage, of the user's township level, of one township, year and household
    procedure."""
    if not batch_ids:
        raise ProcedureError(gettext("请勾选要统一公示的村"))
    if len(batch_ids) > MAX_VILLAGES:
        raise ProcedureError(gettext("一次最多公示 %(n)s 个村") % {"n": MAX_VILLAGES})
    batches = list(
        Batch.objects.select_for_update(of=("self",))
        .select_related("village")
        .filter(pk__in=batch_ids)
        .order_by("pk")
    )
    if len(batches) != len(set(batch_ids)):
        raise ProcedureError(gettext("所选的村的批次不存在或不在您的管辖范围内"))
    for batch in batches:
        ensure_level(by, batch.village_id, "township")
        try:
            ensure_stage(batch, Stage.SECOND_NOTICE)
        except ProcedureError as e:
            raise ProcedureError(f"{batch.village.name}：{e}") from None
        if selectors.running_notice(batch):
            raise ProcedureError(
                gettext("%(village)s的乡镇公示已经生成，正在公示期内") % {"village": batch.village.name}
            )
    if len({(b.village.parent_id, b.year, b.kind) for b in batches}) > 1:
        raise ProcedureError(gettext("统一公示的村须属于同一乡镇、同一年度、同一程序"))
    if batches[0].kind not in HOUSEHOLD_PROCEDURES:
        raise ProcedureError(gettext("贫困村识别和出列按村公示，不统一公示"))
    return batches


@transaction.atomic
def post_township_notice(batch_ids: list[int], *, by: User, now: datetime.datetime | None = None) -> Notice:
    """Issue one township notice (乡镇公示) listing the households of the chosen villages, to be printed and
    posted; its one period starts now for every village, as `notices.post_notice` does for one."""
    now = now_unless_given(now)
    batches = _chosen(batch_ids, by=by)
    township = Region.objects.get(code=batches[0].village.parent_id)
    assert township.level == RegionLevel.TOWNSHIP
    cfg, ends_at = notices.notice_period(township.code, now)
    text = notice_text.joint_notice_text(township, batches, ends_at, cfg.notice_days, cfg.supervision_phone)
    until = f"{timezone.localtime(ends_at):%Y-%m-%d %H:%M}"
    return notices.issue_notice(
        batches,
        kind=NoticeKind.TOWNSHIP,
        region=township,
        text=text,
        entries=notice_text.joint_notice_entries(batches),
        by=by,
        now=now,
        ends_at=ends_at,
        opinion=f"{text[0]}（乡镇统一公示，{len(batches)} 个村），公示至 {until}",
        joint=True,
    )


def _open_batches(notice: Notice) -> list[Batch]:
    return [
        link.batch
        for link in notice.joint_batches.filter(closed_at__isnull=True)
        .select_related("batch", "batch__village")
        .order_by("batch_id")
    ]


@transaction.atomic
def add_township_notice_photo(
    notice: Notice, *, by: User, photo: File | None, now: datetime.datetime | None = None
) -> int:
    """The one photo of the township notice as posted, the evidence for every village still under it."""
    now = now_unless_given(now)
    if not photo:
        raise ProcedureError(gettext("请选择公示张贴现场照片"))
    kept: Evidence | None = None
    batches = _open_batches(notice)
    if not batches:
        raise ProcedureError(gettext("该公示已经结束"))
    for batch in batches:
        batch, running = notices._notice_in_force(batch, by=by, missing=gettext("该村的乡镇公示已经结束"))
        if running.pk != notice.pk:
            raise ProcedureError(gettext("%(village)s正在另一份公示中") % {"village": batch.village.name})
        rec = log_step(
            batch,
            by=by,
            action=StageRecord.Action.NOTICE_PHOTO,
            now=now,
            opinion=f"{notice.title}张贴现场照片",
            evidence=[] if kept else [(Evidence.Kind.NOTICE_PHOTO, photo, "公示张贴照片")],
        )
        if kept is None:
            kept = rec.evidence.get()
        else:  # the same stored file, evidence for this village too
            Evidence.objects.create(
                record=rec, kind=kept.kind, file=kept.file.name, description=kept.description
            )
        record(
            by=by,
            action="procedure_notice_photo",
            target=batch,
            scope_code=batch.village_id,
            changes={"notice": [notice.pk, notice.pk]},
        )
    return len(batches)


def close_township_notice(
    notice: Notice, *, by: User, now: datetime.datetime | None = None
) -> tuple[list[str], dict[str, str]]:
    """End the township notice for every village whose period, photo and objections allow
    (`notices.close_notice`,
    one transaction each): a village with an objection still open stays under the notice until it is
    resolved."""
    batches = _open_batches(notice)
    if not batches:
        raise ProcedureError(gettext("该公示已经结束"))
    done: list[str] = []
    refused: dict[str, str] = {}
    for batch in batches:
        try:
            notices.close_notice(batch, by=by, now=now)
        except (ProcedureError, ScopeError) as e:
            refused[batch.village.name] = str(e)
        else:
            done.append(batch.village.name)
    return done, refused
