"""Every table to Excel (fupin.core.table_exports): the download a list page links to, and the user's own
large exports written in the background (我的导出), each with its progress and its file."""

import tempfile

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_safe

from . import crypto, export_files, sealed_files, table_exports
from .downloads import DOWNLOAD_TYPES
from .models import ExportFile

XLSX = DOWNLOAD_TYPES[".xlsx"]


def _filename(title: str) -> str:
    return f"{title}_{timezone.localdate():%Y%m%d}.xlsx"


@login_required
@require_GET
def export_start(request: HttpRequest, name: str) -> HttpResponseBase:
    """The table as its page shows it to this user (same GET parameters): written at once when small, else
    queued."""
    table = table_exports.table_named(name)
    rows = table.query(request.user, request.GET)
    revealed = False
    if request.GET.get("reveal"):
        if table.reveal is None:
            raise PermissionDenied(_("这张表没有可查看的完整信息"))
        revealed = table.reveal(request, rows)  # logged with its purpose, or refused
    total = table_exports.row_count(rows)
    if total > table_exports.BACKGROUND_ROWS:
        export = export_files.start(request.user, table, request.GET, revealed=revealed, total=total)
        return redirect("core:export_detail", export.pk)
    out = tempfile.TemporaryFile()
    table_exports.write(table, rows, out, revealed=revealed)
    out.seek(0)
    response = FileResponse(out, as_attachment=True, filename=_filename(str(table.title)), content_type=XLSX)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def export_list(request: HttpRequest) -> HttpResponse:
    exports = export_files.of_user(request.user)
    return render(
        request,
        "core/exports.html",
        {"exports": [(e, export_files.interrupted(e)) for e in exports], "hours": table_exports.EXPIRE_HOURS},
    )


def _context(export: ExportFile) -> dict:
    interrupted = export_files.interrupted(export)
    finished = interrupted or export.status in (ExportFile.Status.DONE, ExportFile.Status.FAILED)
    return {"export": export, "interrupted": interrupted, "finished": finished}


@login_required
@require_GET
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    export = export_files.get_for(request.user, pk)
    return render(request, "core/export.html", _context(export))


@login_required
@require_GET
def export_progress(request: HttpRequest, pk: int) -> HttpResponse:
    export = export_files.get_for(request.user, pk)
    return render(request, "core/export_progress.html", _context(export))


@login_required
@require_safe
def export_download(request: HttpRequest, pk: int) -> FileResponse:
    """The finished file, to its requester alone (anyone else, and an expired file: 404)."""
    export = export_files.get_for(request.user, pk)
    path = export_files.file_path(export)
    try:
        handle = sealed_files.open_path(path)
    except (OSError, crypto.CryptoError):
        raise Http404(_("导出文件不存在或已过期")) from None
    response = FileResponse(
        handle, as_attachment=True, filename=f"{export.title}_{export.created:%Y%m%d}.xlsx", content_type=XLSX
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
