"""The web sessions, each with the id of the user signed in to it, so one statement reads both (fupin.core.sessions)."""

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models


class Session(AbstractBaseSession):
    # No foreign key in the database: a request still saving the session of a user deleted meanwhile is not an
    # error, and the session is then simply no one's. Deleting a user through Django deletes their sessions.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        db_constraint=False,
        related_name="+",
    )

    class Meta(AbstractBaseSession.Meta):
        db_table = "core_session"

    @classmethod
    def get_session_store_class(cls) -> type:
        from fupin.core.sessions import SessionStore  # cycle breaker: the store reads this model

        return SessionStore


class ScheduledRun(models.Model):
    """A daily job enqueued on a day (fupin.core.schedule): the unique pair makes several workers enqueue it once."""

    name = models.CharField(max_length=50)
    day = models.DateField()
    enqueued_at = models.DateTimeField()
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "day"], name="scheduledrun_once_a_day")]

    def __str__(self) -> str:
        return f"{self.name} {self.day}"
