"""Tokens with scopes (issue 19): read-only or read-write per area, a department liaison's token limited to
its lists, and a rate limit per token answered with 429 and Retry-After."""

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from fupin.accounts.services import AccountError, issue_token

ME = "/api/v1/me/"
HOUSEHOLDS = "/api/v1/households/"
BATCHES = "/api/v1/procedures/batches/"


def bearer(user, **kwargs) -> Client:
    _, raw = issue_token(user, name="scoped", **kwargs)
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_a_token_reaches_only_the_areas_it_names_and_reads_where_it_may_only_read(users, household):
    client = bearer(users["clerk"], scopes={"registry": "read", "procedures": "write"})
    assert client.get(HOUSEHOLDS).status_code == 200
    assert client.get(ME).status_code == 200  # no area: open to every token
    refused = client.post(HOUSEHOLDS, {"village": household.village_id}, content_type="application/json")
    assert (
        refused.status_code == 403
        and refused.json()["code"] == "forbidden"
        and "registry" in refused.json()["detail"]
    )
    assert client.get("/api/v1/funds/loans/").status_code == 403
    assert client.get(BATCHES).status_code == 200
    made = client.post(
        BATCHES,
        {"village": household.village_id, "kind": "identification", "year": 2025},
        content_type="application/json",
    )
    assert made.status_code == 201


def test_a_token_without_scopes_reaches_every_area_and_a_read_only_one_writes_nothing(users, household):
    client = bearer(users["clerk"])
    for path in (HOUSEHOLDS, BATCHES, "/api/v1/assistance/visits/", "/api/v1/monitoring/problems/"):
        assert client.get(path).status_code == 200, path
    read_only = bearer(users["clerk"], read_only=True, scopes={"procedures": "write"})
    response = read_only.post(
        BATCHES,
        {"village": household.village_id, "kind": "identification", "year": 2025},
        content_type="application/json",
    )
    assert response.status_code == 403 and "只读" in response.json()["detail"]


def test_unknown_areas_and_levels_are_refused_when_issuing(users):
    with pytest.raises(AccountError):
        issue_token(users["clerk"], name="x", scopes={"everything": "write"})
    with pytest.raises(AccountError):
        issue_token(users["clerk"], name="x", scopes={"registry": "admin"})


def test_a_liaison_token_only_uploads_lists_and_reads_its_own(users):
    client = bearer(users["liaison"])
    assert client.get("/api/v1/monitoring/cross-checks/").status_code == 200
    for path in (HOUSEHOLDS, BATCHES, "/api/v1/monitoring/findings/", "/api/v1/statistics/dashboard/"):
        response = client.get(path)
        assert response.status_code == 403 and "部门联络员" in response.json()["detail"], path


@override_settings(FUPIN_API_RATE_LIMIT=3, FUPIN_API_RATE_WINDOW=60)
def test_more_requests_than_the_limit_answer_429_with_retry_after(users):
    cache.clear()
    client, other = bearer(users["clerk"]), bearer(users["township"])
    assert [client.get(ME).status_code for _ in range(3)] == [200, 200, 200]
    limited = client.get(ME)
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"
    assert 1 <= int(limited["Retry-After"]) <= 60 and "请求过于频繁" in limited.json()["detail"]
    assert other.get(ME).status_code == 200  # counted per token


def test_the_token_page_issues_a_scoped_token(client, users):
    client.force_login(users["clerk"])
    response = client.post(
        "/accounts/tokens/", {"name": "脚本", "days": "90", "scope_registry": "read", "scope_funds": ""}
    )
    assert response.status_code == 200
    token = users["clerk"].api_tokens.get()
    assert token.scopes == {"registry": "read"}
    assert "registry（只读）" in response.content.decode()


def test_a_tokens_refusals_read_in_the_callers_language(users, household):
    """Issue 15: a token's refusals (scope, read-only, invalid) were Chinese to a caller wanting English."""
    english = {"HTTP_ACCEPT_LANGUAGE": "en"}
    body = {"village": household.village_id}
    scoped = bearer(users["clerk"], scopes={"registry": "read"})
    refused = scoped.post(HOUSEHOLDS, body, content_type="application/json", **english)
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith(
        "This token's scope does not include writing to the “registry” area"
    )
    read_only = bearer(users["clerk"], read_only=True)
    refused = read_only.post(HOUSEHOLDS, body, content_type="application/json", **english)
    assert refused.json()["detail"] == "A read-only token cannot change data: use a token that can write"
    unknown = Client(headers={"Authorization": "Bearer fp_nothing"}).get(HOUSEHOLDS, **english)
    assert unknown.status_code == 401 and "The API token is invalid or revoked" in unknown.content.decode()
