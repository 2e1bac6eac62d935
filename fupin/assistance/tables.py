"""The assistance lists to Excel (fupin.core.table_exports): the households not yet paired (未结对户), those
overdue for a visit (走访逾期) and the helpers (帮扶责任人), each with the columns on its page, scoped and
filtered as the page is (the pages read their rows through the same functions)."""

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fupin.core import idnumber
from fupin.core.table_exports import Column, Table, moment

from . import permissions, selectors


def region_param(user, params) -> str:
    """The ?region= filter if it is a code inside the user's scope, else ""."""
    code = (params.get("region") or "").strip()
    if code and code.isdigit() and user.in_scope(code):
        return code
    return ""


def unpaired_query(user, params):
    return selectors.unpaired_households(user, region=region_param(user, params))


def _unpaired_row(h, revealed: bool) -> list:
    return [
        h.number,
        h.head_name or gettext("（未登记户主）"),
        h.village.name,
        h.size,
        h.get_status_display(),
        h.get_household_type_display() or "",
        h.registration_year,
    ]


UNPAIRED = Table(
    name="assistance.unpaired",
    title=_("未结对户"),
    columns=[
        Column(_("户编号")),
        Column(_("户主")),
        Column(_("行政村")),
        Column(_("人口"), number=True),
        Column(_("户状态")),
        Column(_("贫困户属性")),
        Column(_("识别年度"), number=True),
    ],
    query=unpaired_query,
    row=_unpaired_row,
)


def overdue_query(user, params, today=None):
    today = today or timezone.localdate()
    return selectors.overdue_households(user, region=region_param(user, params), today=today)


def _overdue_row(h, revealed: bool) -> list:
    due = selectors.visit_due(h)
    return [
        h.number,
        h.head_name or gettext("（未登记户主）"),
        h.village.name,
        h.helper_name,
        h.last_visit_on or gettext("尚未走访"),
        due["due_on"],
        due["days_late"],
    ]


OVERDUE = Table(
    name="assistance.overdue",
    title=_("走访逾期"),
    columns=[
        Column(_("户编号")),
        Column(_("户主")),
        Column(_("行政村")),
        Column(_("帮扶责任人")),
        Column(_("最近走访"), number=True),
        Column(_("应走访截止"), number=True),
        Column(_("逾期天数"), number=True),
    ],
    query=overdue_query,
    row=_overdue_row,
)


class _Helpers:
    """The helpers listed for one user: their phones shown as the page shows them to that user (in full to
    the roles that work with identifiers, masked to the others, as the API does)."""

    def __init__(self, user, rows):
        self.user, self.rows = user, rows

    def __len__(self) -> int:
        return self.rows.count()


def helpers_query(user, params):
    return _Helpers(
        user,
        selectors.helpers_for(
            user,
            q=params.get("q", ""),
            unit=params.get("unit"),
            include_inactive=bool(params.get("all")),
        ),
    )


def _helper_cells(helpers: _Helpers, revealed: bool):
    plain = getattr(helpers.user, "sees_identifiers", False)
    for h in helpers.rows.iterator(chunk_size=2000):
        yield [
            h.name + ("" if h.active else gettext("（不在岗）")),
            h.get_kind_display(),
            h.unit.name,
            h.position or "",
            h.phone if plain else idnumber.mask_phone(h.phone),
            h.region.name,
            h.load,
            h.user.username if h.user_id else "",
        ]


HELPERS = Table(
    name="assistance.helpers",
    title=_("帮扶责任人"),
    columns=[
        Column(_("姓名")),
        Column(_("帮扶身份")),
        Column(_("帮扶单位"), width=24),
        Column(_("职务")),
        Column(_("联系电话")),
        Column(_("工作区域")),
        Column(_("结对户数"), number=True),
        Column(_("登录账号")),
    ],
    query=helpers_query,
    row=None,
    cells=_helper_cells,
)


def units_query(user, params):
    """The units page's rows: the units working in the user's region or above it."""
    return selectors.units_for(user).order_by("region_id", "name")


def _unit_row(u, revealed: bool) -> list:
    return [
        u.name,
        u.get_kind_display(),
        u.region.name,
        u.contact_person or "—",
        u.contact_phone or "—",  # the page shows it in full: the unit's office telephone
        u.helper_count,
    ]


UNITS = Table(
    name="assistance.units",
    title=_("帮扶单位"),
    columns=[
        Column(_("单位名称"), width=30),
        Column(_("单位类型")),
        Column(_("帮扶区域")),
        Column(_("联系人")),
        Column(_("联系电话")),
        Column(_("在岗帮扶责任人"), number=True),
    ],
    query=units_query,
    row=_unit_row,
)


def handbook_batches_query(user, params):
    """The handbook batches (批量生成扶贫手册) of the user's region, newest first; a helper prints one
    household at a time (403, as the page)."""
    if permissions.is_helper(user):
        raise PermissionDenied(_("帮扶责任人请在本户页面逐户打印扶贫手册"))
    return selectors.handbook_batches_for(user).order_by("-created_at", "-pk")


def _handbook_batch_row(b, revealed: bool) -> list:
    return [
        b.village.name,
        b.get_kind_display(),
        str(b.requested_by) if b.requested_by_id else "",
        moment(b.created_at),
        b.get_status_display(),
        b.done,
        b.total,
        None if b.seconds is None else round(b.seconds),
    ]


HANDBOOK_BATCHES = Table(
    name="assistance.handbook_batches",
    title=_("批量生成扶贫手册"),
    columns=[
        Column(_("行政村")),
        Column(_("生成内容")),
        Column(_("申请人")),
        Column(_("申请时间")),
        Column(_("状态")),
        Column(_("已生成户数"), number=True),
        Column(_("总户数"), number=True),
        Column(_("用时（秒）"), number=True),
    ],
    query=handbook_batches_query,
    row=_handbook_batch_row,
)
