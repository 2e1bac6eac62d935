"""Signing in and finding the signed-in user: Django's ModelBackend, with the user's row read by plain SQL.

Every page loads its user; building the ORM query for it costs more than running it. The row is
read afresh on every request all the same, so django.contrib.auth's checks keep their effect at
once: an inactive user is refused, and a changed password (logout elsewhere, reset) no longer
matches the session's hash.
"""

from contextvars import ContextVar

from axes.backends import AxesStandaloneBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db import connections, router

from fupin.core import db
from fupin.core.user_rows import user_columns, user_from_row

# The request's session while the auth middleware finds its user (fupin.accounts.middleware): a session
# store of fupin.core.sessions has read the user's row with the session, as `user_row`.
request_session: ContextVar = ContextVar("request_session", default=None)


class LockoutBackend(AxesStandaloneBackend):
    """django-axes's check in front of the password: a locked account or address is refused before it is
    tried.

    Only sign-ins through a request are counted and locked (the login form, the admin's): code that
    authenticates without one (a shell, the test client's login()) is not a caller at a form, and
    django-axes could not tell its address anyway.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class UserBackend(ModelBackend):
    """ModelBackend whose get_user() costs one plain SQL statement, or none when the session brought the
    row."""

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
            row = db.fetchone(
                alias,
                f"SELECT {user_columns(alias)} FROM {table} "
                f"WHERE {table}.{connection.ops.quote_name(model._meta.pk.column)} = %s",
                [pk],
            )
            if row is None:
                return None
        user = user_from_row(alias, row)
        return user if self.user_can_authenticate(user) else None
