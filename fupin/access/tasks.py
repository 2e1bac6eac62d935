"""The daily retention run (fupin.core.schedule), as `fupin purge-expired` does it."""

from django.tasks import task

from . import retention


@task
def purge_expired() -> int:
    """Expire old access-log entries and delete the files of long-decided change requests."""
    return retention.expire_access_log() + retention.purge_change_evidence()
