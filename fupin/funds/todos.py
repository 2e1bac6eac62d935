"""Funds' to-do items (待办, fupin.core.todo): microloans maturing within a month, applications to approve."""

import datetime

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from fupin.accounts.models import EDITING_ROLES, Role
from fupin.core.todo import Todo

from .models import LoanStatus
from .selectors import loans_for

MATURING_DAYS = 30


def todos(user, today: datetime.date) -> list[Todo]:
    role = getattr(user, "role", "")
    if role not in EDITING_ROLES:
        return []
    soon = today + datetime.timedelta(days=MATURING_DAYS)
    counts = loans_for(user).aggregate(
        maturing=Count(
            "pk", filter=Q(status=LoanStatus.DISBURSED, maturity_on__gte=today, maturity_on__lte=soon)
        ),
        applied=Count("pk", filter=Q(status=LoanStatus.APPLIED)),
    )
    url = reverse("funds:loan_list")
    section = _("项目资金")
    items = [
        Todo(
            "funds.maturing",
            section,
            _("%(days)s天内到期的扶贫小额信贷") % {"days": MATURING_DAYS},
            counts["maturing"],
            url + "?status=disbursed",
        )
    ]
    if role == Role.COUNTY:
        items.append(
            Todo("funds.applied", section, _("待审批的贷款申请"), counts["applied"], url + "?status=applied")
        )
    return items
