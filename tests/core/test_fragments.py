"""Rendered fragments kept per process in front of the shared cache, and the CSRF token put into cached
pages."""

from django.core.cache import cache
from django.middleware.csrf import CSRF_SECRET_LENGTH, _unmask_cipher_token
from django.test import RequestFactory

from fupin.core import fragments


def test_a_fragment_once_read_is_kept_in_the_process():
    fragments.forget_local()
    key = fragments.key("test", "a")
    cache.set(key, "<p>one</p>")
    assert fragments.get(key) == "<p>one</p>"
    cache.delete(key)
    assert fragments.get(key) == "<p>one</p>"  # a key names one content for good
    fragments.forget_local()
    assert fragments.get(key) is None


def test_the_process_keeps_only_the_last_fragments_used(monkeypatch):
    fragments.forget_local()
    monkeypatch.setattr(fragments, "LOCAL_ENTRIES", 3)
    keys = [fragments.key("test", n) for n in range(5)]
    for n, key in enumerate(keys[:3]):
        fragments.put(key, f"<p>{n}</p>")
    fragments.get(keys[0])  # used again: kept
    fragments.put(keys[3], "<p>3</p>")
    cache.clear()
    assert fragments.get(keys[0]) == "<p>0</p>" and fragments.get(keys[1]) is None
    fragments.forget_local()


def test_the_csrf_token_masks_the_cookies_secret_afresh_each_time():
    request = RequestFactory().get("/")
    request.META["CSRF_COOKIE"] = "a" * CSRF_SECRET_LENGTH
    tokens = {fragments.csrf_token(request) for _ in range(50)}
    assert len(tokens) == 50 and {_unmask_cipher_token(t) for t in tokens} == {"a" * CSRF_SECRET_LENGTH}
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True


def test_without_a_csrf_cookie_the_token_is_djangos_new_one():
    request = RequestFactory().get("/")
    token = fragments.csrf_token(request)
    assert (
        _unmask_cipher_token(token) == request.META["CSRF_COOKIE"]
        and request.META["CSRF_COOKIE_NEEDS_UPDATE"]
    )
