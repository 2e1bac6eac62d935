"""Whole columns encrypted, decrypted and blind-indexed (fupin.core.crypto), here or on a worker process.

`cryptography`'s AESSIV and hashlib's SHA-256 on short values hold the GIL: threads measured no faster than
one (2.0 µs of CPU for two values against 1.0 µs for one, in the same wall time). So a long column is split
between this process and one worker process, and the import's bulk path hands a batch's personal columns
to the worker (`submit`) and screens the next chunk meanwhile; its writer thread collects the result when it
COPYs the batch.

The worker is started by 'forkserver', never by fork: the parent holds database connections and threads a
forked child would share. It imports this module only; every job carries the keys it needs (`Keys`, a few
hundred bytes through the pool's pipe, never written anywhere), so a key `fupin rotate-keys` adds is used
from the next job on, and the worker keeps nothing between jobs but ciphers made from those keys. If the
worker cannot be started or dies, the work is done here (`result`): slower, never lost.

The functions below take their keys as arguments: fupin.core.crypto calls them with the keys in force.
"""

from __future__ import annotations

import binascii
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from hashlib import sha256
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV

PREFIX = "$"
log = logging.getLogger(__name__)

# Between the values of a "decrypt joined" job: one text through the worker's pipe instead of a million
# small ones (pickling them there and back took a third of a halved column's time).
JOINED = "\x1f"
# A column shorter than this is done here at once (`halves`): the pipe to the worker costs more than it saves.
WORKER_FROM = 20_000
# Jobs handed to the worker while the caller goes on (`submit`, the import's batches) from this many values:
# the caller does not wait for them, so only the pipe's cost in this process counts (a seventh of the work's).
SUBMIT_FROM = 2_000


class CryptoError(ValueError):
    """A stored value cannot be decrypted: unknown key id, or altered."""


@dataclass(frozen=True)
class Keys:
    """What a job needs: the blind-index key, the data keys by id, and the id new values are written with."""

    index_key: bytes
    data_keys: dict[str, bytes]
    current: str


# A job: ("encrypt", purpose, values), ("decrypt", purpose, values), ("index", purpose, values, last) with
# last how many trailing characters are indexed (0: the whole value), ("index stored", purpose, values,
# last): the index of values some of which may be stored texts (decrypted first), or ("decrypt joined",
# purpose, text): stored values parted by JOINED in one text, their values given back the same way.
Job = tuple[Any, ...]


_ciphers: dict[bytes, AESSIV] = {}


def _cipher(key: bytes) -> AESSIV:
    cipher = _ciphers.get(key)
    if cipher is None:
        if len(_ciphers) > 16:
            _ciphers.clear()
        cipher = _ciphers[key] = AESSIV(key)
    return cipher


def encrypt(keys: Keys, values: Sequence[str | None], purpose: str) -> list[str | None]:
    """Each value's stored text under the current key; "", None and already encrypted values as they are."""
    seal, aad = _cipher(keys.data_keys[keys.current]).encrypt, [purpose.encode()]
    prefix, b64 = f"{PREFIX}{keys.current}{PREFIX}", binascii.b2a_base64
    return [
        prefix + b64(seal(v.encode(), aad), newline=False).decode("ascii") if v and v[0] != PREFIX else v
        for v in values
    ]


def decrypt(keys: Keys, values: Sequence[str | None], purpose: str) -> list[str | None]:
    """Each stored text's value; text not in the encrypted form as it is."""
    aad, b64 = [purpose.encode()], binascii.a2b_base64
    openers: dict[str, Callable[[bytes, list[bytes]], bytes]] = {}
    out: list[str | None] = []
    append = out.append
    for value in values:
        if not value or value[0] != PREFIX or (cut := value.find(PREFIX, 1)) <= 1:
            append(value)
            continue
        key_id = value[1:cut]
        opener = openers.get(key_id)
        if opener is None:
            if key_id not in keys.data_keys:
                raise CryptoError(f"未知的数据密钥 {key_id}。 Unknown data key {key_id}.")
            opener = openers[key_id] = _cipher(keys.data_keys[key_id]).decrypt
        try:
            append(opener(b64(value[cut + 1 :]), aad).decode())
        except (InvalidTag, binascii.Error, UnicodeDecodeError):
            raise CryptoError(
                "数据无法解密（密钥不符或内容被改动）。 A stored value does not decrypt."
            ) from None
    return out


def index(index_key: bytes, values: Sequence[str | None], purpose: str, last: int = 0) -> list[int | None]:
    """The blind index of each value (of its `last` characters, when given): HMAC-SHA256(index key, purpose
    + NUL + value), first 8 bytes as a signed integer; None for an empty value. The HMAC's inner and outer
    states are prepared once. With `last`, each distinct tail is hashed once: a million ID numbers have at
    most 341,000 different last six characters (day, sequence, check character)."""
    inner = sha256(bytes(b ^ 0x36 for b in index_key.ljust(64, b"\0")))
    outer = sha256(bytes(b ^ 0x5C for b in index_key.ljust(64, b"\0")))
    inner.update(f"{purpose}\0".encode())
    frm = int.from_bytes

    def one(value: str) -> int:
        i = inner.copy()
        i.update(value.encode())
        o = outer.copy()
        o.update(i.digest())
        return frm(o.digest()[:8], "big", signed=True)

    if not last:
        return [one(v) if v else None for v in values]
    tails = [v[-last:] if v else None for v in values]
    known = {t: one(t) for t in dict.fromkeys(tails) if t}
    return [known[t] if t else None for t in tails]


