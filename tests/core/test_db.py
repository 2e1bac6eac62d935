"""Prepared statements for the lookups every page makes (fupin.core.db)."""

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from fupin.core import db

pytestmark = pytest.mark.django_db


def test_a_prepared_lookup_reads_what_a_plain_one_reads_and_is_logged(users):
    sql = "SELECT username, is_active, date_joined FROM accounts_user WHERE id = %s /* fupin-prepared-test */"
    with connection.cursor() as cur:
        cur.execute(sql, [users["clerk"].pk])
        plain = cur.fetchone()
    with CaptureQueriesContext(connection) as queries:
        assert db.fetchone("default", sql, [users["clerk"].pk]) == plain
        assert db.fetchone("default", sql, [-1]) is None
    assert len(queries.captured_queries) == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_on_postgresql_the_statement_is_prepared_once_per_connection(users):
    sql = "SELECT username FROM accounts_user WHERE id = %s /* fupin-prepared-once */"
    for _ in range(3):
        db.fetchone("default", sql, [users["clerk"].pk])
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%fupin-prepared-once%"]
        )
        assert cur.fetchone()[0] == 1


def test_a_failing_statement_raises_djangos_error(users):
    with pytest.raises(DatabaseError):
        db.fetchone("default", "SELECT no_such_column FROM accounts_user WHERE id = %s", [1])
