"""Serving a stored file (evidence, visit photos, import files and error reports, handbook ZIPs) to a reader
the view has already checked against the record the file belongs to. Nothing under MEDIA_ROOT is served any
other way.

The type sent is the file's true one: an image or a PDF is recognised by its first bytes, whatever its name
says; any other file is a download (attachment) of the type its stored name gives, among the few fupin makes,
or an opaque octet-stream. The browser may not sniff another type (nosniff), and the response is a sandbox
with no sources of its own, so a file that holds HTML or script cannot run on fupin's origin. Only images are
shown inline: a PDF is a download too (browsers refuse to show one inside a sandbox, and a PDF viewer on the
origin is script of its own).
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from pathlib import PurePath
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext
from django.views.decorators.http import require_safe

from .crypto import CryptoError

IMAGE_MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))
PDF_MAGIC = b"%PDF-"
DOWNLOAD_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".csv": "text/csv; charset=utf-8",
    ".zip": "application/zip",
}
OPAQUE = "application/octet-stream"
SANDBOX = "sandbox; default-src 'none'"


def true_type(head: bytes, name: str) -> tuple[str, bool]:
    """(Content-Type, shown inline) of a stored file from its first bytes and stored name."""
    for magic, content_type in IMAGE_MAGIC:
        if head.startswith(magic):
            return content_type, True
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp", True
    if head.startswith(PDF_MAGIC):
        return "application/pdf", False
    return DOWNLOAD_TYPES.get(PurePath(name).suffix.lower(), OPAQUE), False


def stored_file_response(
    field_file: FieldFile, *, filename: str = "", attachment: bool = False
) -> FileResponse:
    """The stored file as a response, named `filename` (default: its stored name; the stored name's extension
    is added to a filename without one); 404 when there is no such file. `attachment`: always a download, even
    an image (evidence: minutes, photos of a posted notice, are kept by the reader, not viewed in the tab)."""
    if not field_file:
        raise Http404(gettext("文件不存在"))
    try:
        handle = field_file.open("rb")
        head = handle.read(
            16
        )  # a sealed file's first chunk opened: a wrong key or an altered file fails here
        handle.seek(0)
    except (FileNotFoundError, OSError, CryptoError):
        raise Http404(gettext("文件不存在")) from None
    content_type, inline = true_type(head, field_file.name or "")
    stored = PurePath(field_file.name or "")
    filename = PurePath(filename).name if filename else stored.name
    if not PurePath(filename).suffix:
        filename += stored.suffix
    response = FileResponse(
        handle, content_type=content_type, as_attachment=attachment or not inline, filename=filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    return response


def file_view(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A view that answers with a stored file: GET or HEAD only, and a 404 to whoever may not read it — the
    anonymous and users outside the record's scope alike, so a file's address tells nobody whether it
    exists."""

    @require_safe
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            raise Http404(gettext("文件不存在"))
        try:
            return view(request, *args, **kwargs)
        except (PermissionDenied, ObjectDoesNotExist, ValueError):
            raise Http404(gettext("文件不存在或不在您的管辖范围内")) from None

    return wrapped


def download(content: bytes, filename: str, *, inline: bool = False) -> FileResponse:
    """Bytes fupin has just made (an export, an import template, a handbook, a notice) as a file named
    `filename`: a download unless `inline`, of the type its extension gives. Django writes the name into
    Content-Disposition (RFC 6266, so a Chinese name arrives intact)."""
    content_type = {**DOWNLOAD_TYPES, ".pdf": "application/pdf"}.get(
        PurePath(filename).suffix.lower(), OPAQUE
    )
    return FileResponse(
        io.BytesIO(content), as_attachment=not inline, filename=filename, content_type=content_type
    )
