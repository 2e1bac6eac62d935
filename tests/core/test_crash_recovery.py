"""`kill -9` of `fupin import` and of `fupin worker` at several stages (issue 16, findings 1 and 2).

Each process runs on this test's database (SQLite: a file copied from and back into the test database;
PostgreSQL: the test database itself) and stops at its stage by itself (tests/crash_hooks.py), so the kill
never races the work. Afterwards the data is as before or fully committed, the job says which, and a rerun
succeeds.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from fupin.assistance.models import BatchStatus, HandbookBatch
from fupin.assistance.services import start_handbook_batch
from fupin.audit.models import AuditEntry
from fupin.core import work
from fupin.registry.models import Household, ImportCommit, ImportJob, ImportStatus
from tests import factories
from tests.registry.import_files import household, many_households, write_csv

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


class Scratch:
    """The test database as other processes see it, and those processes."""

    def __init__(self, tmp_path, media_root):
        self.tmp = tmp_path
        self.sqlite = connection.vendor == "sqlite"
        s = connection.settings_dict
        if self.sqlite:
            self.file = tmp_path / "shared.sqlite3"
            url = f"sqlite:///{self.file}"
        else:
            auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
            url = f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
        self.env = {
            **os.environ,
            "DATABASE_URL": url,
            "FUPIN_MEDIA_ROOT": str(media_root),
            "FUPIN_TASKS": "database",
            "PYTHONPATH": str(ROOT),
            "SECRET_KEY": "crash-test",
            "DEBUG": "0",
            "LOG_LEVEL": "WARNING",
        }

    def push(self) -> None:
        """What the test wrote, to where the processes read it."""
        if self.sqlite:
            connection.ensure_connection()
            with sqlite3.connect(self.file) as target:
                connection.connection.backup(target)

    def pull(self) -> None:
        """What the processes wrote, back into the test's database."""
        if self.sqlite:
            source = sqlite3.connect(self.file)
            source.backup(connection.connection)
            source.close()

    def start(self, stage: str, *argv) -> tuple[subprocess.Popen, Path]:
        signal_file = self.tmp / f"paused-{stage}-{time.monotonic_ns()}"
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.crash_hooks", stage, str(signal_file), *argv],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        return process, signal_file

    def kill_at(self, stage: str, *argv) -> None:
        process, signal_file = self.start(stage, *argv)
        deadline = time.monotonic() + 240
        while not signal_file.exists():
            if process.poll() is not None:
                pytest.fail(f"{argv} ended before {stage}: {process.stdout.read().decode()}")
            assert time.monotonic() < deadline, f"{argv} did not reach {stage}"
            time.sleep(0.1)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        process.stdout.close()

    def run(self, *argv, stage: str = "none") -> subprocess.CompletedProcess:
        process, _ = self.start(stage, *argv)
        out, _ = process.communicate(timeout=300)
        return subprocess.CompletedProcess(argv, process.returncode, out.decode(), "")


@pytest.fixture
def scratch(tmp_path, settings):
    return Scratch(tmp_path, settings.MEDIA_ROOT)


@pytest.fixture
def county(settings):
    factories.make_tree()
    return factories.make_user("county", "county", factories.VILLAGE[:6])


def _three_households(tmp_path) -> Path:
    rows = [r for name in ("王大山", "李四海", "赵五岳") for r in household(name)]
    return write_csv(tmp_path / "three.csv", rows)


STAGES = (
    ["validating", "importing", "committed"] if connection.vendor == "sqlite" else ["importing", "committed"]
)


