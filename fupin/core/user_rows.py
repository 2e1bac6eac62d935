"""The signed-in user's row read by plain SQL: the SELECT list of the user table, and a user built from it as
the ORM would. The session store (fupin.core.sessions) reads the row with the session; the authentication
backend (fupin.accounts.backends) builds the user from it, or reads the row itself."""

from collections.abc import Sequence
from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connections


@cache
def _user_select(alias: str, vendor: str) -> tuple[str, list[str], list[tuple]]:
    """The user's columns in model order, the SELECT list naming them, and the converters the ORM would
    apply."""
    model = get_user_model()
    connection = connections[alias]
    table = connection.ops.quote_name(model._meta.db_table)
    fields = model._meta.concrete_fields
    select = ", ".join(f"{table}.{connection.ops.quote_name(f.column or '')}" for f in fields)
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


def user_from_row(alias: str, row: Sequence[Any]) -> Any:
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
