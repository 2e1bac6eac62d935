"""SQLite writes an import chunk by chunk (issue 16, finding 12): each chunk commits with its audit entries
and the job's commit record, a file with an error still writes nothing, and a file found wrong only half-way
through the write pass (someone changed the registry after it was validated) says how far it was written;
importing it again completes it."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from fupin.audit.models import AuditEntry
from fupin.registry import codes, services
from fupin.registry.importing import jobs
from fupin.registry.models import Household, ImportCommit, ImportJob, ImportStatus
from tests import factories
from tests.registry.import_files import household, many_households, write_csv

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite writes a file chunk by chunk"),
]

COUNT = 150  # about 375 rows: two chunks


@pytest.fixture
def county():
    factories.make_tree()
    return factories.make_user("county", "county", factories.VILLAGE[:6])


def _import(path) -> ImportJob:
    """`fupin import` of the file; the job it leaves (the command fails on a job not done)."""
    try:
        call_command("import", str(path), "--user", "county")
    except CommandError:
        pass
    return ImportJob.objects.latest("pk")


def test_a_file_in_several_chunks_is_written_whole_with_one_complete_commit_record(tmp_path, county):
    rows = many_households(COUNT)
    job = _import(write_csv(tmp_path / "many.csv", rows))
    assert job.status == ImportStatus.DONE, job.message
    commit = ImportCommit.objects.get(job=job)
    assert commit.complete and commit.rows == len(rows) and commit.chunks == -(-len(rows) // 200)
    assert Household.objects.count() == COUNT
    assert AuditEntry.objects.filter(action="import_create").count() == COUNT


def test_a_file_with_an_error_in_its_last_chunk_writes_nothing(tmp_path, county):
    rows = many_households(COUNT) + household("坏户", 家庭人口数="9")
    job = _import(write_csv(tmp_path / "bad.csv", rows))
    assert job.status == ImportStatus.REJECTED and "未导入任何数据" in job.message
    assert Household.objects.count() == 0 and not ImportCommit.objects.exists()


def test_a_registry_change_after_validation_leaves_the_file_partly_written_and_a_rerun_completes_it(
    tmp_path, county, monkeypatch
):
    rows = many_households(COUNT)
    path = write_csv(tmp_path / "many.csv", rows)
    other = factories.make_household(
        village=factories.SIBLING_VILLAGE, head="李四", status=codes.HouseholdStatus.APPLICANT
    )
    last_child = rows[-1]["证件号码"]  # in the second chunk
    original = jobs.JobProgress.__call__
    changed = []

    def progress(self, step, done, total):
        original(self, step, done, total)
        if step == "importing" and done and not changed:  # inside the first chunk's transaction
            changed.append(done)
            services.add_member(
                other,
                by=factories.admin_user(),
                name="李小四",
                id_number=last_child,
                relation=codes.Relation.SON,
            )

    monkeypatch.setattr(jobs.JobProgress, "__call__", progress)
    job = _import(path)
    assert changed
    commit = ImportCommit.objects.get(job=job)
    assert not commit.complete and commit.chunks == 1 and commit.rows == changed[0] < len(rows)
    written = Household.objects.exclude(pk=other.pk).count()
    assert 0 < written < COUNT
    assert AuditEntry.objects.filter(action="import_create").count() == written  # each chunk with its entries
    assert job.status == ImportStatus.FAILED
    assert f"已写入前 {commit.rows} 行" in job.message and "其余未写入" in job.message, job.message
    assert job.households_created == written

    monkeypatch.setattr(jobs.JobProgress, "__call__", original)
    services.remove_member(other.members.get(id_number=last_child), by=factories.admin_user(), reason="重复")
    again = _import(path)
    assert again.status == ImportStatus.DONE, again.message
    assert again.households_created == COUNT - written  # the chunk written before is not written twice
    assert Household.objects.exclude(pk=other.pk).count() == COUNT
    assert ImportCommit.objects.get(job=again).complete
