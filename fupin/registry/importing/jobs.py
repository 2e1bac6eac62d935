"""Running an ImportJob, the background task's and `fupin import`'s way in: progress recorded where other
sessions see it, the outcome and the error report kept on the job.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from pathlib import Path

from django.db import connection
from django.utils import timezone

from fupin.core import files, work
from fupin.core.files import local_path

from ..work import partly_written
from .columns import ImportRejected
from .report import ImportResult, write_error_report
from .rows import import_file

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------
# Running an ImportJob (the background task and `fupin import` both come here)


class JobProgress:
    """Records an import's progress on its ImportJob where other sessions can see it.

    Inside the import's own transaction the row is updated through a second connection on
    PostgreSQL; SQLite admits one writer, so there it is updated on the import's connection: in the
    write pass it commits with each chunk (rows.Importer._run_chunks).
    """

    INTERVAL = 0.5  # seconds between updates

    def __init__(self, job, echo: Callable[[str, int, int], None] | None = None):
        from django.db import DEFAULT_DB_ALIAS, connections

        self.job = job
        self.echo = echo
        self.last = 0.0
        self.side = None
        if connection.vendor == "postgresql":
            self.side = connections.create_connection(DEFAULT_DB_ALIAS)

    def __call__(self, stage: str, done: int, total: int) -> None:
        import time

        if self.echo:
            self.echo(stage, done, total)
        now = time.monotonic()
        if now - self.last < self.INTERVAL and done < total:
            return
        self.last = now
        from ..models import ImportJob, ImportStatus

        status = ImportStatus.IMPORTING if stage == "importing" else ImportStatus.VALIDATING
        self.job.status, self.job.processed_rows, self.job.total_rows = status, done, total
        if not connection.in_atomic_block or connection.vendor == "sqlite":
            ImportJob.objects.filter(pk=self.job.pk).update(
                status=status, processed_rows=done, total_rows=total
            )
        elif self.side is not None:
            with self.side.cursor() as cursor:
                cursor.execute(
                    f'UPDATE "{ImportJob._meta.db_table}" '
                    "SET status = %s, processed_rows = %s, total_rows = %s "
                    "WHERE id = %s",
                    [status, done, total, self.job.pk],
                )

    def close(self) -> None:
        if self.side is not None:
            self.side.close()


def _database_problem(error) -> str:
    """What went wrong in the database, in Chinese (the class name and the driver's text are in the log)."""
    from django.db import DataError, OperationalError

    if isinstance(error, DataError):
        return "有数值超出了数据库允许的范围"
    if isinstance(error, OperationalError):
        return "数据库暂时无法访问或正忙"
    return "数据库拒绝了写入"


def process_job(job, *, echo=None, limits: files.Limits | None = None) -> ImportResult | None:
    """Import the job's file, recording progress, the outcome and the error report on the job."""
    from ..models import ImportCommit

    # held until the outcome is saved: a job that says 校验中/导入中 with nobody holding its lease was
    # interrupted (fupin.registry.work settles it, telling from its ImportCommit whether its data went in)
    lease = work.Lease("import", job.pk).acquire(wait=10)

    def mark(*, rows: int = 0, chunks: int = 1, complete: bool = True) -> None:
        """In the committing transaction (of each chunk on SQLite): what of the file is in the registry."""
        ImportCommit.objects.update_or_create(
            job_id=job.pk,
            defaults={"committed_at": timezone.now(), "rows": rows, "chunks": chunks, "complete": complete},
        )

    try:
        return _process(job, echo, limits, mark)
    finally:
        lease.release()


def _written(job, advice: str) -> str:
    """What a failed job's data is, then the advice."""
    return (partly_written(job) or "本次导入未写入任何数据。") + advice


def _process(job, echo, limits, commit_marker) -> ImportResult | None:
    from django.core.files.base import ContentFile
    from django.db import DatabaseError, IntegrityError

    from ..models import ImportStatus

    progress = JobProgress(job, echo)
    result = None
    try:
        with local_path(job.file) as path:
            result = import_file(
                path,
                user=job.user,
                scope_code=job.scope_code,
                only_valid_rows=job.only_valid_rows,
                name=job.original_name,
                progress=progress,
                limits=limits,
                commit_marker=commit_marker,
            )
    except ImportRejected as e:
        job.status, job.message = ImportStatus.REJECTED, str(e)
    except IntegrityError as e:
        log.warning("import %s: conflicting change: %s", job.pk, e)
        job.status = ImportStatus.FAILED
        job.message = "导入期间有人修改了相同的户或成员，" + _written(job, "请重新导入。")
    except DatabaseError as e:
        log.exception("import %s failed", job.pk)
        job.status = ImportStatus.FAILED
        job.message = f"数据库错误（{_database_problem(e)}），" + _written(job, "请联系管理员。")
    except Exception:
        log.exception("import %s failed", job.pk)
        job.status = ImportStatus.FAILED
        job.message = "系统错误，" + _written(job, "请联系管理员。")
    finally:
        progress.close()
    if result is not None:
        job.status = ImportStatus.DONE if result.imported else ImportStatus.REJECTED
        if (
            not result.imported and result.committed_rows
        ):  # partly written: to complete, retried or reimported
            job.status = ImportStatus.FAILED
        job.message = result.summary()
        job.total_rows = job.processed_rows = result.total_rows
        job.error_rows = result.error_rows
        job.households_created, job.households_updated = result.households_created, result.households_updated
        job.members_created, job.members_updated = result.members_created, result.members_updated
        job.unchanged_rows = result.unchanged_rows
        if result.errors:
            out = io.BytesIO()
            extension = write_error_report(result.errors, out)
            job.error_file.save(
                f"{Path(job.original_name).stem}_错误报告{extension}", ContentFile(out.getvalue()), save=False
            )
    job.finished_at = timezone.now()
    job.save()
    if job.status in (ImportStatus.DONE, ImportStatus.REJECTED):
        discard_upload(job)
    return result


def discard_upload(job) -> None:
    """Delete a finished job's uploaded file (issue 17: a file of ID numbers, phones and bank accounts does
    not stay on disk once processed; the error report is masked). A failed job keeps its file for a retry,
    until the retention rule (fupin.access.retention.purge_import_files) deletes it; a process that dies
    before this leaves the file to that rule too. Called after the job's outcome is saved, so a job never
    points to nothing to redo."""
    from ..models import ImportJob

    if job.file:
        job.file.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(file="")
