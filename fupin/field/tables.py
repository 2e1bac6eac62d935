"""The field app's lists to Excel (fupin.core.table_exports): the sync conflicts (同步冲突) and the county's
devices (帮扶 App 设备), with the columns on their pages, scoped, filtered and masked as the pages are (the
pages read their rows through the same functions)."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fupin.core.table_exports import Column, Table, moment
from fupin.registry import masking

from . import permissions, selectors


def conflict_query(user, params):
    """The conflicts page's rows: the open ones, or all with ?all=1."""
    if not permissions.can_see_conflicts(user):
        raise PermissionDenied(_("您的角色不能查看同步冲突"))
    open_only = params.get("all") != "1"
    return selectors.conflicts_for(user, open_only=open_only).order_by("-created_at")


def masked_values(conflict) -> tuple:
    """The value on the phone when it was downloaded, the value kept and the phone's: a phone's or an ID
    number's masked, as everywhere (issue 17)."""
    values = (conflict.base, conflict.theirs, conflict.mine)
    if conflict.field in masking.MASKED_FIELDS:
        return tuple(masking.mask_value(conflict.field, v) for v in values)
    return values


def _conflict_row(c, revealed: bool) -> list:
    base, theirs, mine = masked_values(c)
    return [
        c.household.number,
        c.household.head_name,
        c.record,
        c.label,
        "—" if base is None else str(base),
        "—" if theirs is None else str(theirs),
        "—" if mine is None else str(mine),
        str(c.by),
        moment(c.created_at),
        (gettext("已处理") + f" {c.resolved_by}") if c.resolved_at else gettext("未处理"),
    ]


CONFLICTS = Table(
    name="field.conflicts",
    title=_("同步冲突"),
    columns=[
        Column(_("户编号")),
        Column(_("户主")),
        Column(_("记录")),
        Column(_("项目")),
        Column(_("手机下载时")),
        Column(_("现值（已保留）")),
        Column(_("手机上的值")),
        Column(_("提交人")),
        Column(_("发现时间")),
        Column(_("处理情况")),
    ],
    query=conflict_query,
    row=_conflict_row,
)


def device_query(user, params):
    """The devices page's rows: the county's users' phones, the ones in use first."""
    if not permissions.can_revoke(user):
        raise PermissionDenied(_("只有县扶贫办可以管理设备"))
    return selectors.devices_for(user).order_by("revoked_at", "-last_sync_at", "-issued_at")


def _device_row(d, revealed: bool) -> list:
    return [
        str(d.user),
        str(d),
        moment(d.issued_at),
        moment(d.expires_at),
        moment(d.last_sync_at) or "—",
        gettext("已吊销") if d.revoked_at else gettext("在用"),
    ]


DEVICES = Table(
    name="field.devices",
    title=_("帮扶 App 设备"),
    columns=[
        Column(_("用户")),
        Column(_("设备")),
        Column(_("签发时间")),
        Column(_("令牌有效期至")),
        Column(_("最近同步")),
        Column(_("状态")),
    ],
    query=device_query,
    row=_device_row,
)
