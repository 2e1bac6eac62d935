"""Evidence files for change requests: up to MAX_FILES JPEG, PNG or PDF files, checked by
`fupin.core.evidence`."""

from pathlib import PurePath

from django.utils.translation import gettext

from fupin.core.evidence import accept, refusal, sniff

from .models import Evidence

MAX_FILES = 5


def check_files(files, *, existing: int = 0) -> dict:
    """{field: Chinese message} for uploads that may not be kept; empty when all may."""
    if existing + len(files) > MAX_FILES:
        return {"evidence": gettext("每项申请最多%(n)s个佐证材料文件") % {"n": MAX_FILES}}
    for upload in files:
        reason = refusal(upload)
        if reason:
            return {"evidence": reason}
    return {}


def save_files(request, files, *, by) -> list[str]:
    names = []
    for upload in files:
        content_type, _ = sniff(upload)
        name = PurePath(upload.name or "").name[:150] or "evidence"
        accept(upload)  # stored under a random name of its true type, not the one it came with
        Evidence.objects.create(
            change_request=request,
            file=upload,
            name=name,
            content_type=content_type,
            size=upload.size,
            uploaded_by=by,
        )
        names.append(name)
    return names
