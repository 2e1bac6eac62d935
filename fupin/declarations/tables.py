"""The declarations list to Excel (fupin.core.table_exports): its columns, scoped and filtered as the page."""

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fupin.accounts.permissions import is_helper
from fupin.core.table_exports import Column, Table

from . import selectors


def _declarations(user, params):
    if user.scope_prefix is None and not is_helper(user):
        raise PermissionDenied(_("您的角色不能查看申报"))
    region = params.get("region", "")
    return selectors.declarations_for(
        user,
        region=region if region.isdigit() else "",
        status=params.get("status", ""),
        bucket=params.get("bucket", ""),
        q=params.get("q", "")[:50],
        today=timezone.localdate(),
    )


def _row(d, revealed: bool) -> list:
    return [d.receipt, d.name, d.village.name, d.get_channel_display(), d.status_text, d.due_on]


DECLARATIONS = Table(
    name="declarations.list",
    title=_("农户申报"),
    columns=[
        Column(_("回执号")),
        Column(_("申报人")),
        Column(_("村")),
        Column(_("渠道")),
        Column(_("状态")),
        Column(_("当前时限"), number=True),
    ],
    query=_declarations,
    row=_row,
)
