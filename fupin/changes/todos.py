"""Change requests' to-do items (待办, fupin.core.todo): requests to review, or returned ones to resubmit."""

import datetime

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from fupin.accounts.models import Role
from fupin.core.todo import Todo

from .models import ChangeStatus
from .selectors import change_requests_for


def todos(user, today: datetime.date) -> list[Todo]:
    role = getattr(user, "role", "")
    url = reverse("changes:queue")
    if role in (Role.TOWNSHIP, Role.COUNTY):
        status, label = ChangeStatus.PROPOSED, _("待审核的变更申请")
    elif role in (Role.VILLAGE_CLERK, Role.VILLAGE_TEAM):
        status, label = ChangeStatus.RETURNED, _("被退回、待修改的变更申请")
    else:
        return []
    count = change_requests_for(user, status=status).count()
    return [Todo("changes." + status, _("变更审核"), label, count, url + "?" + urlencode({"status": status}))]
