"""What the public may read: notices during their period; afterwards only that they existed."""

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from fupin.accounts.models import User
from fupin.accounts.scope import region_filter
from fupin.procedures.models import Notice
from fupin.regions.models import in_region


def current_notices(*, region: str = "", now: datetime.datetime | None = None) -> QuerySet[Notice]:
    """Notices whose period is running now, optionally under a region code."""
    now = now or timezone.now()
    qs = Notice.objects.filter(posted_at__lte=now, ends_at__gt=now).select_related("region", "batch")
    if region:
        qs = qs.filter(in_region("region_id", region))
    return qs.order_by("ends_at", "id")


def archived_notices(*, region: str = "", now: datetime.datetime | None = None) -> QuerySet[Notice]:
    now = now or timezone.now()
    qs = Notice.objects.filter(ends_at__lte=now).select_related("region")
    if region:
        qs = qs.filter(in_region("region_id", region))
    return qs.order_by("-ends_at", "-id")


def notice_for(user: User, pk: int | str, *, now: datetime.datetime | None = None) -> tuple[Notice, bool]:
    """A notice and whether its list may be shown: to anyone while it runs, afterwards only to
    staff whose scope covers it. Notice.DoesNotExist for notices not yet posted."""
    now = now or timezone.now()
    notice = Notice.objects.select_related("region", "batch", "batch__village").get(pk=pk, posted_at__lte=now)
    if notice.is_current(now):
        return notice, True
    scope = region_filter(user, "batch__village_id")
    joint = region_filter(user, "joint_batches__batch__village_id")
    if (
        scope is not None and joint is not None
    ):  # a township's notice across villages: staff of any village it lists
        scope |= joint
    staff = scope is not None and Notice.objects.filter(scope, pk=notice.pk).exists()
    return notice, staff
