"""Evidence files people upload (change requests, risk elimination, rectification, look-back checks): a JPEG,
PNG or PDF judged by its content, never its name, and stored under a random name of its true type."""

from __future__ import annotations

import re
import uuid
from pathlib import PurePath

from django.core.files import File

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel photo; larger images are refused before they are decoded
KINDS = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png")}
ACCEPTED = "JPG、PNG、PDF"


class EvidenceRefused(ValueError):
    """An upload that may not be kept as evidence; the message says why, in Chinese."""


def sniff(upload: File) -> tuple[str, str] | None:
    """(content type, extension) of an image or PDF upload, from its bytes; None when it is neither."""
    upload.seek(0)
    head = upload.read(5)
    upload.seek(0)
    if head == b"%PDF-":
        upload.seek(max(upload.size - 1024, 0))
        tail = upload.read()
        upload.seek(0)
        return ("application/pdf", ".pdf") if b"%%EOF" in tail else None
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(upload) as img:
            if img.format not in KINDS or img.width * img.height > MAX_PIXELS:
                return None
            img.verify()
            kind = KINDS[img.format]
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None
    finally:
        upload.seek(0)
    return kind


def refusal(upload: File) -> str:
    """Why `upload` may not be kept as evidence (a Chinese message), or '' when it may."""
    shown = getattr(upload, "name", "") or "文件"
    if upload.size > MAX_BYTES:
        return f"“{shown}”超过{MAX_BYTES // (1024 * 1024)}MB"
    if sniff(upload) is None:
        return f"“{shown}”不是有效的图片或 PDF 文件（支持 {ACCEPTED}）"
    return ""


def random_name(extension: str) -> str:
    """A stored file's name that says its type and nothing else: not guessable, not the uploader's."""
    return f"{uuid.uuid4().hex}{extension}"


def stored_name(uploaded_name: str) -> str:
    """A random name keeping the uploaded name's extension when it is a plain one, for files kept whatever
    their type (procedure minutes, application forms): they are served by the type their content shows
    (`fupin.core.downloads`)."""
    extension = PurePath(uploaded_name or "").suffix.lower()
    return random_name(extension if re.fullmatch(r"\.[a-z0-9]{1,8}", extension) else "")


def accept(upload: File) -> File:
    """The upload, renamed to a random name of its true type, ready for FieldFile.save; EvidenceRefused
    otherwise."""
    reason = refusal(upload)
    if reason:
        raise EvidenceRefused(reason)
    _, extension = sniff(upload) or ("", "")
    upload.name = random_name(extension)
    return upload
