"""Photos people upload (visit photos): judged by their content, re-encoded, stripped of metadata.

A file is kept only if Pillow reads it as a JPEG, PNG or WebP image of at most `max_pixels`
(checked from its header, before anything is decoded: a decompression bomb never reaches memory).
What is stored is a fresh JPEG of the decoded pixels, turned upright by its EXIF orientation and
with no metadata at all (no EXIF, so no GPS position, camera serial or capture time; the visit
record says where and when). Whatever the upload carried besides pixels (a script, an HTML page
appended to the image, a polyglot file) does not survive.
"""

from __future__ import annotations

import io
import uuid
import warnings

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.utils.translation import gettext

FORMATS = {"JPEG", "PNG", "WEBP", "MPO"}  # MPO: a phone's JPEG with a second frame
MAX_SIDE = 4096  # larger photos are scaled down: plenty for a visit record
JPEG_QUALITY = 85


class ImageRefused(ValueError):
    """The upload is not an acceptable image; the message says why, in Chinese."""


def max_pixels() -> int:
    return int(getattr(settings, "FUPIN_PHOTO_MAX_PIXELS", 50_000_000))


def clean_photo(upload: File, *, max_bytes: int, name: str = "") -> ContentFile:
    """A re-encoded JPEG of the uploaded image, ready to store; ImageRefused otherwise."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    shown = name or getattr(upload, "name", "") or "照片"
    if getattr(upload, "size", 0) > max_bytes:
        raise ImageRefused(
            gettext("照片“%(shown)s”超过%(max_bytes)sMB")
            % {"shown": shown, "max_bytes": max_bytes // (1024 * 1024)}
        )
    limit = max_pixels()
    bad = f"“{shown}”不是有效的图片文件（支持 JPG、PNG）"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            upload.seek(0)
            with Image.open(upload) as img:
                if img.format not in FORMATS:
                    raise ImageRefused(bad)
                if img.width * img.height > limit:
                    raise ImageRefused(
                        gettext("照片“%(shown)s”有%(width)s×%(height)s像素，超过上限%(_000_000)s百万像素")
                        % {
                            "shown": shown,
                            "width": img.width,
                            "height": img.height,
                            "_000_000": limit // 1_000_000,
                        }
                    )
                img.verify()
            upload.seek(0)
            with Image.open(upload) as opened:
                opened.load()
                picture: Image.Image = ImageOps.exif_transpose(opened)
                if picture.mode not in ("RGB", "L"):
                    rgba = picture.convert("RGBA")
                    picture = Image.new("RGB", rgba.size, (255, 255, 255))
                    picture.paste(rgba, mask=rgba.getchannel("A"))
                picture.thumbnail((MAX_SIDE, MAX_SIDE))
                out = io.BytesIO()
                picture.save(
                    out, "JPEG", quality=JPEG_QUALITY, optimize=True
                )  # no exif=, no icc_profile=: nothing carried over
    except ImageRefused:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        TypeError,
        EOFError,
        MemoryError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        raise ImageRefused(bad) from None
    finally:
        upload.seek(0)
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.jpg")
