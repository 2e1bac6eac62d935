"""Retention beyond the department lists (issue 17, item 4), run daily by `fupin purge-expired`: the access
log (fupin.audit.retention: expired in place, the chain kept verifiable) and the files backing decided change
requests (FUPIN_EVIDENCE_RETENTION_DAYS after the decision; unset keeps them: a county decides how long its
archive law asks). The change request, its history and each file's name, type and size stay; the file itself
goes.

Photos follow the same rule (FUPIN_PHOTO_RETENTION_DAYS, unset keeps them): a helper's visit photos that many
days after the visit, a declaration's photos that many days after it was received once it is closed (an open
one keeps its evidence); the photo goes with its row, the visit and the declaration stay. Uploaded import
files hold a registry's ID numbers, phones and bank accounts: a finished job's file is deleted when the job
ends (fupin.registry.importing.jobs.discard_upload) and here if a process died before; a failed job's file,
kept for a retry, FUPIN_IMPORT_FILE_RETENTION_DAYS (default 30) after it failed."""

import datetime
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from fupin.assistance.models import VisitPhoto
from fupin.audit import services as audit
from fupin.audit.retention import expire_access_log
from fupin.changes.models import ChangeStatus, Evidence
from fupin.declarations.models import OPEN_STATUSES, Photo
from fupin.registry.models import ImportJob, ImportStatus

__all__ = ["expire_access_log", "purge_change_evidence", "purge_import_files", "purge_photos"]

IMPORT_FILE_DAYS = 30


def evidence_days() -> int | None:
    return getattr(settings, "FUPIN_EVIDENCE_RETENTION_DAYS", None)


@transaction.atomic
def purge_change_evidence(*, now: datetime.datetime | None = None, days: int | None = None) -> int:
    """Delete the files of change requests approved or withdrawn more than `days` ago; the number deleted."""
    days = evidence_days() if days is None else days
    if days is None:
        return 0
    before = (now or timezone.now()) - datetime.timedelta(days=days)
    old = (
        Evidence.objects.filter(
            change_request__status__in=[ChangeStatus.APPROVED, ChangeStatus.WITHDRAWN],
            change_request__decided_at__lt=before,
        )
        .exclude(file="")
        .select_related("change_request__household")
    )
    by_county: dict[str, list[int]] = defaultdict(list)
    count = 0
    for item in old:
        item.file.delete(save=False)
        Evidence.objects.filter(pk=item.pk).update(file="")
        household = item.change_request.household
        by_county[household.village_id if household else ""].append(item.pk)
        count += 1
    audit.record_many(
        [
            audit.entry(
                by=None,
                action="purge_change_evidence",
                target_type="retention",
                target_id=code[:6],
                target_label="变更申请佐证材料到期删除",
                scope_code=code,
                changes={"evidence": ids, "before": before.isoformat()},
            )
            for code, ids in sorted(by_county.items())
        ]
    )
    return count


def _audit_by_county(
    action: str, label: str, key: str, by_county: dict[str, list[int]], before: object
) -> None:
    audit.record_many(
        [
            audit.entry(
                by=None,
                action=action,
                target_type="retention",
                target_id=code[:6],
                target_label=label,
                scope_code=code,
                changes={key: ids, "before": str(before)},
            )
            for code, ids in sorted(by_county.items())
        ]
    )


@transaction.atomic
def purge_photos(*, now: datetime.datetime | None = None, days: int | None = None) -> int:
    """Delete visit photos and closed declarations' photos older than `days`; the number deleted."""
    days = getattr(settings, "FUPIN_PHOTO_RETENTION_DAYS", None) if days is None else days
    if days is None:
        return 0
    before = (now or timezone.now()) - datetime.timedelta(days=days)
    visits = VisitPhoto.objects.filter(visit__visited_on__lt=before.date()).select_related("visit__household")
    declared = Photo.objects.filter(declaration__received_at__lt=before).exclude(
        declaration__status__in=OPEN_STATUSES
    )
    by_county: dict[str, list[int]] = defaultdict(list)
    for photo in visits:
        photo.image.delete(save=False)
        by_county[photo.visit.household.village_id].append(photo.pk)
    declared_by_county: dict[str, list[int]] = defaultdict(list)
    for d_photo in declared.select_related("declaration"):
        d_photo.image.delete(save=False)
        declared_by_county[d_photo.declaration.village_id].append(d_photo.pk)
    VisitPhoto.objects.filter(pk__in=[p for ids in by_county.values() for p in ids]).delete()
    Photo.objects.filter(pk__in=[p for ids in declared_by_county.values() for p in ids]).delete()
    _audit_by_county("purge_visit_photos", "走访照片到期删除", "photos", by_county, before.isoformat())
    _audit_by_county(
        "purge_declaration_photos", "申报照片到期删除", "photos", declared_by_county, before.isoformat()
    )
    return sum(map(len, by_county.values())) + sum(map(len, declared_by_county.values()))


@transaction.atomic
def purge_import_files(*, now: datetime.datetime | None = None, days: int | None = None) -> int:
    """Delete the uploaded files of finished import jobs, and of failed ones older than `days`; the number
    deleted."""
    days = getattr(settings, "FUPIN_IMPORT_FILE_RETENTION_DAYS", IMPORT_FILE_DAYS) if days is None else days
    before = (now or timezone.now()) - datetime.timedelta(days=days)
    finished = ImportJob.objects.filter(status__in=[ImportStatus.DONE, ImportStatus.REJECTED])
    failed = ImportJob.objects.filter(status=ImportStatus.FAILED, finished_at__lt=before)
    by_county: dict[str, list[int]] = defaultdict(list)
    for job in (finished | failed).exclude(file=""):
        job.file.delete(save=False)
        by_county[job.scope_code].append(job.pk)
    ImportJob.objects.filter(pk__in=[p for ids in by_county.values() for p in ids]).update(file="")
    _audit_by_county("purge_import_files", "导入原文件到期删除", "jobs", by_county, before.isoformat())
    return sum(map(len, by_county.values()))
