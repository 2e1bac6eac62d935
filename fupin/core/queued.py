"""Sealed values waiting in the task queue (issue 17): a text message's phone (fupin.core.sms) is put into its
task's arguments encrypted, and a message may wait there, unsent or to be retried, while `fupin rotate-keys`
moves the registry to a new key. Were it left under the old key, retiring that key would leave the message
unsendable; so rotate-keys rewrites these arguments under the current key too, on the database queue
(django-tasks-db's rows) and on Redis (django-tasks-redis's task hashes), each task compared and set, so a
task a worker has just claimed or finished is left as the worker wrote it.

A queued argument carries no purpose of its own: PURPOSES lists those fupin seals task arguments with, and a
value is opened with the one it was sealed with (AES-SIV refuses the others)."""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction

from . import crypto, work
from .sms import TASK_PURPOSE

PURPOSES = (TASK_PURPOSE,)
BATCH = 500


def _old(value: str) -> bool:
    return crypto.is_encrypted(value) and crypto.key_id_of(value) != crypto.keyring().current


def reseal(value: Any) -> Any:
    """`value` (task arguments as JSON holds them) with every sealed string under an older key sealed again
    under the current one; a value no purpose opens is left as it is (`pending` still counts it)."""
    if isinstance(value, str):
        if not _old(value):
            return value
        for purpose in PURPOSES:
            try:
                return crypto.reencrypt(value, purpose)
            except crypto.CryptoError:
                continue
        return value
    if isinstance(value, list):
        return [reseal(v) for v in value]
    if isinstance(value, dict):
        return {k: reseal(v) for k, v in value.items()}
    return value


def _holds_old(value: Any) -> bool:
    if isinstance(value, str):
        return _old(value)
    if isinstance(value, list):
        return any(_holds_old(v) for v in value)
    if isinstance(value, dict):
        return any(_holds_old(v) for v in value.values())
    return False


def _old_key_patterns() -> list[str]:
    ring = crypto.keyring()
    return [f"{crypto.PREFIX}{k}{crypto.PREFIX}" for k in ring.data_keys if k != ring.current]


def _database_rows(*, lock: bool) -> Any:
    from django.db.models import Q
    from django_tasks_db.models import DBTaskResult

    patterns = _old_key_patterns()
    if not patterns:
        return DBTaskResult.objects.none()
    where = Q()
    for pattern in patterns:
        where |= Q(args_kwargs__icontains=pattern)
    rows = DBTaskResult.objects.filter(where).order_by("pk")
    return rows.select_for_update() if lock else rows


def reseal_database_queue() -> int:
    """Rewrite the database queue's task arguments that hold a value under an older key, a locked batch at a
    time walked by id; the tasks written."""
    written, last = 0, None
    while True:
        with transaction.atomic():
            rows = _database_rows(lock=True).only("pk", "args_kwargs")
            rows = list((rows.filter(pk__gt=last) if last else rows)[:BATCH])
            changed = []
            for row in rows:
                sealed = reseal(row.args_kwargs)
                if sealed != row.args_kwargs:
                    row.args_kwargs = sealed
                    changed.append(row)
            if changed:
                type(changed[0]).objects.bulk_update(changed, ["args_kwargs"])
        written += len(changed)
        if len(rows) < BATCH:
            return written
        last = rows[-1].pk


def _redis_backend() -> Any:
    from django.tasks import task_backends

    return task_backends["default"] if work.queue_backend() == work.REDIS_QUEUE else None


def _redis_tasks(backend: Any) -> tuple[Any, list[str]]:
    from django_tasks_redis.utils import get_result_key, get_results_index_key

    client = backend.get_client()
    ids = sorted(
        i.decode() if isinstance(i, bytes) else i
        for i in client.smembers(get_results_index_key(backend.key_prefix, backend.alias))
    )
    return client, [get_result_key(backend.key_prefix, backend.alias, i) for i in ids]


def _redis_arguments(client: Any, key: str) -> dict[str, Any]:
    raw = client.hmget(key, ["args_json", "kwargs_json"])
    return {
        name: json.loads(value)
        for name, value in zip(("args_json", "kwargs_json"), raw, strict=True)
        if value
    }


def reseal_redis_queue() -> int:
    """The same on the Redis queue: each task's hash watched, read, and set in one transaction (a worker that
    changed it meanwhile makes the transaction fail; the task is read again)."""
    import redis

    backend = _redis_backend()
    if backend is None:
        return 0
    client, keys = _redis_tasks(backend)
    written = 0
    for key in keys:
        for _attempt in range(5):
            with client.pipeline() as pipe:
                try:
                    pipe.watch(key)
                    arguments = _redis_arguments(pipe, key)
                    sealed = {name: reseal(value) for name, value in arguments.items()}
                    if sealed == arguments:
                        pipe.unwatch()
                        break
                    pipe.multi()
                    pipe.hset(key, mapping={n: json.dumps(v) for n, v in sealed.items()})
                    pipe.execute()
                    written += 1
                    break
                except redis.WatchError:
                    continue
    return written


def reseal_queues() -> int:
    """Both queues: the tasks rewritten."""
    return reseal_database_queue() + reseal_redis_queue()


def pending() -> int:
    """How many queued tasks still hold a value under a key other than the current one."""
    left = sum(
        1 for row in _database_rows(lock=False).only("pk", "args_kwargs") if _holds_old(row.args_kwargs)
    )
    backend = _redis_backend()
    if backend is not None:
        client, keys = _redis_tasks(backend)
        left += sum(1 for key in keys if _holds_old(_redis_arguments(client, key)))
    return left
