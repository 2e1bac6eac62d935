"""Monitoring's to-do items (待办, fupin.core.todo): problems overdue or due within a week, cases at each
stage."""

import datetime

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from fupin.accounts.models import EDITING_ROLES
from fupin.core.todo import Todo

from .models import ProblemStatus
from .selectors import problems_for

DUE_DAYS = 7


def todos(user, today: datetime.date) -> list[Todo]:
    if getattr(user, "role", "") not in EDITING_ROLES:
        return []
    counts = (
        problems_for(user)
        .exclude(status=ProblemStatus.CLOSED)
        .aggregate(
            overdue=Count("pk", filter=Q(deadline__lt=today)),
            due=Count(
                "pk", filter=Q(deadline__gte=today, deadline__lte=today + datetime.timedelta(days=DUE_DAYS))
            ),
        )
    )
    url = reverse("monitoring:problem_list")
    section = _("监测与核查")
    return [
        Todo("monitoring.overdue", section, _("整改超期的问题"), counts["overdue"], url + "?overdue=1", True),
        Todo(
            "monitoring.due",
            section,
            _("%(days)s天内整改到期的问题") % {"days": DUE_DAYS},
            counts["due"],
            url + "?status=open",
        ),
    ]
