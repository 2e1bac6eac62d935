"""The daily jobs run by themselves (no cron on the embedded default): once a day after their time, once
across workers, late the same day when the worker was down, and an overdue declaration opens its
problem-ledger item without anyone running a command."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from fupin.core import schedule
from fupin.core.management.commands.worker import SupervisedWorker
from fupin.core.models import ScheduledRun

pytestmark = pytest.mark.django_db

DAILY = {
    "audit-anchor",
    "declaration-deadlines",
    "purge-cross-checks",
    "purge-expired",
    "exports-purge",
    "loan-reminders",
}


def local(day: datetime.date, hh: int, mm: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hh, mm)))


@pytest.fixture(autouse=True)
def _schedule_on(settings):
    settings.FUPIN_SCHEDULE = ""


@pytest.fixture
def ran(monkeypatch):
    """Which jobs' tasks were enqueued (the tasks themselves are stood in for, except where a test wants
    them)."""
    names: list[str] = []

    class Result:
        id = "t-1"

    def stand_in(job):
        class Task:
            def enqueue(self):
                names.append(job.name)
                return Result()

        return Task()

    real = schedule.jobs
    monkeypatch.setattr(
        schedule, "jobs", lambda: [schedule.Job(j.name, j.at, stand_in(j), j.description) for j in real()]
    )
    return names


def test_the_apps_register_their_daily_jobs():
    assert {job.name for job in schedule.jobs()} == DAILY


def test_a_job_runs_once_a_day_after_its_time(ran):
    today = datetime.date(2026, 12, 7)
    assert schedule.run_due(local(today, 0, 5)) == []
    assert schedule.run_due(local(today, 0, 40)) == ["audit-anchor", "declaration-deadlines"]
    assert schedule.run_due(local(today, 0, 41)) == []  # the next minute's look finds them done
    assert schedule.run_due(local(today, 9)) == [
        "purge-cross-checks",
        "purge-expired",
        "exports-purge",
        "loan-reminders",
    ]
    assert schedule.run_due(local(today, 23, 59)) == []
    assert schedule.run_due(local(today + datetime.timedelta(days=1), 0, 15)) == ["audit-anchor"]
    assert ran == [
        "audit-anchor",
        "declaration-deadlines",
        "purge-cross-checks",
        "purge-expired",
        "exports-purge",
        "loan-reminders",
        "audit-anchor",
    ]
    assert ScheduledRun.objects.filter(name="audit-anchor").count() == 2


def test_a_worker_that_was_down_runs_the_days_jobs_when_it_comes_back(ran):
    assert set(schedule.run_due(local(datetime.date(2026, 12, 7), 15))) == DAILY


def test_another_worker_having_taken_the_run_means_this_one_does_not(ran, monkeypatch):
    day = datetime.date(2026, 12, 7)
    ScheduledRun.objects.create(name="audit-anchor", day=day, enqueued_at=timezone.now())
    assert "audit-anchor" not in schedule.run_due(local(day, 1))
    # Both looked at the same moment: the unique row decides, the loser enqueues nothing.
    ScheduledRun.objects.create(name="loan-reminders", day=day, enqueued_at=timezone.now())
    real_due = schedule.due
    monkeypatch.setattr(
        schedule, "due", lambda now: [j for j in schedule.jobs() if j.name == "loan-reminders"]
    )
    assert schedule.run_due(local(day, 9)) == []
    monkeypatch.setattr(schedule, "due", real_due)
    assert ran.count("loan-reminders") == 0


def test_the_whole_schedule_can_be_turned_off(ran, settings):
    settings.FUPIN_SCHEDULE = "off"
    assert schedule.jobs() == [] and schedule.run_due(local(datetime.date(2026, 12, 7), 23)) == []


def test_times_can_be_changed_or_a_job_turned_off(ran, settings):
    settings.FUPIN_SCHEDULE = "declaration-deadlines=02:00, loan-reminders=off"
    day = datetime.date(2026, 12, 7)
    assert schedule.run_due(local(day, 1)) == ["audit-anchor"]
    assert schedule.run_due(local(day, 23)) == [
        "declaration-deadlines",
        "purge-cross-checks",
        "purge-expired",
        "exports-purge",
    ]


def test_a_job_that_cannot_be_queued_is_tried_again_next_minute(monkeypatch):
    calls = []

    class Failing:
        def enqueue(self):
            calls.append(1)
            if len(calls) == 1:
                raise RuntimeError("队列不可用")

            class Result:
                id = "t-2"

            return Result()

    monkeypatch.setattr(schedule, "jobs", lambda: [schedule.Job("x", datetime.time(0), Failing(), "x")])
    day = datetime.date(2026, 12, 7)
    assert schedule.run_due(local(day, 1)) == []
    assert schedule.run_due(local(day, 1, 1)) == ["x"]
    assert ScheduledRun.objects.get(name="x").task_id == "t-2"


def test_the_worker_looks_at_the_schedule_every_minute(monkeypatch):
    looked = []
    monkeypatch.setattr(schedule, "run_due", lambda: looked.append(1) or [])
    monkeypatch.setattr("fupin.core.work.recover_all", lambda: 0)
    worker = SupervisedWorker.__new__(SupervisedWorker)
    worker.unsettled, worker.recovered_at = None, 0.0
    worker._settle()
    worker._settle()  # within the minute: no second look
    assert looked == [1]


def test_the_work_page_lists_the_daily_jobs_and_their_last_run(client, users, ran):
    schedule.run_due(local(timezone.localdate(), 23, 59))
    client.force_login(users["county"])
    page = client.get(reverse("core:work")).content.decode()
    assert "每日任务" in page and "申报时限检查" in page and 'data-job="loan-reminders"' in page
    assert "尚未运行<" not in page  # every job shows its last run
