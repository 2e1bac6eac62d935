"""Background work that is watched: leases held while something runs, whether a task worker is alive, and the
hand-over through which each app finds, recovers, retries and cancels its own work whose runner died.

A lease is a lock the operating system or the database lets go of by itself when its process dies: on SQLite
(one machine) an exclusive flock on a file under VAR_DIR/locks/, on PostgreSQL an advisory lock held by a
connection of its own (so several machines see each other's). No heartbeat has to be written, so nothing is
judged dead because a long transaction kept it from writing one, and nothing dead looks alive for a timeout's
length.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.translation import gettext

from .errors import ServiceError

# PostgreSQL advisory locks are (class, key) pairs of 32-bit integers; each kind of lease has its class.
_CLASSES = {
    "worker": 16_001,
    "import": 16_002,
    "handbook": 16_003,
    "sweep": 16_004,
    "crosscheck": 16_005,
    "export": 16_006,
}
WORKER_PREFIX = "fupin-"  # ids of the workers `fupin worker` runs: their leases say whether they are alive


class LeaseBusy(Exception):
    """Someone else holds the lease (the work is running elsewhere)."""


def _postgres() -> bool:
    return connections[DEFAULT_DB_ALIAS].vendor == "postgresql"


def _key(kind: str, ident: object) -> tuple[int, int]:
    value = ident if isinstance(ident, int) else zlib.crc32(str(ident).encode())
    return _CLASSES[kind], value % 2**31


def _lock_dir() -> Path:
    """One folder per database, so that two databases' job 1 are two leases."""
    name = str(connections[DEFAULT_DB_ALIAS].settings_dict["NAME"])
    path = Path(settings.VAR_DIR) / "locks" / hashlib.sha1(name.encode()).hexdigest()[:12]
    path.mkdir(parents=True, exist_ok=True)
    return path


class Lease:
    """Held from acquire() to release() (or the process's death)."""

    def __init__(self, kind: str, ident: object) -> None:
        self.kind, self.ident = kind, ident
        self._fd: int | None = None
        self._conn = None

    def try_acquire(self) -> bool:
        if _postgres():
            conn = connections[DEFAULT_DB_ALIAS]
            raw = conn.get_new_connection(conn.get_connection_params())
            raw.autocommit = True
            got = raw.execute("SELECT pg_try_advisory_lock(%s, %s)", _key(self.kind, self.ident)).fetchone()[
                0
            ]
            if got:
                self._conn = raw
            else:
                raw.close()
            return got
        path = self._path()
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return False
            # The holder before us removes the file when it releases (below): a lock taken on a file no longer
            # at the path is no lease, so take the one that is there now.
            try:
                same = os.stat(path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self._fd = fd
                return True
            os.close(fd)

    def _path(self) -> Path:
        return _lock_dir() / f"{self.kind}-{self.ident}.lock"

    def acquire(self, wait: float = 0.0) -> Lease:
        deadline = time.monotonic() + wait
        while not self.try_acquire():
            if time.monotonic() >= deadline:
                raise LeaseBusy(f"{self.kind} {self.ident}")
            time.sleep(0.2)
        return self

    @property
    def alive(self) -> bool:
        """Still held: on PostgreSQL its connection may have been cut (a restart, pg_terminate_backend)."""
        if self._conn is not None:
            try:
                self._conn.execute("SELECT 1")
                return True
            except Exception:
                return False
        return self._fd is not None

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()  # the session's advisory locks go with it
            except Exception:
                pass
            self._conn = None
        if self._fd is not None:
            # removed while still held, so that no one can take a lock on it after (try_acquire checks the
            # path)
            self._path().unlink(missing_ok=True)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def is_held(kind: str, ident: object) -> bool:
    """Whether a live process holds this lease (never blocks)."""
    if _postgres():
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                "WHERE l.locktype = 'advisory' AND d.datname = current_database() AND l.classid = %s "
                "AND l.objid = %s AND l.objsubid = 2 AND l.granted)",
                _key(kind, ident),
            )
            return cursor.fetchone()[0]
    probe = Lease(kind, ident)
    if probe.try_acquire():
        probe.release()
        return False
    return True


def live_workers() -> int:
    """How many `fupin worker` processes are alive on this database."""
    if _postgres():
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                "WHERE l.locktype = 'advisory' AND d.datname = current_database() AND l.classid = %s "
                "AND l.objsubid = 2 AND l.granted",
                [_CLASSES["worker"]],
            )
            return cursor.fetchone()[0]
    alive = 0
    for path in _lock_dir().glob("worker-*.lock"):
        ident = path.stem.removeprefix("worker-")
        if is_held("worker", ident):
            alive += 1
        else:
            path.unlink(missing_ok=True)  # a dead worker's file
    return alive


DATABASE_QUEUE = "django_tasks_db.DatabaseBackend"
REDIS_QUEUE = "django_tasks_redis.RedisTaskBackend"


def queue_backend() -> str:
    return settings.TASKS["default"]["BACKEND"]


def uses_worker() -> bool:
    """Whether background work waits for a `fupin worker` (the database or the Redis queue; not so inline)."""
    return queue_backend() in (DATABASE_QUEUE, REDIS_QUEUE)


def may_manage(user: Any) -> bool:
    """Who sees and handles stuck or failed work (the 后台任务 page): system administrators, county offices
    (their county)."""
    return bool(getattr(user, "is_superuser", False) or getattr(user, "is_county_office", False))


def worker_missing() -> bool:
    return uses_worker() and live_workers() == 0


# ---------------------------------------------------------------------------------------------
# Each app's kinds of work (hand-over: the apps register them from AppConfig.ready)


