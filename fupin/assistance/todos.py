"""Assistance's to-do items (待办, fupin.core.todo): households overdue for a visit, poor households with no
helper."""

import datetime

from django.urls import reverse
from django.utils.translation import gettext as _

from fupin.accounts.models import Role
from fupin.core.todo import Todo

from . import permissions
from .selectors import overdue_households, unpaired_households


def todos(user, today: datetime.date) -> list[Todo]:
    # Counted for the levels that act on them: a prefecture or province reads the statistics instead.
    if not permissions.can_visit(user) or len(getattr(user, "scope_prefix", "") or "") < 6:
        if getattr(user, "role", "") != Role.HELPER:
            return []
    section = _("精准帮扶")
    items = [
        Todo(
            "assistance.overdue",
            section,
            _("走访超期的帮扶户"),
            overdue_households(user, today=today).count(),
            reverse("assistance:overdue"),
            urgent=True,
        )
    ]
    if permissions.can_manage(user):
        items.append(
            Todo(
                "assistance.unpaired",
                section,
                _("尚未结对的贫困户、监测户"),
                unpaired_households(user).count(),
                reverse("assistance:pair_many"),
            )
        )
    return items