def run(keys: Keys, jobs: Sequence[Job]) -> list[Any]:
    """The jobs' results, in order (here or in the worker): a list of values each, a text for "decrypt
    joined"."""
    out: list[Any] = []
    for kind, purpose, values, *rest in jobs:
        if kind == "encrypt":
            out.append(encrypt(keys, values, purpose))
        elif kind == "decrypt":
            out.append(decrypt(keys, values, purpose))
        elif kind == "decrypt joined":
            out.append(JOINED.join(v or "" for v in decrypt(keys, values.split(JOINED), purpose)))
        elif kind == "index":
            out.append(index(keys.index_key, values, purpose, *rest))
        elif kind == "index stored":
            out.append(index(keys.index_key, decrypt(keys, values, purpose), purpose, *rest))
        else:
            raise ValueError(kind)
    return out


def work(keys: Keys, jobs: Sequence[Job]) -> list[Any]:
    """`run`, as the worker process is given it."""
    return run(keys, jobs)


_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_pool_failed = False
_pool_owner = os.getpid()


def _worker() -> ProcessPoolExecutor | None:
    """The worker process, started on first use; None where none can be (or one could not be started). A
    process forked from one that had a worker (a server's preloaded master) starts its own."""
    global _pool, _pool_failed, _pool_owner
    if _pool_owner != os.getpid():
        _pool, _pool_failed, _pool_owner = None, False, os.getpid()
    if _pool is not None or _pool_failed or (os.cpu_count() or 1) < 2:
        return _pool
    with _lock:
        if _pool is None and not _pool_failed:
            try:
                context = multiprocessing.get_context("forkserver")
                _pool = ProcessPoolExecutor(max_workers=1, mp_context=context)
            except (OSError, ValueError):
                _pool_failed = True
    return _pool


def _forget_worker() -> None:
    """The worker died or cannot be reached: this process does the work from now on."""
    global _pool_failed
    if _pool is not None:
        log.warning("crypto worker process unavailable: columns are encrypted in this process")
    stop_worker()
    _pool_failed = True


def stop_worker() -> None:
    """End the worker process (a later column starts another)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


def warm() -> None:
    """Start the worker now (the import calls this while it reads the file), so the first batch does not wait
    for it."""
    pool = _worker()
    if pool is not None:
        try:
            pool.submit(work, Keys(b"", {}, ""), [])
        except (BrokenProcessPool, RuntimeError):
            _forget_worker()


def worker_pid() -> int | None:
    """The worker process's id (started if need be); None when this process does the work."""
    pool = _worker()
    if pool is None:
        return None
    try:
        return pool.submit(os.getpid).result(timeout=60)
    except (BrokenProcessPool, RuntimeError, TimeoutError):
        _forget_worker()
        return None


def _size(jobs: Sequence[Job]) -> int:
    return sum(len(job[2]) for job in jobs)


def submit(keys: Keys, jobs: Sequence[Job]) -> Future:
    """The jobs' results to come (`result`): on the worker when they are long enough and it runs, else done
    here at once."""
    pool = _worker() if _size(jobs) >= SUBMIT_FROM else None
    if pool is not None:
        try:
            return pool.submit(work, keys, jobs)
        except (BrokenProcessPool, RuntimeError):
            _forget_worker()
    done: Future = Future()
    done.set_result(run(keys, jobs))
    return done


def result(future: Future, keys: Keys, jobs: Sequence[Job]) -> list[Any]:
    """What `submit` returned, once done; the jobs run here if the worker died with them."""
    try:
        return future.result()
    except BrokenProcessPool:
        _forget_worker()
        return run(keys, jobs)


def halves(keys: Keys, kind: str, values: list, purpose: str, *rest: int) -> list:
    """One column's job with half its values on the worker and half here, at once: a long column in about
    half the time when a core is free."""
    if len(values) < 2 * WORKER_FROM or _worker() is None:
        return run(keys, [(kind, purpose, values, *rest)])[0]
    cut = len(values) // 2
    far_values = values[cut:]
    joined = _joined(far_values) if kind == "decrypt" else None
    far = [(kind, purpose, far_values, *rest)] if joined is None else [("decrypt joined", purpose, joined)]
    future = submit(keys, far)
    near = run(keys, [(kind, purpose, values[:cut], *rest)])[0]
    got = result(future, keys, far)[0]
    if joined is not None:
        got = got.split(JOINED)
        if len(got) != len(far_values):  # a value decrypted holds the separator: done here, one by one
            got = run(keys, [(kind, purpose, far_values, *rest)])[0]
    return near + got


def _joined(values: list) -> str | None:
    """The values parted by JOINED in one text; None when one is None or holds the separator itself."""
    try:
        text = JOINED.join(values)
    except TypeError:
        return None
    return text if text.count(JOINED) == len(values) - 1 else None
