"""Several workers on one PostgreSQL never run a task twice nor lose one (issue 16, "to build" 2): each claims
a task with SELECT … FOR UPDATE SKIP LOCKED (django-tasks-db) in its own transaction."""

import collections
import os
import signal
import time

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from fupin.core import work
from tests.core.test_crash_recovery import DATABASE_TASKS, Scratch
from tests.core.worker_tasks import note_run

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="workers on several machines share PostgreSQL"
    ),
]

TASKS = 60


def _wait(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def test_two_workers_run_every_task_exactly_once(tmp_path, settings):
    settings.TASKS = DATABASE_TASKS
    scratch = Scratch(tmp_path, settings.MEDIA_ROOT)
    workers = [
        scratch.start("none", "worker", "--no-startup-delay", "--interval", "0.05")[0] for _ in range(2)
    ]
    try:
        _wait(lambda: work.live_workers() == 2, 180, "two workers did not start")
        log = tmp_path / "runs.txt"
        results = [note_run.enqueue(n, str(log)) for n in range(TASKS)]
        _wait(
            lambda: DBTaskResult.objects.filter(status__in=("READY", "RUNNING")).count() == 0,
            180,
            "tasks left",
        )
    finally:
        for process in workers:
            os.kill(process.pid, signal.SIGTERM)
        for process in workers:
            process.wait(timeout=30)
            process.stdout.close()
    runs = [line.split() for line in log.read_text().splitlines()]
    counts = collections.Counter(int(n) for n, _ in runs)
    assert counts == {n: 1 for n in range(TASKS)}  # none twice, none lost
    assert len({pid for _, pid in runs}) == 2  # both workers took part
    finished = DBTaskResult.objects.filter(pk__in=[r.id for r in results])
    assert {t.status for t in finished} == {"SUCCESSFUL"} and all(len(t.worker_ids) == 1 for t in finished)
    assert work.live_workers() == 0  # SIGTERM: each ended cleanly and let its lease go
