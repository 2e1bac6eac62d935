"""Declarations' to-do items (待办, fupin.core.todo): declarations open in the user's area, overdue ones
first."""

import datetime

from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext as _

from fupin.accounts.models import EDITING_ROLES
from fupin.accounts.permissions import is_helper
from fupin.core.todo import Todo

from .models import OPEN_STATUSES, Status
from .selectors import declarations_for, overdue_q


def todos(user, today: datetime.date) -> list[Todo]:
    if is_helper(user):  # the paired helper: the household's declarations waiting for the home visit
        waiting = declarations_for(user, today=today).filter(status=Status.RECEIVED).count()
        return [
            Todo(
                "declarations.visit",
                _("农户申报"),
                _("结对户的申报待入户核实"),
                waiting,
                reverse("declarations:list"),
            )
        ]
    if getattr(user, "role", "") not in EDITING_ROLES:
        return []
    counts = (
        declarations_for(user, today=today)
        .filter(status__in=OPEN_STATUSES)
        .aggregate(n=Count("pk"), overdue=Count("pk", filter=overdue_q(today)))
    )
    url = reverse("declarations:list")
    section = _("农户申报")
    return [
        Todo(
            "declarations.overdue",
            section,
            _("办理超期的申报"),
            counts["overdue"],
            url + "?bucket=overdue",
            True,
        ),
        Todo("declarations.open", section, _("办理中的申报"), counts["n"] - counts["overdue"], url),
    ]
