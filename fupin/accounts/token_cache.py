"""API tokens verified once and kept in the process for a few seconds, so a request with a token it has just
shown makes no query for it (issue 19: the household list's cached answer made two queries, the token's one).

What the cache changes, and the bound it keeps:
- A token's expiry takes effect at once: the expiry time is kept and compared on every request.
- A revocation through `accounts.services.revoke_token` takes effect at once in the process that made it, and
  within settings.FUPIN_API_TOKEN_CACHE_SECONDS (default 10) in every other process of the server.
- A user deactivated, or given another role or region, likewise within FUPIN_API_TOKEN_CACHE_SECONDS.
0 turns the cache off. A token that does not verify is never kept: each try at a wrong token reads the table.
"""

import copy
import threading
import time

from django.conf import settings

from .models import ApiToken, hash_token

# Tokens kept at most, per process: past it the oldest go (a server has a few dozen callers).
MAX_TOKENS = 1000

_verified: dict[str, tuple[float, ApiToken]] = {}
_lock = threading.Lock()


def verified(raw: str) -> ApiToken | None:
    """The live token `raw` names, with its user and the user's region, or None (unknown, revoked, or its user
    inactive). Each call gets its own copy: a request may set attributes on the token or its user."""
    key_hash = hash_token(raw)
    seconds = settings.FUPIN_API_TOKEN_CACHE_SECONDS
    now = time.monotonic()
    hit = _verified.get(key_hash)
    if hit is not None and now - hit[0] < seconds:
        return _copy(hit[1])
    token = (
        ApiToken.objects.select_related("user", "user__region")
        .filter(key_hash=key_hash, revoked=False)
        .first()
    )
    if token is None or not token.user.is_active:
        forget(key_hash)
        return None
    if seconds > 0:
        with _lock:
            _verified[key_hash] = (now, token)
            while len(_verified) > MAX_TOKENS:
                del _verified[next(iter(_verified))]
    return _copy(token)


def _copy(token: ApiToken) -> ApiToken:
    mine = copy.copy(token)  # Model.__reduce__: its own field cache, so setting mine.user leaves the kept one
    mine.user = copy.copy(token.user)
    return mine


def used(token: ApiToken) -> None:
    """Note on the kept token the last use just written, so the next request does not write it again."""
    hit = _verified.get(token.key_hash)
    if hit is not None:
        hit[1].last_used_at = token.last_used_at


def forget(key_hash: str) -> None:
    """Drop a token from this process's cache (revoked here: refused from the next request on)."""
    with _lock:
        _verified.pop(key_hash, None)


def clear() -> None:
    with _lock:
        _verified.clear()
