"""Background work of the audit trail: the daily anchor of every chain's head (fupin.core.schedule)."""

from django.tasks import task

from .verify import anchor_file, make_anchors


@task
def anchor_chains() -> int:
    return len(make_anchors(path=anchor_file()))
