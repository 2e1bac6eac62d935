"""The change requests' review queue to Excel (fupin.core.table_exports): its columns, scoped and filtered as
the page."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from fupin.core.lookup import get_in_scope
from fupin.core.table_exports import Column, Table, moment
from fupin.registry import selectors as registry

from . import display, forms, selectors


def _queue(user, params):
    if user.scope_prefix is None and user.helper_region is None:
        raise PermissionDenied(_("您的角色不能查看变更申请"))
    form = forms.QueueFilterForm(params)
    household = None
    if params.get("household"):
        pk = params["household"]
        household = get_in_scope(
            lambda: registry.household_for(user, int(pk)), message=_("户不存在或不在您的管辖范围内")
        )
    rows = selectors.change_requests_for(user, household=household, **form.filters())
    return rows.select_related("household", "proposed_by")


def _row(c, revealed: bool) -> list:
    return [
        c.pk,
        c.get_status_display(),
        c.get_kind_display(),
        c.household.number,
        c.household.head_name,
        display.summary(c),
        str(c.proposed_by or ""),
        moment(c.proposed_at),
    ]


QUEUE = Table(
    name="changes.queue",
    title=_("变更申请"),
    columns=[
        Column(_("编号"), number=True),
        Column(_("状态")),
        Column(_("变更类型")),
        Column(_("户编号")),
        Column(_("户主")),
        Column(_("内容"), width=40),
        Column(_("申请人")),
        Column(_("提出时间"), width=18),
    ],
    query=_queue,
    row=_row,
)
