"""Sessions in the database, each read with its user's row in one plain SQL statement instead of two ORM
queries.

Every page reads the session and then the signed-in user; building the ORM queries costs more
than running them. The session table (fupin.core.models.Session) carries the user's id, set
whenever the session is saved; the read joins the user's row (a statement prepared on
PostgreSQL, fupin.core.db), and fupin.accounts.backends uses that row instead of reading it
again. Decoded sessions are kept per process by their signed text. Writes, expiry and
everything else are Django's database session store unchanged.
"""

import threading
from collections import OrderedDict

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import db as django_db
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.exceptions import ValidationError
from django.db import connections, router
from django.utils import timezone

from fupin.core import db
from fupin.core.user_rows import user_columns

# Decoded sessions kept by their encoded text (a pure function of it and SECRET_KEY): checking the
# signature and parsing the JSON is the costliest part of reading a session.
DECODED_ENTRIES = 2000
_SCALARS = (str, int, float, bool, type(None))


class SessionStore(django_db.SessionStore):
    _decoded: OrderedDict[bytes | str, dict] = OrderedDict()
    _decoded_lock = threading.Lock()

    # (user id, the user's row as fupin.core.user_rows.user_columns() selects it) from the last read; None if
    # none
    user_row: tuple | None = None

    @classmethod
    def get_model_class(cls) -> type[AbstractBaseSession]:
        from fupin.core.models import (
            Session,  # cycle breaker: the model names this store; and models load after settings
        )

        return Session

    def _get_session_from_db(self) -> AbstractBaseSession | None:
        self.user_row = None
        if not self.session_key:  # None or "" never matches a row
            self._session_key = None
            return None
        model = self.model
        alias = router.db_for_read(model)
        connection = connections[alias]
        user_model = model._meta.get_field("user").related_model  # type: ignore[misc]  # fupin.core.models.Session
        session_table = connection.ops.quote_name(model._meta.db_table)
        user_table = connection.ops.quote_name(user_model._meta.db_table)
        user_pk = connection.ops.quote_name(user_model._meta.pk.column)
        now = timezone.now()
        row = db.fetchone(
            alias,
            f"SELECT {session_table}.session_data, {session_table}.user_id, {user_columns(alias)} "
            f"FROM {session_table} LEFT JOIN {user_table} "
            f"ON {user_table}.{user_pk} = {session_table}.user_id "
            f"WHERE {session_table}.session_key = %s AND {session_table}.expire_date > %s",
            [self.session_key, now],
        )
        if row is None:
            self._session_key = None
            return None
        if row[1] is not None and row[2] is not None:
            self.user_row = (row[1], row[2:])
        return model(session_key=self.session_key, session_data=row[0], expire_date=now)

    def decode(self, session_data: bytes | str) -> dict:
        with self._decoded_lock:
            decoded = self._decoded.get(session_data)
            if decoded is not None:
                self._decoded.move_to_end(session_data)
                return dict(decoded)
        decoded = super().decode(session_data)
        if decoded and all(
            isinstance(v, _SCALARS) for v in decoded.values()
        ):  # a copy of the dict is then a full copy
            with self._decoded_lock:
                self._decoded[session_data] = dict(decoded)
                while len(self._decoded) > DECODED_ENTRIES:
                    self._decoded.popitem(last=False)
        return decoded

    def create_model_instance(self, data: dict) -> AbstractBaseSession:
        session = super().create_model_instance(data)
        user_id = data.get(SESSION_KEY)
        try:
            field = session._meta.get_field("user")  # type: ignore[misc]  # fupin.core.models.Session
            session.user_id = field.target_field.to_python(user_id) if user_id else None  # type: ignore[attr-defined]
        except (TypeError, ValueError, ValidationError):  # a value no user can have: the session is no one's
            session.user_id = None  # type: ignore[attr-defined]
        return session