@dataclass(frozen=True)
class WorkItem:
    """One piece of background work as the 后台任务 page lists it."""

    kind: str
    pk: int
    label: str
    status: str
    message: str
    created_at: object
    stuck: bool  # its status says running, but nobody holds its lease
    can_retry: bool
    can_cancel: bool
    url: str = ""


@dataclass(frozen=True)
class WorkKind:
    name: str  # e.g. "import"
    title: str  # 数据导入
    items_for: Callable[[object], list[WorkItem]]  # a user's unfinished, stuck or failed work
    recover: Callable[[], int]  # settle work whose runner died; how many
    retry: Callable[..., str]  # (pk, *, by) → a message for the page
    cancel: Callable[..., str]


def item(
    kind: str, row: Any, *, label: str, url: str, running: bool, failed: bool, pending: bool, created_at: Any
) -> WorkItem:
    """A run of work (an import job, a handbook batch, a sweep) as the page lists it: stuck when its status
    says `running` while nobody holds its lease; retried when `failed`; cancelled when `pending` or stuck."""
    stuck = running and not is_held(kind, row.pk)
    return WorkItem(
        kind=kind,
        pk=row.pk,
        label=label,
        status=row.get_status_display(),
        message=row.message,
        created_at=created_at,
        stuck=stuck,
        can_retry=failed,
        can_cancel=pending or stuck,
        url=url,
    )


def managed(by: Any, rows: Any, pk: int, *, missing: str, error: type[ServiceError] = ServiceError) -> Any:
    """Run `pk` of `rows` (a queryset scoped to `by`, locked as the caller needs) for a retry or a cancel:
    refused with `error` to a user who may not handle background work, and with `missing` when it is not
    there or out of scope."""
    if not may_manage(by):
        raise error(gettext("只有县扶贫办和系统管理员可以处理后台任务"))
    row = rows.filter(pk=pk).first()
    if row is None:
        raise error(missing)
    return row


def recover_kind(
    kind: str,
    running: Iterable[int],
    settle: Callable[[int], bool],
    queued: dict[str, int],
    fail_unstarted: Callable[[int], bool],
) -> int:
    """Settle each `running` run of `kind` whose lease nobody holds, and fail each `queued` one ({task id:
    pk}) whose task ended without starting it (`fail_unstarted`, True when it did): how many were settled."""
    settled = sum(settle(pk) for pk in running if not is_held(kind, pk))
    return settled + sum(bool(fail_unstarted(pk)) for pk in ended_unstarted(queued))


KINDS: dict[str, WorkKind] = {}
_kinds_lock = threading.Lock()


def register_work(kind: WorkKind) -> None:
    with _kinds_lock:
        KINDS[kind.name] = kind


def recover_all() -> int:
    """Settle every registered kind's work whose runner died (the worker does this as it starts and every
    minute)."""
    return recover_tasks() + sum(kind.recover() for kind in list(KINDS.values()))


def settle_unheld(kind: str, pk: int, settle: Callable[[], bool]) -> bool:
    """Run `settle()` (it marks work `kind`/`pk` whose runner died) while holding that work's lease, so a
    runner cannot start meanwhile; False at once when a live process holds it (the work is still running
    somewhere)."""
    lease = Lease(kind, pk)
    if is_held(kind, pk) or not lease.try_acquire():
        return False
    try:
        return settle()
    finally:
        lease.release()


def ended_unstarted(queued: dict[str, int]) -> list[int]:
    """Of queued work ({task id: pk}), the pks whose task ended (failed or succeeded) without running it."""
    if queue_backend() != DATABASE_QUEUE:
        return _ended_elsewhere(queued)
    from django_tasks_db.models import DBTaskResult  # as in recover_tasks: the tasks app's models, read late

    ended = DBTaskResult.objects.filter(id__in=list(queued), status__in=("FAILED", "SUCCESSFUL"))
    return [queued[str(task_id)] for task_id in ended.values_list("id", flat=True)]


def _ended_elsewhere(queued: dict[str, int]) -> list[int]:
    """The same, asked of a queue outside the database (Redis) one task at a time; a task the queue no longer
    knows (expired, purged) ended too."""
    from django.tasks import default_task_backend
    from django.tasks.base import TaskResultStatus
    from django.tasks.exceptions import TaskResultDoesNotExist

    ended = []
    for task_id, pk in queued.items():
        try:
            status = default_task_backend.get_result(task_id).status
        except TaskResultDoesNotExist:
            status = TaskResultStatus.FAILED
        if status in (TaskResultStatus.FAILED, TaskResultStatus.SUCCESSFUL):
            ended.append(pk)
    return ended


class WorkerDied(Exception):
    """The exception recorded on a task whose worker process died while running it."""


def recover_tasks() -> int:
    """Tasks marked running by a `fupin worker` that is no longer alive: failed, with the reason (the database
    queue; on Redis a dead worker's task is handed to a live one by the queue itself)."""
    if queue_backend() != DATABASE_QUEUE:
        return 0
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    settled = 0
    for task in DBTaskResult.objects.running().only("id", "worker_ids"):
        worker = task.worker_ids[-1] if task.worker_ids else ""
        if not worker.startswith(WORKER_PREFIX) or is_held("worker", worker):
            continue
        settled += DBTaskResult.objects.filter(pk=task.pk, status=task.status).update(
            status="FAILED",
            finished_at=timezone.now(),
            return_value=None,
            exception_class_path=f"{WorkerDied.__module__}.{WorkerDied.__qualname__}",
            traceback=f"后台任务进程 {worker} 在执行中中断（进程已退出），任务未完成。",
        )
    return settled
