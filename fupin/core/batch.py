"""Work repeated many times in one request (a phone's sync of hundreds of changes): a read that cannot change
within the batch is made once and remembered until the batch ends. Outside a batch nothing is remembered, so
every other caller reads afresh as before."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_memo: ContextVar[dict | None] = ContextVar("fupin_batch_memo", default=None)


@contextmanager
def batch() -> Iterator[dict]:
    """Remember reads until the block ends (nested blocks share the outer one's memory)."""
    if _memo.get() is not None:
        yield _memo.get() or {}
        return
    token = _memo.set({})
    try:
        yield _memo.get() or {}
    finally:
        _memo.reset(token)


def remember(key: Any, value: Any) -> None:
    """Keep `value` under `key` for the batch (nothing outside one)."""
    memo = _memo.get()
    if memo is not None:
        memo[key] = value


def recall(key: Any, default: Any = None) -> Any:
    memo = _memo.get()
    return default if memo is None else memo.get(key, default)


def remembered[T](key: Any, compute: Callable[[], T]) -> T:
    """`compute()` once per batch for `key`; every call outside a batch computes afresh."""
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]
