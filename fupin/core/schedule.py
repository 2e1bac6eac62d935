"""Daily work the product does by itself, so the embedded default needs no cron: the declarations' deadline
sweep, the audit chains' anchor, deleting expired department lists, loan repayment reminders.

Each app registers its daily jobs in its AppConfig.ready() (`register_daily`), as background tasks that take
no argument. The task worker (`fupin worker`, which `fupin serve` starts) looks every minute: a job whose time
of day has passed and that has not run today is enqueued once. One row per job and day (`ScheduledRun`,
unique) decides which of several workers on several machines enqueues it, so it runs once a day; a worker that
was down at the job's time enqueues it when it comes back, the same day. Days missed altogether are not
replayed: each job covers everything due whenever it runs.

`FUPIN_SCHEDULE` changes a job's time or turns it off, e.g. `declaration-deadlines=02:00,loan-reminders=off`.
`fupin run-schedule` does one look from cron for a site whose worker is not fupin's own.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import Promise

from .models import ScheduledRun

log = logging.getLogger("fupin.schedule")


@dataclass(frozen=True)
class Job:
    name: str
    at: datetime.time
    task: Any  # a django.tasks Task taking no argument
    description: str | Promise  # shown in the reader's language: a lazy translation


_jobs: dict[str, Job] = {}


def register_daily(name: str, at: str, task: Any, description: str | Promise) -> None:
    """Run `task` once a day after `at` (HH:MM, local time)."""
    _jobs[name] = Job(name, datetime.time.fromisoformat(at), task, description)


def _overrides() -> dict[str, datetime.time | None]:
    raw = getattr(settings, "FUPIN_SCHEDULE", "") or ""
    pairs = raw.items() if isinstance(raw, dict) else (p.split("=", 1) for p in raw.split(",") if "=" in p)
    out: dict[str, datetime.time | None] = {}
    for name, value in pairs:
        value = str(value).strip()
        out[name.strip()] = (
            None if value.lower() in ("off", "no", "0", "") else datetime.time.fromisoformat(value)
        )
    return out


def jobs() -> list[Job]:
    """The registered jobs with the times in force (a job turned off is left out; FUPIN_SCHEDULE=off:
    none)."""
    if str(getattr(settings, "FUPIN_SCHEDULE", "") or "").strip().lower() == "off":
        return []
    overrides = _overrides()
    out = []
    for job in _jobs.values():
        at = overrides.get(job.name, job.at)
        if at is not None:
            out.append(Job(job.name, at, job.task, job.description))
    return sorted(out, key=lambda j: (j.at, j.name))


def due(now: datetime.datetime | None = None) -> list[Job]:
    now = timezone.localtime(now or timezone.now())
    done = set(ScheduledRun.objects.filter(day=now.date()).values_list("name", flat=True))
    return [j for j in jobs() if j.at <= now.time() and j.name not in done]


def run_due(now: datetime.datetime | None = None) -> list[str]:
    """Enqueue each job due now that no one has enqueued today; returns the names enqueued here."""
    now = timezone.localtime(now or timezone.now())
    enqueued = []
    for job in due(now):
        try:
            # the day's row and the queued task commit together: a process that dies between them leaves
            # neither
            with transaction.atomic():
                run = ScheduledRun.objects.create(name=job.name, day=now.date(), enqueued_at=timezone.now())
                run.task_id = str(job.task.enqueue().id)[:64]
                run.save(update_fields=["task_id"])
        except IntegrityError:
            continue  # another worker took today's run
        except Exception:  # noqa: BLE001 — a job that cannot be queued (or, run inline, fails) is tried next minute
            log.exception("每日任务 %s 未能排队，一分钟后重试", job.name)
            continue
        log.info("每日任务 %s 已排队（%s）", job.name, job.description)
        enqueued.append(job.name)
    return enqueued


def last_runs() -> dict[str, ScheduledRun]:
    """Each job's latest run, for the 后台任务 page."""
    runs: dict[str, ScheduledRun] = {}
    for run in ScheduledRun.objects.order_by("name", "-day"):
        runs.setdefault(run.name, run)
    return runs
