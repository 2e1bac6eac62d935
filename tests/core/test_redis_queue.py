"""The task queue on Redis (FUPIN_TASKS=redis://…, django-tasks-redis), the option for a province with many
workers (issue 16, "to build" 2): `fupin worker` runs its tasks, once each across several workers, with its
lease while it lives; the import's watched work is settled through the queue's results as on the database
queue.

Needs a Redis server (REDIS_URL, default redis://127.0.0.1:6379/15); each test uses keys of its own."""

import collections
import os
import signal
import time
import uuid

import pytest
from django.db import connection
from django.tasks import default_task_backend
from django.tasks.base import TaskResultStatus

from fupin.core import work
from tests.core.test_crash_recovery import Scratch
from tests.core.worker_tasks import note_run

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")

pytestmark = pytest.mark.django_db(transaction=True)


def _redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def redis_queue(settings):
    """The site's TASKS as settings.py makes them for FUPIN_TASKS=redis://…, under a prefix of this test's."""
    import redis

    if not _redis_reachable():
        pytest.skip(f"no Redis at {REDIS_URL}")
    prefix = f"fupin-test-{uuid.uuid4().hex[:12]}"
    settings.TASKS = {
        "default": {
            "BACKEND": work.REDIS_QUEUE,
            "QUEUES": ["default"],
            "OPTIONS": {
                "REDIS_URL": REDIS_URL,
                "REDIS_KEY_PREFIX": prefix,
                "REDIS_CONSUMER_GROUP": prefix + "-workers",
                "REDIS_CLAIM_TIMEOUT": 7200,
                "REDIS_MAX_DELIVERIES": 1,
                "REDIS_BLOCK_TIMEOUT": 2000,
            },
        }
    }
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


def _scratch(tmp_path, settings, prefix: str) -> Scratch:
    scratch = Scratch(tmp_path, settings.MEDIA_ROOT)
    scratch.env.update(FUPIN_TASKS=REDIS_URL, FUPIN_TASKS_PREFIX=prefix)
    scratch.push()
    return scratch


def test_settings_choose_the_redis_queue_from_fupin_tasks(tmp_path):
    import subprocess
    import sys

    from tests.core.test_crash_recovery import ROOT

    script = (
        "import django; django.setup(); from django.conf import settings; print(settings.TASKS['default'])"
    )
    env = {**os.environ, "FUPIN_TASKS": "redis://127.0.0.1:6379/3", "FUPIN_TASKS_PREFIX": "county-a"}
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "django_tasks_redis.RedisTaskBackend" in out and "redis://127.0.0.1:6379/3" in out
    assert "county-a-workers" in out
    env.pop("FUPIN_TASKS")
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "django_tasks_db.DatabaseBackend" in out  # the embedded default stays the database queue


def test_fupin_worker_runs_a_task_from_the_redis_queue(tmp_path, settings, redis_queue):
    log = tmp_path / "runs.txt"
    result = note_run.enqueue(7, str(log))
    assert result.status == TaskResultStatus.READY and work.uses_worker()
    assert work.ended_unstarted({str(result.id): 1}) == []  # queued, not ended

    ran = _scratch(tmp_path, settings, redis_queue).run("worker", "--batch", "--no-startup-delay")

    assert ran.returncode == 0, ran.stdout
    assert log.read_text().split()[0] == "7"
    done = default_task_backend.get_result(result.id)
    assert done.status == TaskResultStatus.SUCCESSFUL and done.return_value == 7
    assert work.ended_unstarted({str(result.id): 1}) == [1]  # what recovery reads to settle unstarted work


@pytest.mark.skipif(connection.vendor != "postgresql", reason="workers on several machines share PostgreSQL")
def test_two_workers_on_redis_run_every_task_exactly_once(tmp_path, settings, redis_queue):
    scratch = _scratch(tmp_path, settings, redis_queue)
    workers = [scratch.start("none", "worker", "--no-startup-delay")[0] for _ in range(2)]
    log = tmp_path / "runs.txt"
    try:
        deadline = time.monotonic() + 180
        while work.live_workers() < 2:  # each holds its lease on the database, as on the database queue
            assert time.monotonic() < deadline, "two workers did not start"
            time.sleep(0.2)
        results = [note_run.enqueue(n, str(log)) for n in range(30)]
        while any(
            default_task_backend.get_result(r.id).status != TaskResultStatus.SUCCESSFUL for r in results
        ):
            assert time.monotonic() < deadline, "tasks left"
            time.sleep(0.2)
    finally:
        for process in workers:
            os.kill(process.pid, signal.SIGTERM)
        for process in workers:
            process.wait(timeout=30)
            process.stdout.close()
    runs = [line.split() for line in log.read_text().splitlines()]
    assert collections.Counter(int(n) for n, _ in runs) == {n: 1 for n in range(30)}  # none twice, none lost
    assert len({pid for _, pid in runs}) == 2
    assert work.live_workers() == 0  # SIGTERM: each finished its task and let its lease go


def test_a_redis_worker_killed_during_an_import_is_settled_and_a_retry_succeeds(
    tmp_path, settings, redis_queue, client
):
    """`kill -9` of a worker on the Redis queue while it runs an import: the job's lease dies with it, so the
    job is settled (失败, nothing written), the queue fails the dead worker's task rather than run it twice,
    and 重试 on the 后台任务 page queues it again on Redis, where a worker completes it."""
    from django.urls import reverse
    from django_tasks_redis import executor

    from fupin.audit.models import AuditEntry
    from fupin.registry.models import Household, ImportJob, ImportStatus
    from tests import factories
    from tests.core.test_crash_recovery import _three_households

    factories.make_tree()
    county = factories.make_user("county", "county", factories.VILLAGE[:6])
    client.force_login(county)
    with open(_three_households(tmp_path), "rb") as fh:
        client.post(reverse("registry:import_upload"), {"file": fh})
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.PENDING and job.task_id
    scratch = _scratch(tmp_path, settings, redis_queue)
    scratch.kill_at("importing", "worker", "--no-startup-delay")

    scratch.pull()
    job.refresh_from_db()
    assert job.status in (ImportStatus.VALIDATING, ImportStatus.IMPORTING)  # what it said when it died
    assert default_task_backend.get_result(job.task_id).status == TaskResultStatus.RUNNING
    page = client.get(reverse("core:work")).content.decode()
    assert "已中断" in page and "后台任务未运行" in page  # its lease went with it; no worker alive
    assert work.recover_all() == 1
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and "未写入任何数据" in job.message, job.message
    assert Household.objects.count() == 0
    assert AuditEntry.objects.filter(action="import_interrupted", target_id=str(job.pk)).count() == 1
    # past the claim timeout the queue gives the dead worker's task up (one delivery): failed, not run again
    time.sleep(1.2)
    executor.claim_stale_tasks(claim_timeout=1, worker_id=f"{redis_queue}-claimer")
    assert default_task_backend.get_result(job.task_id).status == TaskResultStatus.FAILED

    client.post(reverse("core:work_action", args=["import", job.pk, "retry"]))
    job.refresh_from_db()
    assert job.status == ImportStatus.PENDING and job.task_id
    scratch.push()
    ran = scratch.run("worker", "--batch", "--no-startup-delay")
    assert ran.returncode == 0, ran.stdout
    scratch.pull()
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and Household.objects.count() == 3, job.message
    assert default_task_backend.get_result(job.task_id).status == TaskResultStatus.SUCCESSFUL
