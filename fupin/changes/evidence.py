"""Evidence files for change requests: JPEG, PNG or PDF, judged by their content, never their name."""
from pathlib import PurePath

MAX_FILES = 5
MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel photo; larger images are refused before they are decoded
KINDS = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png")}


def sniff(upload) -> tuple[str, str] | None:
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


def check_files(files, *, existing: int = 0) -> dict:
    """{field: Chinese message} for uploads that may not be kept; empty when all may."""
    if existing + len(files) > MAX_FILES:
        return {"evidence": f"每项申请最多{MAX_FILES}个佐证材料文件"}
    for upload in files:
        if upload.size > MAX_BYTES:
            return {"evidence": f"“{upload.name}”超过10MB"}
        if sniff(upload) is None:
            return {"evidence": f"“{upload.name}”不是有效的图片或 PDF 文件（支持 JPG、PNG、PDF）"}
    return {}


def save_files(request, files, *, by) -> list[str]:
    from .models import Evidence

    names = []
    for upload in files:
        content_type, extension = sniff(upload)
        name = PurePath(upload.name or "").name[:150] or "evidence"
        upload.name = f"evidence{extension}"  # stored under a name of its true type, not the one it came with
        Evidence.objects.create(change_request=request, file=upload, name=name, content_type=content_type,
                                size=upload.size, uploaded_by=by)
        names.append(name)
    return names
