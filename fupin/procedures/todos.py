"""The procedures' to-do items (待办, fupin.core.todo): batches waiting for the user's level, notices about to
end or ended and not yet closed, objections to answer. One count query per kind, scoped by `batches_for`."""

import datetime

from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from fupin.accounts.models import Role
from fupin.accounts.scope import region_filter
from fupin.core.todo import Todo

from .models import Notice, Objection, Stage
from .selectors import batches_for

# The stages in which a batch waits for each level's action.
WAITING = {
    Role.VILLAGE_CLERK: [Stage.APPLICATION, Stage.SURVEY, Stage.APPRAISAL],
    Role.VILLAGE_TEAM: [Stage.APPLICATION, Stage.SURVEY, Stage.APPRAISAL],
    Role.TOWNSHIP: [Stage.TOWNSHIP_REVIEW],
    Role.COUNTY: [Stage.COUNTY_REVIEW],
}
ENDING_DAYS = 3


def _list_url(**params) -> str:
    return reverse("procedures:batch_list") + "?" + urlencode(params)


def todos(user, today: datetime.date) -> list[Todo]:
    section = _("识别与退出")
    items = []
    stages = WAITING.get(getattr(user, "role", ""), [])
    if stages:
        waiting = batches_for(user).filter(stage__in=stages).aggregate(n=Count("pk"), year=Max("year"))
        items.append(
            Todo(
                "procedures.waiting",
                section,
                _("等待本级办理的程序批次"),
                waiting["n"],
                _list_url(year=waiting["year"] or today.year, stage="open"),
            )
        )
    scope = region_filter(user, "batch__village_id")
    if scope is None:
        return items
    now = timezone.now()
    role = getattr(user, "role", "")
    # The village closes its own notice, the township its one; the announcement is never closed.
    posted_at = {Role.TOWNSHIP: Stage.SECOND_NOTICE, Role.COUNTY: Stage.SECOND_NOTICE}.get(
        role, Stage.FIRST_NOTICE
    )
    open_notices = Notice.objects.filter(scope, closed_at__isnull=True, batch__stage=posted_at)
    if role in WAITING:
        ending = open_notices.aggregate(
            ended=Count("pk", filter=_ended(now)),
            ending=Count("pk", filter=_ending(now)),
            year=Max("batch__year"),
        )
        year = ending["year"] or today.year
        items += [
            Todo(
                "procedures.notice_ended",
                section,
                _("公示期已满、待结束公示的批次"),
                ending["ended"],
                _list_url(year=year, stage="open"),
                urgent=True,
            ),
            Todo(
                "procedures.notice_ending",
                section,
                _("%(days)s天内公示期满的公示") % {"days": ENDING_DAYS},
                ending["ending"],
                _list_url(year=year, stage="open"),
            ),
        ]
        objections = Objection.objects.filter(scope, state=Objection.State.OPEN).aggregate(
            n=Count("pk"), year=Max("batch__year")
        )
        items.append(
            Todo(
                "procedures.objections",
                section,
                _("待处理的异议"),
                objections["n"],
                _list_url(year=objections["year"] or today.year, stage="open"),
                urgent=True,
            )
        )
    return items


def _ended(now) -> Q:
    return Q(ends_at__lte=now)


def _ending(now) -> Q:
    return Q(ends_at__gt=now, ends_at__lte=now + datetime.timedelta(days=ENDING_DAYS))
