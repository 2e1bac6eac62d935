"""The registry's tables to Excel (fupin.core.table_exports): the household list with the columns on its page,
and the national form (贫困户信息采集表, one row per member, exports.py), each scoped and filtered as the page
is."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fupin.audit.access import Channel
from fupin.core import idnumber
from fupin.core.lookup import get_in_scope
from fupin.core.table_exports import Column, Table, moment
from fupin.regions import selectors as regions

from . import codes, display, exports, reveal, selectors
from .forms import HouseholdFilterForm
from .importing.columns import HEADINGS
from .models import Member
from .services import RegistryError


def filtered_households(user, params):
    """The households the list page shows this user for these GET parameters (403 for a role without the
    list)."""
    if user.scope_prefix is None:
        raise PermissionDenied(_("您的角色不能查看贫困户信息"))
    filters, _ignored = HouseholdFilterForm(params).filters()
    code = params.get("region", "").strip()
    if code:
        filters["region"] = get_in_scope(regions.region_for, user, code).code
    return selectors.households_for(user, **filters)


def reveal_households(request, households) -> bool:
    """Log an export with full identifiers (every member of these households); PermissionDenied when
    refused."""
    try:
        reveal.reveal(
            Member.objects.filter(household__in=households.values("pk")).only(
                "pk", "household_id", "village_code"
            ),
            by=request.user,
            fields=reveal.REVEALS,
            purpose=request.GET.get("purpose", ""),
            note=request.GET.get("note", ""),
            channel=Channel.EXPORT,
        )
    except RegistryError as e:
        raise PermissionDenied("；".join(str(v) for v in e.errors.values())) from None
    return True


def _household_query(user, params):
    return selectors.household_rows(filtered_households(user, params)).order_by("village_id", "number")


_TYPES = dict(codes.HouseholdType.choices)
_STATUSES = dict(codes.HouseholdStatus.choices)
_CAUSES = dict(codes.PovertyCause.choices)


def _household_row(h, revealed: bool) -> list:
    show = (lambda v: v) if revealed else idnumber.mask
    return [
        h.number,
        h.head_name,
        "、".join(show(m.id_number) for m in h.heads),
        h.village.name,
        h.group.name if h.group_id else "",
        h.size,
        _TYPES.get(h.household_type, h.household_type),
        _STATUSES.get(h.status, h.status),
        _CAUSES.get(h.primary_cause, h.primary_cause),
        h.latest_income,
    ]


HOUSEHOLDS = Table(
    name="registry.households",
    title=_("贫困户名单"),
    columns=[
        Column(_("户编号")),
        Column(_("户主")),
        Column(_("户主身份证号"), width=22),
        Column(_("村")),
        Column(_("村民小组")),
        Column(_("人口"), number=True),
        Column(_("属性")),
        Column(_("状态")),
        Column(_("主要致贫原因")),
        Column(_("年人均纯收入"), number=True),
    ],
    query=_household_query,
    row=_household_row,
    reveal=reveal_households,
)


class _FormRows:
    """The national form's rows (one per member) for a household list: counted and read as core expects."""

    def __init__(self, households):
        self.households = households

    def __len__(self) -> int:
        return Member.objects.filter(household__in=self.households.values("pk")).count()


NATIONAL_FORM = Table(
    name="registry.household_form",
    title=_("贫困户信息采集表"),
    columns=[Column(heading) for heading in HEADINGS],
    query=lambda user, params: _FormRows(filtered_households(user, params)),
    row=None,
    cells=lambda rows, revealed: exports.export_rows(rows.households, show_identifiers=revealed),
    reveal=lambda request, rows: reveal_households(request, rows.households),
    plain=True,  # every cell is text (exports.export_rows)
)


def history_query(user, params):
    """One household's operation record (操作记录), ?household=<pk>: 404 outside the user's scope, as its
    page."""
    household = get_in_scope(
        selectors.household_for,
        user,
        params.get("household") or "",
        message=gettext("户不存在或不在您的管辖范围内"),
    )
    return selectors.household_history(household)


def _history_cells(entries, revealed: bool):
    """A row for each change an entry records (one for an entry without changes), masked as on the page."""
    for entry in entries.iterator(chunk_size=500):
        line = display.describe(entry, sees_identifiers=False)
        head = [moment(line.at), line.who, line.role, line.action, line.target]
        for change in line.changes or [None]:
            yield head + ([change.label, change.old, change.new] if change else ["", "", ""])


HISTORY = Table(
    name="registry.history",
    title=_("操作记录"),
    columns=[
        Column(_("时间")),
        Column(_("操作人")),
        Column(_("角色")),
        Column(_("操作")),
        Column(_("对象")),
        Column(_("项目")),
        Column(_("原值"), width=30),
        Column(_("新值"), width=30),
    ],
    query=history_query,
    row=None,
    cells=_history_cells,
)
