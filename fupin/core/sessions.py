"""Sessions in the database, read with one plain SQL statement instead of an ORM query.

Every page reads the session; building the ORM query costs more than running it. Writes,
expiry and everything else are Django's database session store unchanged.
"""
from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        if not self.session_key:  # None or "" never matches a row
            self._session_key = None
            return None
        model = self.model
        now = timezone.now()
        with connections[router.db_for_read(model)].cursor() as cur:
            cur.execute(f"SELECT session_data FROM {model._meta.db_table} WHERE session_key = %s AND expire_date > %s",
                        [self.session_key, now])
            row = cur.fetchone()
        if row is None:
            self._session_key = None
            return None
        return model(session_key=self.session_key, session_data=row[0], expire_date=now)
