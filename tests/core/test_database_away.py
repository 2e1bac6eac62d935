"""While PostgreSQL is away (restarting, its connections cut), pages answer a clear 503 in Chinese, never a
500, and once it is back they answer again without restarting fupin (issue 16, "to build" 2)."""

import psycopg
import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests import factories

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL server to cut off"),
]


def _admin_connection():
    s = connection.settings_dict
    return psycopg.connect(
        host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
        user=s["USER"],
        password=s["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


def _cut_off(admin, name: str, *, allow: bool) -> None:
    """As a restart looks from fupin: every connection to the database ended, and none accepted meanwhile."""
    admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {"true" if allow else "false"}')
    if not allow:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> "
            "pg_backend_pid()",
            [name],
        )


def test_pages_and_the_api_answer_503_while_the_database_is_away_then_recover():
    factories.make_tree()
    user = factories.make_user("county", "county", factories.VILLAGE[:6])
    client = Client(raise_request_exception=False)
    client.force_login(user)
    page, api = reverse("registry:household_list"), "/api/v1/households/"
    assert client.get(page).status_code == 200
    name = connection.settings_dict["NAME"]
    with _admin_connection() as admin:
        try:
            _cut_off(admin, name, allow=False)
            for url in (page, page, reverse("accounts:login")):
                response = client.get(url)
                assert response.status_code == 503, url
                assert "数据库暂时不可用" in response.content.decode() and response["Retry-After"]
            response = client.get(api)
            assert response.status_code == 503 and "数据库暂时不可用" in response.json()["detail"]
        finally:
            _cut_off(admin, name, allow=True)
    assert client.get(page).status_code == 200  # the same process: its connection was dropped and made again
    assert client.get(api).status_code == 200
