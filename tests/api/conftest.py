"""Clients for the JSON API: one per user, authenticated with a bearer token."""

import json

import pytest
from django.test import Client

from fupin.accounts.services import issue_token
from tests import factories


class ApiClient:
    """A test client that speaks JSON: dicts are sent as JSON bodies, raw strings as they are."""

    def __init__(self, client: Client):
        self.client = client

    def _send(self, method: str, path: str, data=None, **extra):
        if data is None:
            return getattr(self.client, method)(path, **extra)
        body = data if isinstance(data, (str, bytes)) else json.dumps(data, ensure_ascii=False)
        return getattr(self.client, method)(path, data=body, content_type="application/json", **extra)

    def get(self, path: str, params=None, **extra):
        return self.client.get(path, params or {}, **extra)

    def post(self, path, data=None, **extra):
        return self._send("post", path, data, **extra)

    def _based(self, method, path, data=None, **extra):
        """As a client does: GET the record for its ETag and send it as If-Match (unless the test gives its
        own; none when the record does not exist yet, as a year's income a PUT creates)."""
        if "HTTP_IF_MATCH" not in extra and "headers" not in extra:
            etag = self.client.get(path).get("ETag")
            if etag:
                extra["HTTP_IF_MATCH"] = etag
        return self._send(method, path, data, **extra)

    def patch(self, path, data=None, **extra):
        return self._based("patch", path, data, **extra)

    def put(self, path, data=None, **extra):
        return self._based("put", path, data, **extra)

    def delete(self, path, data=None, **extra):
        return self._send("delete", path, data, **extra)


def token_client(user) -> ApiClient:
    _, raw = issue_token(user, name="tests")
    return ApiClient(Client(headers={"Authorization": f"Bearer {raw}"}))


@pytest.fixture
def api(users):
    """api("clerk") → a JSON client authenticated as that user (or pass a User)."""
    made = {}

    def client_for(user) -> ApiClient:
        user = users[user] if isinstance(user, str) else user
        if user.pk not in made:
            made[user.pk] = token_client(user)
        return made[user.pk]

    return client_for


@pytest.fixture
def household(tree):
    """A poor household of factories.VILLAGE with a head and one son, income recorded for 2025."""
    h = factories.make_household(phone="13812345678", bank_account="6217001234567890123")
    h.refresh_from_db()
    return h
