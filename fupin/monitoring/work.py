"""Sweeps and cross-checks as watched background work (fupin.core.work): each runs under its lease, so a
second worker or a rerun does not run it twice; one marked running whose runner died (its lease gone with the
process) is marked failed with the reason, its transaction having written nothing, and an office retries or
cancels it on the 后台任务 page."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from fupin.audit.services import record
from fupin.core import work

from .models import CrossCheck, Sweep
from .selectors import cross_checks_for, sweeps_for
from .services import MonitoringError

INTERRUPTED = "{what}进程中断（未写入任何结果）。可在「后台任务」页重试。"


def _fail(row, message: str, *, by, action: str) -> None:
    before = row.status
    row.status, row.message = row.Status.FAILED, message
    fields = ["status", "message"]
    if isinstance(row, Sweep):
        row.finished_at = timezone.now()
        fields.append("finished_at")
    else:
        row.progress = 0
        fields.append("progress")
    row.save(update_fields=fields)
    record(
        by=by, action=action, target=row, scope_code=row.scope_code, changes={"status": [before, row.status]}
    )


class Watched:
    """One model's runs (Sweep, CrossCheck) as a kind of work: its lease name, its words, its scoped list."""

    def __init__(self, name: str, model, title, what: str, scoped, task_name: str, url_name: str) -> None:
        self.name, self.model, self.title, self.what = name, model, title, what
        self.scoped, self.task_name, self.url_name = scoped, task_name, url_name

    def settle(self, pk: int, *, by=None) -> bool:
        """Run `pk` says running but nobody runs it: failed, with the reason."""
        return work.settle_unheld(self.name, pk, lambda: self._settle(pk, by))

    @transaction.atomic
    def _settle(self, pk: int, by) -> bool:
        row = self.model.objects.select_for_update().filter(pk=pk, status=self.model.Status.RUNNING).first()
        if row is None:
            return False
        _fail(row, INTERRUPTED.format(what=self.what), by=by, action=f"{self.name}_interrupted")
        return True

    def recover(self) -> int:
        running = self.model.objects.filter(status=self.model.Status.RUNNING).values_list("pk", flat=True)
        return sum(self.settle(pk) for pk in running if not work.is_held(self.name, pk))

    def _row(self, pk: int, by):
        rows = self.scoped(by).select_for_update(of=("self",))
        return work.managed(
            by, rows, pk, missing=gettext("没有找到该任务，或不在您的管辖范围内"), error=MonitoringError
        )

    def retry(self, pk: int, *, by) -> str:
        from . import tasks  # cycle breaker: the task module runs the sweeps and cross-checks

        with transaction.atomic():
            row = self._row(pk, by)
            if row.status != self.model.Status.FAILED:
                return f"{row}当前为{row.get_status_display()}，无需重试"
            if isinstance(row, CrossCheck) and (row.purged_at or not row.file):
                raise MonitoringError(gettext("名单文件已按保留期限删除，请重新上传"))
            self.model.objects.filter(pk=pk).update(status=self.model.Status.QUEUED, message="")
            record(
                by=by,
                action=f"retry_{self.name}",
                target=row,
                scope_code=row.scope_code,
                changes={"status": [row.status, self.model.Status.QUEUED]},
            )
            task = getattr(tasks, self.task_name)
            transaction.on_commit(lambda: task.enqueue(pk))
        return f"{row}已重新加入后台队列"

    def cancel(self, pk: int, *, by) -> str:
        with transaction.atomic():
            row = self._row(pk, by)
            if row.status == self.model.Status.QUEUED:
                _fail(row, f"已由 {by.username} 取消。", by=by, action=f"cancel_{self.name}")
                return f"{row}已取消"
            if row.status != self.model.Status.RUNNING:
                return f"{row}已结束（{row.get_status_display()}），无需取消"
        if self.settle(pk, by=by):
            return f"{row}的进程已中断，已结束"
        raise MonitoringError(gettext("%(row)s正在运行，不能取消") % {"row": row})

    def items_for(self, user) -> list[work.WorkItem]:
        unfinished = (self.model.Status.QUEUED, self.model.Status.RUNNING, self.model.Status.FAILED)
        return [
            work.item(
                self.name,
                row,
                label=f"{self.title} {row}",
                url=reverse(self.url_name, args=[row.pk]),
                running=row.status == self.model.Status.RUNNING,
                failed=row.status == self.model.Status.FAILED,
                pending=row.status == self.model.Status.QUEUED,
                created_at=getattr(row, "created_at", None) or getattr(row, "uploaded_at", None),
            )
            for row in self.scoped(user).filter(status__in=unfinished).order_by("-pk")[:50]
        ]

    def kind(self) -> work.WorkKind:
        return work.WorkKind(
            name=self.name,
            title=self.title,
            items_for=self.items_for,
            recover=self.recover,
            retry=self.retry,
            cancel=self.cancel,
        )


SWEEPS = Watched(
    "sweep", Sweep, gettext_lazy("规则筛查"), "筛查", sweeps_for, "run_sweep_task", "monitoring:sweep_detail"
)
CROSS_CHECKS = Watched(
    "crosscheck",
    CrossCheck,
    gettext_lazy("部门数据比对"),
    "比对",
    cross_checks_for,
    "run_cross_check_task",
    "monitoring:check_detail",
)
KINDS = (SWEEPS.kind(), CROSS_CHECKS.kind())
