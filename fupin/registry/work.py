"""Import jobs as watched background work (fupin.core.work): a job whose process died is settled by what its
data says (its ImportCommit), and an administrator retries or cancels it on the 后台任务 page."""

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from fupin.audit.services import record
from fupin.core import work
from fupin.core.errors import ServiceError

from .models import ImportCommit, ImportJob, ImportStatus

RUNNING = (ImportStatus.VALIDATING, ImportStatus.IMPORTING)
LISTED = (ImportStatus.PENDING, *RUNNING, ImportStatus.FAILED)


def import_jobs_for(user):
    """Import jobs the user may follow: their own, and those within their region."""
    prefix = user.scope_prefix
    if prefix is None:
        return ImportJob.objects.filter(user=user)
    return ImportJob.objects.filter(Q(user=user) | Q(scope_code__startswith=prefix))


def partly_written(job) -> str:
    """What of an unfinished job's file its committed chunks wrote, in a sentence; "" when nothing."""
    commit = ImportCommit.objects.filter(job_id=job.pk, complete=False).first()
    if commit is None:
        return ""
    return (
        f"文件前 {commit.rows} 行（{commit.chunks} 批）已于 "
        f"{timezone.localtime(commit.committed_at):%Y-%m-%d %H:%M:%S} 写入，其余未写入。"
        "重新导入同一文件（或在「后台任务」页重试）即可补全，已写入的户不会重复写入。"
    )


def _interrupted_message(job, committed: ImportCommit | None) -> str:
    if committed and not committed.complete:  # SQLite's chunks: those committed are in, the rest is not
        return f"导入进程在{job.get_status_display()}时中断。" + partly_written(job)
    if committed:
        return (
            "导入进程在记录结果前中断，"
            f"但数据已于 {timezone.localtime(committed.committed_at):%Y-%m-%d %H:%M:%S} "
            "完整写入。各项统计未能记录；重新导入同一文件可以核对，不会重复写入。"
        )
    stage = job.get_status_display()
    return (
        f"导入进程在{stage}时中断（已处理 {job.processed_rows}/{job.total_rows} 行），"
        "本次导入未写入任何数据。"
        "可在「后台任务」页重试，或重新上传文件。"
    )


def settle(pk: int, *, by=None) -> bool:
    """Settle job `pk` if it says 校验中/导入中 while nobody runs it: 已完成 if its data went in, else
    失败."""
    return work.settle_unheld("import", pk, lambda: _settle_job(pk, by))


@transaction.atomic
def _settle_job(pk: int, by) -> bool:
    job = ImportJob.objects.select_for_update().filter(pk=pk, status__in=RUNNING).first()
    if job is None:
        return False
    committed = ImportCommit.objects.filter(job_id=pk).first()
    before = job.status
    job.status = ImportStatus.DONE if committed and committed.complete else ImportStatus.FAILED
    job.message = _interrupted_message(job, committed)
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "message", "finished_at"])
    record(
        by=by,
        action="import_interrupted",
        target=job,
        scope_code=job.scope_code,
        changes={
            "status": [before, job.status],
            "data_committed": [None, bool(committed) and ("all" if committed.complete else committed.rows)],
        },
    )
    return True


def recover() -> int:
    """Every job whose process died, and every queued job whose task ended without running it."""
    queued = dict(
        ImportJob.objects.filter(status=ImportStatus.PENDING).exclude(task_id="").values_list("task_id", "pk")
    )
    running = ImportJob.objects.filter(status__in=RUNNING).values_list("pk", flat=True)
    return work.recover_kind("import", running, settle, queued, _fail_unstarted)


@transaction.atomic
def _fail_unstarted(pk: int) -> bool:
    if not ImportJob.objects.filter(pk=pk, status=ImportStatus.PENDING).update(
        status=ImportStatus.FAILED,
        finished_at=timezone.now(),
        message="后台任务进程未能开始这次导入（任务已中断），未写入任何数据。可在「后台任务」页重试。",
    ):
        return False
    job = ImportJob.objects.get(pk=pk)
    record(
        by=None,
        action="import_interrupted",
        target=job,
        scope_code=job.scope_code,
        changes={"status": [ImportStatus.PENDING, ImportStatus.FAILED]},
    )
    return True


def _job(pk: int, by) -> ImportJob:
    return work.managed(
        by,
        import_jobs_for(by).select_for_update(),
        pk,
        missing=gettext("没有找到该导入任务，或不在您的管辖范围内"),
    )


def retry(pk: int, *, by) -> str:
    """Queue a failed job again (its file is kept); twice at once queues it once."""
    from .tasks import (
        run_import,  # the task module imports the importer, which this module's users need not load
    )

    with transaction.atomic():
        job = _job(pk, by)
        if job.status != ImportStatus.FAILED:
            return f"「{job.original_name}」当前为{job.get_status_display()}，无需重试"
        if not job.file:
            return f"「{job.original_name}」的原文件已按保留期限删除，请重新上传"
        ImportCommit.objects.filter(job_id=pk).delete()  # the new run leaves its own
        ImportJob.objects.filter(pk=pk).update(
            status=ImportStatus.PENDING,
            message="",
            finished_at=None,
            processed_rows=0,
            total_rows=0,
            error_rows=0,
            households_created=0,
            households_updated=0,
            members_created=0,
            members_updated=0,
            unchanged_rows=0,
            task_id="",
        )
        record(
            by=by,
            action="retry_import",
            target=job,
            scope_code=job.scope_code,
            changes={"status": [job.status, ImportStatus.PENDING]},
        )
    result = run_import.enqueue(pk)
    ImportJob.objects.filter(pk=pk, task_id="").update(task_id=str(result.id)[:64])
    return f"「{job.original_name}」已重新加入后台队列"


def cancel(pk: int, *, by) -> str:
    """A queued job is not run; an interrupted one is settled; a running one is left alone."""
    with transaction.atomic():
        job = _job(pk, by)
        if job.status == ImportStatus.PENDING:
            job.status, job.finished_at = ImportStatus.FAILED, timezone.now()
            job.message = f"已由 {by.username} 取消，未写入任何数据。"
            job.save(update_fields=["status", "finished_at", "message"])
            record(
                by=by,
                action="cancel_import",
                target=job,
                scope_code=job.scope_code,
                changes={"status": [ImportStatus.PENDING, ImportStatus.FAILED]},
            )
            return f"「{job.original_name}」已取消"
        if job.status not in RUNNING:
            return f"「{job.original_name}」已结束（{job.get_status_display()}），无需取消"
    if settle(pk, by=by):
        return f"「{job.original_name}」的导入进程已中断，已按数据的实际情况结束该任务"
    raise ServiceError(
        gettext("「%(original_name)s」正在运行，不能取消") % {"original_name": job.original_name}
    )


def items_for(user) -> list[work.WorkItem]:
    jobs = import_jobs_for(user).filter(status__in=LISTED).select_related("user").order_by("-created_at")[:50]
    return [
        work.item(
            "import",
            job,
            label=f"导入 {job.original_name}（{job.user.username}）",
            url=reverse("registry:import_detail", args=[job.pk]),
            running=job.status in RUNNING,
            failed=job.status == ImportStatus.FAILED,
            pending=job.status == ImportStatus.PENDING,
            created_at=job.created_at,
        )
        for job in jobs
    ]


KIND = work.WorkKind(
    name="import",
    title=gettext_lazy("数据导入"),
    items_for=items_for,
    recover=recover,
    retry=retry,
    cancel=cancel,
)
