"""Who may call the API: a bearer token that works, or the signed-in session (with CSRF for writes)."""

import datetime

import pytest
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from django.utils import timezone

from fupin.accounts.models import ApiToken
from fupin.accounts.services import issue_token, revoke_token
from fupin.audit.models import AuditEntry
from fupin.registry.models import Household
from tests import factories

ME = "/api/v1/me/"


def bearer(raw: str, **kwargs) -> Client:
    return Client(headers={"Authorization": f"Bearer {raw}"}, **kwargs)


def new_household_body():
    return {"village": factories.VILLAGE, "primary_cause": "illness"}


def test_token_authenticates_as_its_user(users):
    _, raw = issue_token(users["clerk"], name="phone")
    response = bearer(raw).get(ME)
    assert response.status_code == 200
    assert response.json()["username"] == "clerk"
    assert response["Content-Type"].startswith("application/json")


def test_token_last_used_is_written_at_most_once_a_minute(users):
    token, raw = issue_token(users["clerk"], name="phone")
    client = bearer(raw)
    client.get(ME)
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get(ME)
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - datetime.timedelta(minutes=2))
    client.get(ME)
    token.refresh_from_db()
    assert token.last_used_at > first


def test_revoked_token_is_refused(users):
    token, raw = issue_token(users["clerk"], name="phone")
    revoke_token(users["clerk"], str(token.pk))
    response = bearer(raw).get(ME)
    assert response.status_code == 401
    assert "撤销" in response.json()["detail"]


def test_inactive_users_token_is_refused(users):
    _, raw = issue_token(users["clerk"], name="phone")
    users["clerk"].is_active = False
    users["clerk"].save()
    assert bearer(raw).get(ME).status_code == 401


@pytest.mark.parametrize(
    "header", ["Bearer fp_not-a-token", "Bearer", "Bearer   ", "Token abc", "Basic dXNlcjpwdw==", "fp_xyz"]
)
def test_bad_authorization_header_is_401(users, header):
    response = Client(headers={"Authorization": header}).get(ME)
    assert response.status_code == 401
    assert "detail" in response.json()


def test_no_credentials_is_401_json_for_reads_and_writes(users):
    client = Client(enforce_csrf_checks=True)
    for response in (
        client.get(ME),
        client.post("/api/v1/households/", new_household_body(), content_type="application/json"),
    ):
        assert response.status_code == 401
        assert response.json()["detail"]
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert not Household.objects.exists()


def test_session_user_can_read(users):
    client = Client()
    client.force_login(users["township"])
    response = client.get(ME)
    assert response.status_code == 200
    assert response.json()["username"] == "township"


def test_session_write_needs_the_csrf_token(users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["clerk"])
    response = client.post("/api/v1/households/", new_household_body(), content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not Household.objects.exists()

    secret = _get_new_csrf_string()
    client.cookies["csrftoken"] = secret
    response = client.post(
        "/api/v1/households/",
        new_household_body(),
        content_type="application/json",
        headers={"X-CSRFToken": secret},
    )
    assert response.status_code == 201, response.content
    assert Household.objects.count() == 1


def test_token_writes_need_no_csrf(users):
    _, raw = issue_token(users["clerk"], name="script")
    client = bearer(raw, enforce_csrf_checks=True)
    response = client.post("/api/v1/households/", new_household_body(), content_type="application/json")
    assert response.status_code == 201
    entry = AuditEntry.objects.filter(action="create").get()
    assert entry.username == "clerk"


def test_a_bad_token_is_not_rescued_by_the_session(users):
    client = Client(headers={"Authorization": "Bearer fp_wrong"})
    client.force_login(users["clerk"])
    assert client.get(ME).status_code == 401


def test_token_wins_over_a_session_of_another_user(users):
    _, raw = issue_token(users["county"], name="script")
    client = bearer(raw)
    client.force_login(users["clerk"])
    assert client.get(ME).json()["username"] == "county"
