"""The public notice lists to Excel (fupin.core.table_exports): the notices running now (正在公示) and the
ended ones (公示归档), with the columns on the page and its region filter. The lists are public; their export,
like every export, is for a signed-in user."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fupin.core.table_exports import Column, Table, moment

from . import selectors


def region_code(params) -> str:
    """The page's ?region= filter: a region code, or "" (anything else is ignored, as on the page)."""
    code = (params.get("region") or "").strip()
    return code if code.isdigit() else ""


def current_query(user, params):
    return selectors.current_notices(region=region_code(params))


def archive_query(user, params):
    return selectors.archived_notices(region=region_code(params))


def _row(n, revealed: bool) -> list:
    return [
        n.title,
        n.issuer,
        n.get_kind_display(),
        timezone.localtime(n.posted_at).date() if n.posted_at else None,
        moment(n.ends_at),
    ]


COLUMNS = [
    Column(_("标题"), width=40),
    Column(_("发布单位"), width=24),
    Column(_("类别")),
    Column(_("公示开始"), number=True),
    Column(_("公示截止")),
]

CURRENT = Table(
    name="disclosure.notices", title=_("正在公示的名单"), columns=COLUMNS, query=current_query, row=_row
)
ARCHIVE = Table(
    name="disclosure.archive", title=_("已结束的公示公告"), columns=COLUMNS, query=archive_query, row=_row
)
