"""Signing in and finding the signed-in user: Django's ModelBackend, with the user's row read by plain SQL.

Every page loads its user; building the ORM query for it costs more than running it. The row is
read afresh on every request all the same, so django.contrib.auth's checks keep their effect at
once: an inactive user is refused, and a changed password (logout elsewhere, reset) no longer
matches the session's hash.
"""
from contextvars import ContextVar
from functools import cache

from axes.backends import AxesStandaloneBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db import connections, router

from fupin.core import db

# The request's session while the auth middleware finds its user (fupin.accounts.middleware): a session
# store of fupin.core.sessions has read the user's row with the session, as `user_row`.
request_session: ContextVar = ContextVar("request_session", default=None)


@cache
def _user_select(alias: str, vendor: str) -> tuple[str, list[str], list[tuple]]:
    """The user's columns in model order, the SELECT list naming them, and the converters the ORM would apply."""
    model = get_user_model()
    connection = connections[alias]
    table = connection.ops.quote_name(model._meta.db_table)
    fields = model._meta.concrete_fields
    select = ", ".join(f"{table}.{connection.ops.quote_name(f.column)}" for f in fields)
    converters = []
    for i, field in enumerate(fields):
        col = field.get_col(model._meta.db_table)
        found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        if found:
            converters.append((i, found, col))
    return select, [f.attname for f in fields], converters


def user_columns(alias: str) -> str:
    """The SELECT list of a user row that user_from_row() reads (for a query joining the user table)."""
    return _user_select(alias, connections[alias].vendor)[0]


def user_from_row(alias: str, row):
    """A user instance from the columns that user_columns() selects, converted as the ORM would."""
    _, attnames, converters = _user_select(alias, connections[alias].vendor)
    connection = connections[alias]
    if converters:
        row = list(row)
        for i, funcs, col in converters:
            value = row[i]
            for func in funcs:
                value = func(value, col, connection)
            row[i] = value
    return get_user_model().from_db(alias, attnames, row)


class LockoutBackend(AxesStandaloneBackend):
    """django-axes's check in front of the password: a locked account or address is refused before it is tried.

    Only sign-ins through a request are counted and locked (the login form, the admin's): code that
    authenticates without one (a shell, the test client's login()) is not a caller at a form, and
    django-axes could not tell its address anyway.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class UserBackend(ModelBackend):
    """ModelBackend whose get_user() costs one plain SQL statement, or none when the session brought the row."""

    def get_user(self, user_id):
        model = get_user_model()
        try:
            pk = model._meta.pk.to_python(user_id)
        except (TypeError, ValueError, ValidationError):
            return None
        alias = router.db_for_read(model)
        prefetched = getattr(request_session.get(), "user_row", None)
        if prefetched is not None and prefetched[0] == pk:
            row = prefetched[1]
        else:
            connection = connections[alias]
            table = connection.ops.quote_name(model._meta.db_table)
            row = db.fetchone(alias, f"SELECT {user_columns(alias)} FROM {table} "
                                     f"WHERE {table}.{connection.ops.quote_name(model._meta.pk.column)} = %s", [pk])
            if row is None:
                return None
        user = user_from_row(alias, row)
        return user if self.user_can_authenticate(user) else None
