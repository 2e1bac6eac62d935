"""Rendered HTML kept in the cache under the version of the data it was rendered from.

A caller reads the data's version first (e.g. a token the database changes on every write),
then looks the fragment up under a key built from that version and every other input of the
render; a miss renders and stores. So a stored fragment is never served for data newer than
it, and nothing needs deleting: old versions are simply no longer asked for and expire.

Pages carry per-request values that must not be cached (the CSRF token); they are rendered
as marks and put in when the page is served.

A key names one content for good (the version and every input are in it), so each process also
keeps the fragments it used last in its own memory, in front of the shared cache.
"""

import hashlib
import os
import threading
from collections import OrderedDict
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.cache import cache as default_cache
from django.http import HttpRequest
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token
from django.utils.crypto import salted_hmac

TIMEOUT = 6 * 3600
# Fragments each process keeps in its own memory: a full page of results is about 30 kB, the rest of a page 6
# kB, so 1,000 take 36 MB at most.
LOCAL_ENTRIES = int(os.environ.get("FUPIN_LOCAL_FRAGMENTS", "1000"))


@cache
def code_version() -> str:
    """A digest of the templates, translations and Python code of the product.

    Part of every key, so a cache that outlives the process (Redis) never serves a page
    rendered by older code or templates after an upgrade.
    """
    digest = hashlib.blake2b(digest_size=8)
    for path in sorted(Path(settings.BASE_DIR).rglob("*")):
        if path.suffix in (".html", ".py", ".mo") and "migrations" not in path.parts:
            digest.update(path.read_bytes())
    return digest.hexdigest()


@cache
def csrf_mark() -> str:
    """What a cached page holds where the request's CSRF token goes: unguessable, so no user input can forge
    it."""
    return "csrf" + salted_hmac("fupin.core.fragments", "csrf-mark", algorithm="sha256").hexdigest()[:28]


def key(*parts: object) -> str:
    """A cache key for the fragment that `parts` (the data version and every other input) determine."""
    # the mark too: a page cached under another SECRET_KEY holds a mark this process would not replace
    digest = hashlib.blake2b(
        "\x1f".join(map(str, (csrf_mark(), *parts))).encode(), digest_size=16
    ).hexdigest()
    return f"fragment:{code_version()}:{digest}"


_local: OrderedDict[str, str] = OrderedDict()
_local_lock = threading.Lock()


def _remember(fragment_key: str, html: str) -> None:
    with _local_lock:
        _local[fragment_key] = html
        while len(_local) > LOCAL_ENTRIES:
            _local.popitem(last=False)


def get(fragment_key: str) -> str | None:
    with _local_lock:
        html = _local.get(fragment_key)
        if html is not None:
            _local.move_to_end(fragment_key)
            return html
    html = default_cache.get(fragment_key)
    if html is not None:
        _remember(fragment_key, html)
    return html


def put(fragment_key: str, html: str) -> None:
    html = str(html)
    default_cache.set(fragment_key, html, TIMEOUT)
    _remember(fragment_key, html)


def forget_local() -> None:
    """Empty this process's own copies (tests that empty the shared cache to render afresh)."""
    with _local_lock:
        _local.clear()


_CHAR_INDEX = {c: i for i, c in enumerate(CSRF_ALLOWED_CHARS)}
_CHARS = len(CSRF_ALLOWED_CHARS)
_UNBIASED = 256 - 256 % _CHARS  # random bytes at or above it are dropped, so each character is equally likely


def csrf_token(request: HttpRequest) -> str:
    """What django.middleware.csrf.get_token(request) returns — the secret under a fresh random mask —
    cheaper.

    Django draws the mask one character at a time from random.SystemRandom (an os.urandom call
    each); here the 32 characters come from one os.urandom read. The token is Django's format,
    checked by Django's CsrfViewMiddleware.
    """
    secret = request.META.get("CSRF_COOKIE")
    if secret is None or len(secret) != CSRF_SECRET_LENGTH or not all(c in _CHAR_INDEX for c in secret):
        return get_token(request)  # no cookie yet: Django makes the secret and sets the cookie
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = (
        True  # as get_token: the cookie is sent again, renewing its expiry
    )
    mask: list[int] = []
    while len(mask) < CSRF_SECRET_LENGTH:
        mask += [b % _CHARS for b in os.urandom(2 * CSRF_SECRET_LENGTH) if b < _UNBIASED]
    mask = mask[:CSRF_SECRET_LENGTH]
    chars = CSRF_ALLOWED_CHARS
    return "".join(chars[m] for m in mask) + "".join(
        chars[(_CHAR_INDEX[c] + m) % _CHARS] for c, m in zip(secret, mask, strict=True)
    )


def with_csrf_token(request: HttpRequest, html: str) -> str:
    """The page with the request's own CSRF token where it was rendered as csrf_mark()."""
    return html.replace(csrf_mark(), csrf_token(request))
