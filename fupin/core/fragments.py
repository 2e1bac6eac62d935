"""Rendered HTML kept in the cache under the version of the data it was rendered from.

A caller reads the data's version first (e.g. a token the database changes on every write),
then looks the fragment up under a key built from that version and every other input of the
render; a miss renders and stores. So a stored fragment is never served for data newer than
it, and nothing needs deleting: old versions are simply no longer asked for and expire.

Pages carry per-request values that must not be cached (the CSRF token); they are rendered
as marks and put in when the page is served.
"""
import hashlib
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.cache import cache as default_cache
from django.middleware.csrf import get_token
from django.utils.crypto import salted_hmac

TIMEOUT = 6 * 3600


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
    """What a cached page holds where the request's CSRF token goes: unguessable, so no user input can forge it."""
    return "csrf" + salted_hmac("fupin.core.fragments", "csrf-mark", algorithm="sha256").hexdigest()[:28]


def key(*parts) -> str:
    """A cache key for the fragment that `parts` (the data version and every other input) determine."""
    # the mark too: a page cached under another SECRET_KEY holds a mark this process would not replace
    digest = hashlib.blake2b("\x1f".join(map(str, (csrf_mark(), *parts))).encode(), digest_size=16).hexdigest()
    return f"fragment:{code_version()}:{digest}"


def get(fragment_key: str) -> str | None:
    return default_cache.get(fragment_key)


def put(fragment_key: str, html: str) -> None:
    default_cache.set(fragment_key, str(html), TIMEOUT)


def with_csrf_token(request, html: str) -> str:
    """The page with the request's own CSRF token where it was rendered as csrf_mark()."""
    return html.replace(csrf_mark(), get_token(request))
