"""The 后台任务 page and the 后台任务未运行 warning (issue 16, findings 1 and 2): county offices see and
handle their county's stuck or failed work, system administrators everyone's, nobody else anything."""

import pytest
from django.urls import reverse

from fupin.audit.models import AuditEntry
from fupin.core import work
from fupin.registry.models import ImportJob, ImportStatus
from tests.core.test_crash_recovery import DATABASE_TASKS

pytestmark = pytest.mark.django_db


def _job(user, status=ImportStatus.IMPORTING, scope=None):
    return ImportJob.objects.create(
        user=user,
        scope_code=scope or user.scope_prefix,
        original_name="户.csv",
        status=status,
        file="imports/x.csv",
        total_rows=10,
        processed_rows=4,
    )


def test_a_stuck_job_is_listed_in_its_county_only_and_ended_once(client, users):
    job = _job(users["county"])
    client.force_login(users["other_county"])
    assert "户.csv" not in client.get(reverse("core:work")).content.decode()
    client.post(reverse("core:work_action", args=["import", job.pk, "cancel"]))
    job.refresh_from_db()
    assert job.status == ImportStatus.IMPORTING  # not theirs: untouched

    client.force_login(users["county"])
    page = client.get(reverse("core:work")).content.decode()
    assert "户.csv" in page and "已中断" in page
    for _ in range(2):  # clicked twice
        assert client.post(reverse("core:work_action", args=["import", job.pk, "cancel"])).status_code == 302
    job.refresh_from_db()
    assert (
        job.status == ImportStatus.FAILED
        and "未写入任何数据" in job.message
        and "已处理 4/10 行" in job.message
    )
    assert AuditEntry.objects.filter(action="import_interrupted", target_id=str(job.pk)).count() == 1


def test_only_county_offices_and_administrators_open_the_page(client, users):
    for role in ("clerk", "township", "prefecture", "liaison"):
        client.force_login(users[role])
        assert client.get(reverse("core:work")).status_code == 403
        assert client.post(reverse("core:work_action", args=["import", 1, "retry"])).status_code == 403
    client.force_login(users["admin"])
    assert client.get(reverse("core:work")).status_code == 200
    assert client.post(reverse("core:work_action", args=["nothing", 1, "retry"])).status_code == 404


def test_a_job_page_says_when_no_worker_is_alive(client, users, settings):
    job = _job(users["county"], status=ImportStatus.PENDING)
    client.force_login(users["county"])
    url = reverse("registry:import_detail", args=[job.pk])
    assert "后台任务未运行" not in client.get(url).content.decode()  # tasks run inline: nothing to wait for
    settings.TASKS = DATABASE_TASKS
    assert "后台任务未运行" in client.get(url).content.decode()
    with work.Lease("worker", "fupin-test-worker").acquire():
        assert work.live_workers() == 1
        assert "后台任务未运行" not in client.get(url).content.decode()
    assert "后台任务未运行" in client.get(reverse("assistance:batches")).content.decode()


def test_opening_an_interrupted_jobs_page_settles_it(client, users):
    job = _job(users["county"])
    client.force_login(users["county"])
    client.get(reverse("registry:import_progress", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    running = _job(users["county"])
    with work.Lease("import", running.pk).acquire():  # its process is alive: left alone
        client.get(reverse("registry:import_progress", args=[running.pk]))
        running.refresh_from_db()
        assert running.status == ImportStatus.IMPORTING
