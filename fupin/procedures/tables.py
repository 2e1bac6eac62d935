"""The procedure batches' list to Excel (fupin.core.table_exports): the columns on the batches page, scoped
and filtered as the page (year, procedure, stage, region); the page shows the first 500, the file all."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fupin.core.params import this_year, year_param
from fupin.core.table_exports import Column, Table

from . import selectors


def batch_query(user, params):
    """The batches page's rows for this user and these parameters (the page and its export)."""
    return selectors.batches_for(
        user,
        year=year_param(params.get("year"), this_year()),
        kind=params.get("kind", ""),
        stage=params.get("stage", ""),
        region=params.get("region", ""),
    )


def _row(b, revealed: bool) -> list:
    return [
        b.year,
        b.village.parent.name if b.village.parent_id else "",
        b.village.name,
        b.get_kind_display(),
        gettext("第%(round)s批") % {"round": b.round},
        b.stage_label(),
        b.households,
        b.pending_objections,
    ]


BATCHES = Table(
    name="procedures.batches",
    title=_("识别与退出程序"),
    columns=[
        Column(_("年度"), number=True),
        Column(_("乡镇")),
        Column(_("行政村")),
        Column(_("程序")),
        Column(_("批次")),
        Column(_("当前环节")),
        Column(_("名单户数"), number=True),
        Column(_("待处理异议"), number=True),
    ],
    query=batch_query,
    row=_row,
)
