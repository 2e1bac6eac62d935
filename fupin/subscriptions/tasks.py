"""Background work: sending the deliveries that are due, and queuing the next try for when the earliest retry
is due."""

import logging

from django.tasks import default_task_backend, task
from django.utils import timezone

from .delivery import deliver_due, next_due

log = logging.getLogger("fupin.subscriptions")


@task
def deliver_webhooks() -> int:
    tried = deliver_due()
    following = next_due()
    if following is not None and default_task_backend.supports_defer:
        # the database backend runs it once the time comes; the immediate backend (tests) cannot wait, and the
        # next event's task (or a test calling deliver_due with a later time) tries it instead
        deliver_webhooks.using(run_after=max(following, timezone.now())).enqueue()
    return tried
