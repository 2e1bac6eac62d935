"""Handbook batches as watched background work (fupin.core.work): a batch whose process died is marked failed,
which lets its village start a new one, and an administrator retries or cancels it on the 后台任务 page."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

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
    settled = sum(
        settle(pk)
        for pk in HandbookBatch.objects.filter(status=BatchStatus.RUNNING).values_list("pk", flat=True)
        if not work.is_held("handbook", pk)
    )
    queued = dict(
        HandbookBatch.objects.filter(status=BatchStatus.PENDING)
        .exclude(task_id="")
        .values_list("task_id", "pk")
    )
    for pk in work.ended_unstarted(queued):
        with transaction.atomic():
            batch = (
                HandbookBatch.objects.select_for_update().filter(pk=pk, status=BatchStatus.PENDING).first()
            )
            if batch is not None:
                _fail(
                    batch,
                    "后台任务进程未能开始生成（任务已中断）。可重试或重新生成。",
                    by=None,
                    action="handbook_batch_interrupted",
                )
                settled += 1
    return settled


def _batch(pk: int, by) -> HandbookBatch:
    if not work.may_manage(by):
        raise AssistanceError("只有县扶贫办和系统管理员可以处理后台任务")
    batch = handbook_batches_for(by).select_for_update(of=("self",)).filter(pk=pk).first()
    if batch is None:
        raise AssistanceError("没有找到该批次，或不在您的管辖范围内")
    return batch


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
    raise AssistanceError(f"{batch.village.name}的手册正在生成，不能取消")


def items_for(user) -> list[work.WorkItem]:
    items = []
    for batch in handbook_batches_for(user).filter(status__in=LISTED).order_by("-created_at")[:50]:
        stuck = batch.status == BatchStatus.RUNNING and not work.is_held("handbook", batch.pk)
        items.append(
            work.WorkItem(
                kind="handbook",
                pk=batch.pk,
                label=f"扶贫手册 {batch.village.name}（{batch.requested_by.username}）",
                status=batch.get_status_display(),
                message=batch.message,
                created_at=batch.created_at,
                stuck=stuck,
                can_retry=batch.status == BatchStatus.FAILED,
                can_cancel=batch.status == BatchStatus.PENDING or stuck,
                url=reverse("assistance:batch", args=[batch.pk]),
            )
        )
    return items


KIND = work.WorkKind(
    name="handbook",
    title=gettext_lazy("扶贫手册批量生成"),
    items_for=items_for,
    recover=recover,
    retry=retry,
    cancel=cancel,
)