@pytest.mark.parametrize("stage", STAGES)
def test_fupin_import_killed_leaves_the_data_whole_and_the_job_truthful(tmp_path, scratch, county, stage):
    path = _three_households(tmp_path)
    scratch.push()
    scratch.kill_at(stage, "import", str(path), "--user", "county")

    scratch.pull()
    job = ImportJob.objects.get()
    assert job.status in (ImportStatus.VALIDATING, ImportStatus.IMPORTING)  # what it said when it died
    committed = stage == "committed"
    assert ImportCommit.objects.filter(job=job).exists() == committed
    assert Household.objects.count() == (3 if committed else 0)
    assert AuditEntry.objects.filter(action="import_create").count() == (3 if committed else 0)

    settled = scratch.run("recover-work")
    assert "已处理中断的任务：1 个" in settled.stdout, settled.stdout
    scratch.pull()
    job.refresh_from_db()
    if committed:
        assert job.status == ImportStatus.DONE and "数据已于" in job.message and "完整写入" in job.message
    else:
        assert job.status == ImportStatus.FAILED and "未写入任何数据" in job.message
    assert AuditEntry.objects.filter(action="import_interrupted", target_id=str(job.pk)).count() == 1
    assert work.recover_all() == 0  # settled once

    rerun = scratch.run("import", str(path), "--user", "county")
    assert rerun.returncode == 0, rerun.stdout
    scratch.pull()
    assert Household.objects.count() == 3
    assert ImportJob.objects.latest("pk").status == ImportStatus.DONE


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite writes a file chunk by chunk")
def test_fupin_import_killed_between_chunks_says_how_far_it_wrote_and_a_rerun_completes_it(
    tmp_path, scratch, county
):
    rows = many_households(150)  # two chunks
    path = write_csv(tmp_path / "two-chunks.csv", rows)
    scratch.push()
    scratch.kill_at("second-chunk", "import", str(path), "--user", "county")

    scratch.pull()
    job = ImportJob.objects.get()
    commit = ImportCommit.objects.get(job=job)
    assert not commit.complete and commit.chunks == 1 and 0 < commit.rows < len(rows)
    written = Household.objects.count()
    assert 0 < written < 150
    assert AuditEntry.objects.filter(action="import_create").count() == written
    assert "已处理中断的任务：1 个" in scratch.run("recover-work").stdout
    scratch.pull()
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert f"文件前 {commit.rows} 行（1 批）" in job.message and "其余未写入" in job.message, job.message

    rerun = scratch.run("import", str(path), "--user", "county")
    assert rerun.returncode == 0, rerun.stdout
    scratch.pull()
    assert Household.objects.count() == 150
    assert AuditEntry.objects.filter(action="import_create").count() == 150  # none written twice
    assert ImportJob.objects.latest("pk").households_created == 150 - written


def test_worker_killed_while_making_handbooks_frees_the_village(tmp_path, scratch, county, settings):
    settings.TASKS = DATABASE_TASKS
    factories.make_household(head="张三丰")
    batch = start_handbook_batch(by=county, village_code=factories.VILLAGE)
    scratch.push()
    scratch.kill_at("rendering", "worker", "--no-startup-delay", "--interval", "0.2")

    scratch.pull()
    assert HandbookBatch.objects.get(pk=batch.pk).status == BatchStatus.RUNNING
    assert "已处理中断的任务：2 个" in scratch.run("recover-work").stdout  # the task and its batch
    scratch.pull()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.FAILED and "生成进程中断" in batch.message
    task = DBTaskResult.objects.get(pk=batch.task_id)
    assert task.status == "FAILED" and task.exception_class_path == "fupin.core.work.WorkerDied"

    again = start_handbook_batch(by=county, village_code=factories.VILLAGE)  # no longer refused as 正在生成中
    scratch.push()
    ran = scratch.run("worker", "--batch", "--no-startup-delay", stage="stub-pdf")
    assert ran.returncode == 0, ran.stdout
    scratch.pull()
    again.refresh_from_db()
    assert again.status == BatchStatus.DONE and again.file


def test_worker_killed_during_an_import_then_retried_from_the_work_page(
    tmp_path, scratch, county, settings, client
):
    settings.TASKS = DATABASE_TASKS
    client.force_login(county)
    with open(_three_households(tmp_path), "rb") as fh:
        response = client.post(reverse("registry:import_upload"), {"file": fh})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and job.status == ImportStatus.PENDING and job.task_id
    scratch.push()
    scratch.kill_at("importing", "worker", "--no-startup-delay", "--interval", "0.2")

    scratch.pull()
    page = client.get(reverse("core:work"))
    assert page.status_code == 200 and "已中断" in page.content.decode()
    assert "后台任务未运行" in page.content.decode()  # the worker is dead, none took its place
    response = client.post(reverse("core:work_action", args=["import", job.pk, "cancel"]))  # 结束: settled
    job.refresh_from_db()
    assert (
        job.status == ImportStatus.FAILED
        and "未写入任何数据" in job.message
        and Household.objects.count() == 0
    )
    for _ in range(2):  # clicked twice: queued once
        client.post(reverse("core:work_action", args=["import", job.pk, "retry"]))
    job.refresh_from_db()
    assert job.status == ImportStatus.PENDING
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    assert AuditEntry.objects.filter(action="retry_import", target_id=str(job.pk)).count() == 1
    scratch.push()
    ran = scratch.run("worker", "--batch", "--no-startup-delay")
    assert ran.returncode == 0, ran.stdout
    scratch.pull()
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and Household.objects.count() == 3


def test_worker_rides_through_a_locked_database(scratch, county, settings):
    from fupin.reports.tasks import refresh_stats

    settings.TASKS = DATABASE_TASKS
    result = refresh_stats.enqueue()
    scratch.push()
    ran = scratch.run("worker", "--batch", "--no-startup-delay", stage="fail-first-claim")
    assert ran.returncode == 0, ran.stdout
    assert ran.stdout.count("数据库暂不可用") == 2, ran.stdout
    scratch.pull()
    assert DBTaskResult.objects.get(pk=result.id).status == "SUCCESSFUL"
