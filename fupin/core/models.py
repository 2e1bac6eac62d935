"""The web sessions, each with the id of the user signed in to it, so one statement reads both
(fupin.core.sessions)."""

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils.translation import gettext_lazy as _


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
    """A daily job enqueued on a day (fupin.core.schedule): the unique pair makes several workers enqueue it
    once."""

    name = models.CharField(max_length=50)
    day = models.DateField()
    enqueued_at = models.DateTimeField()
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "day"], name="scheduledrun_once_a_day")]

    def __str__(self) -> str:
        return f"{self.name} {self.day}"


class ExportFile(models.Model):
    """A large table export (fupin.core.table_exports) written in the background for the user who asked for
    it.

    The file is written under a temporary name and renamed when whole: a file is either absent or complete. It
    is served to its requester alone, until `expires`; then it and this row are deleted (purge_expired)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    table = models.CharField(max_length=60)
    title = models.CharField(max_length=100)
    params = models.TextField(blank=True)  # the page's GET parameters (filters), as a query string
    language = models.CharField(max_length=10)
    revealed = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    path = models.CharField(max_length=200, blank=True)  # under MEDIA_ROOT, set once the file is whole
    error = models.TextField(blank=True)
    created = models.DateTimeField()
    finished = models.DateTimeField(null=True, blank=True)
    expires = models.DateTimeField()

    class Meta:
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["user", "-created"], name="exportfile_user_created")]

    def __str__(self) -> str:
        return f"{self.title} {self.created:%Y-%m-%d %H:%M}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(99, self.rows_done * 100 // self.rows_total) if self.rows_total else 0
