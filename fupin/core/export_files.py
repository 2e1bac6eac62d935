"""Large table exports written in the background (fupin.core.table_exports): starting one, writing it, finding
and serving it to its requester, and deleting it when it expires.

Who may ask is decided where the export starts (the table's `query` refuses as its page does, with the user's
own scope); the file then belongs to that user alone: every lookup here is by (user, pk), so another user, of
any role, meets a 404. While a file is written its writer holds the lease ("export", pk): a row marked running
whose lease nobody holds was left by a process that died, and reads as interrupted (the user starts it again).
"""

from __future__ import annotations

import datetime
import logging
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import Http404, QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext

from . import sealed_files, table_exports, work
from .models import ExportFile

FOLDER = "exports"
log = logging.getLogger("fupin.exports")


def _folder(user_id: int) -> Path:
    path = Path(settings.MEDIA_ROOT) / FOLDER / str(user_id)
    path.mkdir(parents=True, exist_ok=True)
    return path


def start(
    user: Any, table: table_exports.Table, params: QueryDict, *, revealed: bool, total: int
) -> ExportFile:
    """The export of `table` for `user` with these filters, queued for the task worker; the same export still
    queued or being written is answered instead of a second one (a double click, a second tab)."""
    from .tasks import write_export

    query = table_exports.export_url(table.name, params).partition("?")[2]
    now = timezone.now()
    with transaction.atomic():
        same = (
            ExportFile.objects.select_for_update()
            .filter(user=user, table=table.name, params=query, revealed=revealed)
            .filter(status__in=[ExportFile.Status.QUEUED, ExportFile.Status.RUNNING])
            .first()
        )
        if same is not None and not interrupted(same):
            return same
        export = ExportFile.objects.create(
            user=user,
            table=table.name,
            title=str(table.title)[:100],
            params=query,
            language=translation.get_language() or settings.LANGUAGE_CODE,
            revealed=revealed,
            rows_total=total,
            created=now,
            expires=now + datetime.timedelta(hours=table_exports.EXPIRE_HOURS),
        )
        transaction.on_commit(lambda: write_export.enqueue(export.pk))
    return export


def write(export_id: int) -> str:
    """Write the export's file (the task's work); its status when done."""
    export = ExportFile.objects.select_related("user").filter(pk=export_id).first()
    if export is None or export.status != ExportFile.Status.QUEUED:
        return export.status if export else "gone"
    lease = work.Lease("export", export.pk)
    if not lease.try_acquire():
        return "busy"
    try:
        with translation.override(export.language):
            _write_file(export)
    except Exception as e:  # noqa: BLE001 — any failure is the user's to see on the export's page
        log.exception("export %s failed", export.pk)
        ExportFile.objects.filter(pk=export.pk).update(
            status=ExportFile.Status.FAILED, error=str(e)[:500] or type(e).__name__, finished=timezone.now()
        )
        return ExportFile.Status.FAILED
    finally:
        lease.release()
    return ExportFile.Status.DONE


def _write_file(export: ExportFile) -> None:
    table = table_exports.table_named(export.table)
    ExportFile.objects.filter(pk=export.pk).update(status=ExportFile.Status.RUNNING)
    rows = table.query(export.user, QueryDict(export.params))
    total = table_exports.row_count(rows)
    ExportFile.objects.filter(pk=export.pk).update(rows_total=total)
    folder = _folder(export.user_id)
    final = folder / f"{export.pk}.xlsx"

    def progress(n: int) -> None:
        ExportFile.objects.filter(pk=export.pk).update(rows_done=n)

    # written plain to an unnamed temporary file, then sealed into the folder (fupin.core.sealed_files), whole
    # or absent: a reader never meets half a file
    with tempfile.TemporaryFile() as out:
        table_exports.write(table, rows, out, revealed=export.revealed, progress=progress)
        out.seek(0)
        sealed_files.write_sealed(final, out)
    ExportFile.objects.filter(pk=export.pk).update(
        status=ExportFile.Status.DONE,
        path=str(final.relative_to(settings.MEDIA_ROOT)),
        finished=timezone.now(),
    )


def interrupted(export: ExportFile) -> bool:
    """Marked as being written, but no live process is writing it (its writer died)."""
    return export.status == ExportFile.Status.RUNNING and not work.is_held("export", export.pk)


def of_user(user: Any) -> list[ExportFile]:
    """The user's own exports not yet expired, newest first."""
    return list(ExportFile.objects.filter(user=user, expires__gt=timezone.now())[:50])


def get_for(user: Any, pk: int) -> ExportFile:
    """The user's own export; 404 for anyone else's, and for one expired."""
    export = ExportFile.objects.filter(user=user, pk=pk, expires__gt=timezone.now()).first()
    if export is None:
        raise Http404(gettext("导出文件不存在或已过期"))
    return export


def file_path(export: ExportFile) -> Path:
    if export.status != ExportFile.Status.DONE or not export.path:
        raise Http404(gettext("导出文件尚未生成"))
    return Path(settings.MEDIA_ROOT) / export.path


def purge_expired(now: datetime.datetime | None = None) -> int:
    """Delete expired exports, files first (a row left by a crash between the two is deleted on the next
    run)."""
    now = now or timezone.now()
    expired = list(ExportFile.objects.filter(expires__lte=now).values_list("pk", "user_id", "path"))
    for _pk, user_id, path in expired:
        for name in (path, f"{FOLDER}/{user_id}/{_pk}.xlsx.part"):
            if name:
                (Path(settings.MEDIA_ROOT) / name).unlink(missing_ok=True)
    ExportFile.objects.filter(pk__in=[pk for pk, _u, _p in expired]).delete()
    return len(expired)
