"""Files holding personal data do not outlive their use (issue 17, items 3 and 4): an import's uploaded file
is deleted once the job is finished (a failed job's kept for a retry, until its retention ends); visit photos
and a closed declaration's photos are deleted by `fupin purge-expired` after FUPIN_PHOTO_RETENTION_DAYS,
audited."""

import datetime
import io
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone

from fupin.access import retention
from fupin.assistance import roster
from fupin.assistance.models import Visit, VisitPhoto
from fupin.audit.models import AuditEntry
from fupin.declarations.models import Photo, Status
from fupin.registry import imports, work
from fupin.registry.models import ImportJob, ImportStatus
from tests import factories
from tests.declarations.conftest import _send_at_once, declare, outbox  # noqa: F401  (fixtures)
from tests.registry.import_files import household, write_csv

pytestmark = pytest.mark.django_db
LONG_AGO = timezone.now() - datetime.timedelta(days=400)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def job_for(users, tmp_path, rows) -> ImportJob:
    path = write_csv(tmp_path / "h.csv", rows)
    job = ImportJob(user=users["county"], scope_code=factories.VILLAGE, original_name="h.csv")
    job.file.save("h.csv", io.BytesIO(path.read_bytes()), save=True)
    return job


@pytest.mark.parametrize("valid", [True, False])
def test_a_finished_imports_upload_is_deleted(users, tmp_path, valid):
    rows = household("王大山")
    if not valid:
        rows[1]["性别"] = "女"  # rejected: the error report (masked) stays, the upload goes
    job = job_for(users, tmp_path, rows)
    stored = Path(job.file.path)
    imports.process_job(job)
    job.refresh_from_db()
    assert job.status == (ImportStatus.DONE if valid else ImportStatus.REJECTED)
    assert not stored.exists() and job.file.name == ""
    assert valid or job.error_file


def test_a_failed_imports_upload_is_kept_for_a_retry_until_its_retention_ends(users, tmp_path):
    job = job_for(users, tmp_path, household("王大山"))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.FAILED, finished_at=timezone.now())
    stored = Path(job.file.path)
    assert retention.purge_import_files() == 0 and stored.exists()
    ImportJob.objects.filter(pk=job.pk).update(finished_at=LONG_AGO)
    assert retention.purge_import_files() == 1 and not stored.exists()
    assert ImportJob.objects.get(pk=job.pk).file.name == ""
    entry = AuditEntry.objects.get(action="purge_import_files")
    assert entry.changes["jobs"] == [job.pk] and entry.scope_code == factories.VILLAGE
    assert "已按保留期限删除" in work.retry(job.pk, by=users["county"])
    assert ImportJob.objects.get(pk=job.pk).status == ImportStatus.FAILED


def test_a_finished_job_left_with_its_file_by_a_dead_process_is_cleaned(users, tmp_path):
    job = job_for(users, tmp_path, household("王大山"))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.DONE, finished_at=timezone.now())
    assert retention.purge_import_files() == 1 and not Path(job.file.path).exists()


@pytest.fixture
def photos(users, outbox):  # noqa: F811  (the imported fixture)
    home = factories.make_household()
    unit = roster.create_unit(by=users["county"], name="农业农村局", region_code=factories.VILLAGE[:6])
    helper = roster.create_helper(
        by=users["county"], unit=unit, name="王建国", phone="13907970001", region_code=factories.VILLAGE[:6]
    )
    seen = {"household": home, "helper": helper, "findings": "正常", "recorded_by": users["county"]}
    visit = Visit.objects.create(visited_on=(LONG_AGO - datetime.timedelta(days=1)).date(), **seen)
    recent = Visit.objects.create(visited_on=timezone.localdate(), **seen)
    old_visit = VisitPhoto.objects.create(visit=visit, image=ContentFile(b"jpeg", name="a.jpg"))
    new_visit = VisitPhoto.objects.create(visit=recent, image=ContentFile(b"jpeg", name="b.jpg"))
    closed, open_ = declare(outbox=outbox), declare(outbox=outbox, phone="13800138001")
    closed.__class__.objects.filter(pk__in=[closed.pk, open_.pk]).update(received_at=LONG_AGO)
    closed.__class__.objects.filter(pk=closed.pk).update(status=Status.REJECTED)
    old_closed = Photo.objects.create(declaration=closed, image=ContentFile(b"jpeg", name="c.jpg"))
    old_open = Photo.objects.create(declaration=open_, image=ContentFile(b"jpeg", name="d.jpg"))
    return {"gone": [old_visit, old_closed], "kept": [new_visit, old_open]}


def test_photos_past_their_retention_are_deleted_with_their_files(photos, settings):
    paths = {p.pk: Path(p.image.path) for group in photos.values() for p in group}
    settings.FUPIN_PHOTO_RETENTION_DAYS = None
    assert retention.purge_photos() == 0 and all(p.exists() for p in paths.values())
    settings.FUPIN_PHOTO_RETENTION_DAYS = 365
    out = StringIO()
    call_command("purge_expired", stdout=out)
    assert "2 张到期的走访和申报照片" in out.getvalue()
    old_visit, old_closed = photos["gone"]
    assert not VisitPhoto.objects.filter(pk=old_visit.pk).exists()
    assert not Photo.objects.filter(pk=old_closed.pk).exists()
    assert not paths[old_visit.pk].exists() and not paths[old_closed.pk].exists()
    for kept in photos["kept"]:
        assert kept.__class__.objects.filter(pk=kept.pk).exists() and paths[kept.pk].exists()
    assert AuditEntry.objects.filter(action="purge_visit_photos").get().changes["photos"] == [old_visit.pk]
    assert AuditEntry.objects.filter(action="purge_declaration_photos").get().changes["photos"] == [
        old_closed.pk
    ]
