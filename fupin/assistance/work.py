"""Handbook batches as watched background work (fupin.core.work): a batch whose process died is marked failed,
which lets its village start a new one, and an administrator retries or cancels it on the 后台任务 page."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from fupin.audit.services import record
from fupin.core import work

from .models import BatchStatus, HandbookBatch
from .selectors import handbook_batches_for
from .services import AssistanceError

LISTED = (BatchStatus.PENDING, BatchStatus.RUNNING, BatchStatus.FAILED)


def _fail(batch, message: str, *, by, action: str) -> None:
    before = batch.status
    batch.status, batch.finished_at, batch.message = BatchStatus.FAILED, timezone.now(), message
    batch.save(update_fields=["status", "finished_at", "message"])
    record(
        by=by,
        action=action,
        target=batch,
        scope_code=batch.village_id,
        changes={"status": [before, batch.status]},
    )


def settle(pk: int, *, by=None) -> bool:
    """Batch `pk` says 生成中 but nobody makes it: 失败, with how far it got."""
    return work.settle_unheld("handbook", pk, lambda: _settle_batch(pk, by))


@transaction.atomic
def _settle_batch(pk: int, by) -> bool:
    batch = HandbookBatch.objects.select_for_update().filter(pk=pk, status=BatchStatus.RUNNING).first()
    if batch is None:
        return False
    _fail(
        batch,
        f"生成进程中断（已生成 {batch.done}/{batch.total} 户），未生成压缩包。可重试或重新生成。",
        by=by,
        action="handbook_batch_interrupted",
    )
    return True


def recover() -> int:
    """Every batch whose process died, and every queued batch whose task ended without running it."""
    queued = dict(
        HandbookBatch.objects.filter(status=BatchStatus.PENDING)
        .exclude(task_id="")
        .values_list("task_id", "pk")
    )
    running = HandbookBatch.objects.filter(status=BatchStatus.RUNNING).values_list("pk", flat=True)
    return work.recover_kind("handbook", running, settle, queued, _fail_unstarted)


@transaction.atomic
def _fail_unstarted(pk: int) -> bool:
    batch = HandbookBatch.objects.select_for_update().filter(pk=pk, status=BatchStatus.PENDING).first()
    if batch is None:
        return False
    _fail(
        batch,
        "后台任务进程未能开始生成（任务已中断）。可重试或重新生成。",
        by=None,
        action="handbook_batch_interrupted",
    )
    return True


def _batch(pk: int, by) -> HandbookBatch:
    rows = handbook_batches_for(by).select_for_update(of=("self",))
    return work.managed(
        by, rows, pk, missing=gettext("没有找到该批次，或不在您的管辖范围内"), error=AssistanceError
    )


def retry(pk: int, *, by) -> str:
    from .tasks import build_village_handbooks  # cycle breaker: the task module imports the handbook builder

    with transaction.atomic():
        batch = _batch(pk, by)
        if batch.status != BatchStatus.FAILED:
            return f"{batch.village.name}的手册批次当前为{batch.get_status_display()}，无需重试"
        if HandbookBatch.objects.filter(
            village_id=batch.village_id, status__in=(BatchStatus.PENDING, BatchStatus.RUNNING)
        ).exists():
            return f"{batch.village.name}已有正在生成的手册批次"
        HandbookBatch.objects.filter(pk=pk).update(
            status=BatchStatus.PENDING,
            message="",
            finished_at=None,
            started_at=None,
            done=0,
            total=0,
            task_id="",
        )
        record(
            by=by,
            action="retry_handbook_batch",
            target=batch,
            scope_code=batch.village_id,
            changes={"status": [batch.status, BatchStatus.PENDING]},
        )
    result = build_village_handbooks.enqueue(pk)
    HandbookBatch.objects.filter(pk=pk, task_id="").update(task_id=str(result.id)[:64])
    return f"{batch.village.name}的手册批次已重新加入后台队列"


def cancel(pk: int, *, by) -> str:
    with transaction.atomic():
        batch = _batch(pk, by)
        if batch.status == BatchStatus.PENDING:
            _fail(batch, f"已由 {by.username} 取消。", by=by, action="cancel_handbook_batch")
            return f"{batch.village.name}的手册批次已取消"
        if batch.status != BatchStatus.RUNNING:
            return f"{batch.village.name}的手册批次已结束（{batch.get_status_display()}），无需取消"
    if settle(pk, by=by):
        return f"{batch.village.name}的手册批次生成进程已中断，已结束该批次"
    raise AssistanceError(gettext("%(name)s的手册正在生成，不能取消") % {"name": batch.village.name})


def items_for(user) -> list[work.WorkItem]:
    return [
        work.item(
            "handbook",
            batch,
            label=f"扶贫手册 {batch.village.name}（{batch.requested_by.username}）",
            url=reverse("assistance:batch", args=[batch.pk]),
            running=batch.status == BatchStatus.RUNNING,
            failed=batch.status == BatchStatus.FAILED,
            pending=batch.status == BatchStatus.PENDING,
            created_at=batch.created_at,
        )
        for batch in handbook_batches_for(user).filter(status__in=LISTED).order_by("-created_at")[:50]
    ]


KIND = work.WorkKind(
    name="handbook",
    title=gettext_lazy("扶贫手册批量生成"),
    items_for=items_for,
    recover=recover,
    retry=retry,
    cancel=cancel,
)
