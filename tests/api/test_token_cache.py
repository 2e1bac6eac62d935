"""API tokens kept verified in the process (fupin.accounts.token_cache): a cached household list answered with
one query, and the bounds a revocation, a deactivation and an expiry keep (issue 19's list benchmark)."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from fupin.accounts import token_cache
from fupin.accounts.models import ApiToken
from fupin.accounts.services import issue_token, revoke_token
from tests import factories

ME = "/api/v1/me/"
LIST = "/api/v1/households/"


@pytest.fixture
def cache_on(settings):
    settings.FUPIN_API_TOKEN_CACHE_SECONDS = 10
    token_cache.clear()
    yield settings
    token_cache.clear()


class Clock:
    """time.monotonic as the token cache reads it, moved by hand."""

    def __init__(self, monkeypatch):
        self.now = 1000.0
        monkeypatch.setattr(token_cache.time, "monotonic", lambda: self.now)


def bearer(raw: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_a_cached_village_list_with_a_token_makes_one_query(
    cache_on, users, household, django_assert_num_queries
):
    _, raw = issue_token(users["county"], name="bench")
    client = bearer(raw)
    params = {"region": factories.VILLAGE, "limit": 50}
    first = client.get(LIST, params)
    assert first.status_code == 200
    with django_assert_num_queries(1):  # the list's version; the token from the process's cache
        again = client.get(LIST, params)
    assert again.json() == first.json()


def test_a_token_revoked_elsewhere_is_refused_within_the_bound(cache_on, users, monkeypatch):
    clock = Clock(monkeypatch)
    token, raw = issue_token(users["clerk"], name="script")
    assert bearer(raw).get(ME).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(revoked=True)  # another server process revoked it
    clock.now += 9.9
    assert bearer(raw).get(ME).status_code == 200  # within the stated bound
    clock.now += 0.1
    response = bearer(raw).get(ME)
    assert response.status_code == 401 and "撤销" in response.json()["detail"]


def test_a_token_revoked_here_is_refused_at_once(cache_on, users):
    token, raw = issue_token(users["clerk"], name="script")
    assert bearer(raw).get(ME).status_code == 200
    revoke_token(users["clerk"], str(token.pk))
    assert bearer(raw).get(ME).status_code == 401


def test_a_deactivated_user_is_refused_within_the_bound(cache_on, users, monkeypatch):
    clock = Clock(monkeypatch)
    _, raw = issue_token(users["clerk"], name="script")
    assert bearer(raw).get(ME).status_code == 200
    users["clerk"].is_active = False
    users["clerk"].save()
    clock.now += 10
    assert bearer(raw).get(ME).status_code == 401


def test_an_expiry_takes_effect_at_once_from_the_cache(cache_on, users, monkeypatch):
    token, raw = issue_token(users["clerk"], name="script", days=30)
    assert bearer(raw).get(ME).status_code == 200
    later = timezone.now() + datetime.timedelta(days=30, seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    response = bearer(raw).get(ME)
    assert response.status_code == 401 and "过期" in response.json()["detail"]


def test_a_wrong_token_is_never_kept_and_a_request_cannot_change_the_kept_user(cache_on, users):
    assert bearer("fp_not-a-token").get(ME).status_code == 401
    assert not token_cache._verified
    _, raw = issue_token(users["clerk"], name="script")
    first = token_cache.verified(raw)
    first.user.role = "county"
    assert token_cache.verified(raw).user.role == "village_clerk"


def test_the_last_use_is_written_once_a_minute_from_the_cache(cache_on, users, monkeypatch):
    token, raw = issue_token(users["clerk"], name="script")
    client = bearer(raw)
    client.get(ME)
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    client.get(ME)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    later = timezone.now() + datetime.timedelta(minutes=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    client.get(ME)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == later
