"""`fupin worker`: the database task worker (django-tasks-db's db_worker) made to last; on the Redis queue
(FUPIN_TASKS=redis://…), the same around django-tasks-redis's executor.

It rides through a locked or restarting database (the claim's BEGIN raised `database is locked` outside the
backend's own handling, and a lost connection ended the process), holds a lease while it lives (so pages and
other workers can tell it is alive, fupin.core.work), settles the work of workers that died and enqueues the
daily jobs due (fupin.core.schedule), every minute.
"""

import logging
import os
import socket
import time
from argparse import ArgumentParser
from typing import Any

from django.db import InterfaceError, OperationalError, close_old_connections, connections
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands import db_worker

from fupin.core import schedule, work

log = logging.getLogger("fupin.worker")

RECOVER_EVERY = 60.0  # seconds between looks for work whose runner died
BACKOFF_MAX = 30.0


def new_worker_id() -> str:
    host = socket.gethostname()[:20]
    return f"{work.WORKER_PREFIX}{host}-{os.getpid()}-{get_random_string(8)}"[:64]


class SupervisedWorker(db_worker.Worker):
    """db_worker's loop, kept running through database errors, with a lease and the recovery of dead work."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lease = work.Lease("worker", self.worker_id)
        self.recovered_at = 0.0
        self.unsettled = None  # a task whose outcome could not be written (the database went away)

    def run(self) -> None:
        delay = 1.0
        while self.running:
            try:
                self._keep_lease()
                self._settle()
                super().run()
                return  # batch or max-tasks: the loop ended as asked
            except (OperationalError, InterfaceError) as e:
                log.warning("数据库暂不可用（%s），%.0f 秒后重试", e, delay)
                for alias in connections:
                    connections[alias].close_if_unusable_or_obsolete()
                    try:
                        connections[alias].close()
                    except Exception:  # a connection that cannot even close is dropped all the same
                        pass
                time.sleep(delay)
                delay = min(delay * 2, BACKOFF_MAX)

    def _keep_lease(self) -> None:
        if not self.lease.alive:
            self.lease.release()
            self.lease.acquire(wait=5)

    def _settle(self) -> None:
        """A task left running by this worker's own lost write, and every minute the dead workers' work."""
        if self.unsettled is not None:
            self.unsettled.set_failed(work.WorkerDied("数据库连接中断，任务结果未能写入"))
            self.unsettled = None
        if time.monotonic() - self.recovered_at >= RECOVER_EVERY:
            work.recover_all()
            schedule.run_due()  # the daily jobs (fupin.core.schedule), once a day across all workers
            self.recovered_at = time.monotonic()

    def run_task(self, db_task_result: Any) -> None:
        self.unsettled = db_task_result
        super().run_task(db_task_result)  # records the outcome itself (raising only if it cannot be written)
        self.unsettled = None
        close_old_connections()
        if time.monotonic() - self.recovered_at >= RECOVER_EVERY:
            self._settle()


class RedisWorker:
    """The same worker on the Redis queue (django-tasks-redis): one task at a time from the queue's stream,
    through Redis or database outages with back-off, with the lease, the recovery of dead work and the daily
    jobs."""

    def __init__(self, *, worker_id: str, max_tasks: int | None = None, batch: bool = False) -> None:
        from django.tasks import default_task_backend

        self.backend = default_task_backend
        self.worker_id, self.max_tasks, self.batch = worker_id, max_tasks, batch
        self.lease = work.Lease("worker", worker_id)
        self.recovered_at = 0.0
        self.claimed_at = time.monotonic()
        self.running = True
        self.done = 0

    def configure_signals(self) -> None:
        import signal

        def stop(*_: object) -> None:
            self.running = False  # the task under way is finished first

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)

    def run(self) -> None:
        import redis

        delay = 1.0
        while self.running:
            try:
                if not self.lease.alive:
                    self.lease.release()
                    self.lease.acquire(wait=5)
                if time.monotonic() - self.recovered_at >= RECOVER_EVERY:
                    work.recover_all()
                    schedule.run_due()
                    self.recovered_at = time.monotonic()
                if not self._one() and self.batch:
                    return
                if self.max_tasks and self.done >= self.max_tasks:
                    return
                delay = 1.0
            except (OperationalError, InterfaceError, redis.RedisError) as e:
                log.warning("数据库或 Redis 暂不可用（%s），%.0f 秒后重试", e, delay)
                connections.close_all()
                time.sleep(delay)
                delay = min(delay * 2, BACKOFF_MAX)

    def _one(self) -> bool:
        """Run the next task if one comes within the queue's wait; whether one ran."""
        from django_tasks_redis import executor

        if time.monotonic() - self.claimed_at >= RECOVER_EVERY:
            executor.claim_stale_tasks(self.backend.alias, worker_id=self.worker_id)
            self.claimed_at = time.monotonic()
        block = 0 if self.batch else getattr(self.backend, "block_timeout", 2000)
        result = executor.process_one_task(
            backend_name=self.backend.alias, worker_id=self.worker_id, block=block
        )
        close_old_connections()
        if result is None:
            return False
        self.done += 1
        return True


class Command(db_worker.Command):
    help = "运行后台任务进程（可多台机器同时运行）。Run a supervised database task worker."

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.set_defaults(worker_id=None, reload=False)
        for action in parser._actions:  # db_worker accepts only a database queue's name; the Redis one too
            if action.dest == "backend_name":
                action.type = str

    def handle(
        self,
        *,
        verbosity: int,
        queue_name: str,
        interval: float,
        batch: bool,
        backend_name: str,
        startup_delay: bool,
        reload: bool,
        max_tasks: int | None,
        worker_id: str | None,
        exclude_queues: Any,
        **options: Any,
    ) -> None:
        self.configure_logging(verbosity)
        queue_names = queue_name.split(",")
        ident = worker_id if worker_id and worker_id.startswith(work.WORKER_PREFIX) else new_worker_id()
        worker: SupervisedWorker | RedisWorker
        if work.queue_backend() == work.REDIS_QUEUE:
            worker = RedisWorker(worker_id=ident, max_tasks=max_tasks, batch=batch)
        else:
            worker = SupervisedWorker(
                queue_names=queue_names,
                interval=interval,
                batch=batch,
                backend_name=backend_name,
                startup_delay=startup_delay,
                max_tasks=max_tasks,
                worker_id=ident,
                excluded_queue_names=exclude_queues.split(",") if exclude_queues else [],
            )
        worker.configure_signals()
        try:
            worker.run()
        finally:
            worker.lease.release()
