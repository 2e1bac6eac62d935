"""Statements every page runs, prepared on PostgreSQL: parsed and planned once per connection instead of once
a request.

Django binds parameters on the client and leaves psycopg's automatic preparing off, so the
server parses and plans each statement afresh: for the two small lookups of a cached page that
was most of PostgreSQL's time (about 120-150 µs each, 30-40 µs prepared, measured on the province).
Only the statements passed here are prepared; the rest of the product keeps Django's defaults.
"""

from typing import Any

from django.db import connections

try:
    import psycopg
except ImportError:  # SQLite only
    psycopg = None  # type: ignore[assignment]


if psycopg is not None:

    class _PreparingCursor(psycopg.Cursor):
        """Parameters bound on the server, and each statement prepared (psycopg keeps the prepared ones per
        connection)."""

        def execute(
            self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: bool | None = None
        ) -> Any:
            return super().execute(query, params, prepare=True, binary=binary)


def fetchone(alias: str, sql: str, params: list) -> tuple | None:
    """The first row of `sql` (with %s placeholders), through Django's connection: its error handling and
    query log."""
    connection = connections[alias]
    if psycopg is None or connection.vendor != "postgresql":
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchone()
    # what connection.cursor() does, with a cursor of ours in place of Django's client-side binding one
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        cursor = connection._prepare_cursor(_PreparingCursor(connection.connection))  # type: ignore[attr-defined]
    with cursor as cur:
        cur.execute(sql, params)
        return cur.fetchone()
