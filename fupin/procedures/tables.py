"""The procedures' lists to Excel (fupin.core.table_exports): the batches and the village profiles (村情),
each with the columns on its page, scoped and filtered as the page; the pages show the first 500,
the files all."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fupin.core.params import this_year, year_param
from fupin.core.table_exports import Column, Table

from . import selectors
from .models import Procedure


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


def village_query(user, params):
    """The village profiles page's rows (村情登记与贫困村标准): the year's profiles in the user's region."""
    year = year_param(params.get("year"), this_year())
    return selectors.village_profiles_for(user, year, region=params.get("region", ""))


def with_exit_check(profile, year: int):
    """The profile with the exit conditions it meets and misses (exit_check, exit_ok), as the page shows."""
    profile.exit_check = selectors.check_village(profile.village_id, year, Procedure.VILLAGE_EXIT)
    profile.exit_ok = all(r["ok"] for r in profile.exit_check)
    return profile


def poor_village_label(p) -> str:
    if p.is_poor_village:
        if p.identified_year:
            return gettext("是") + gettext("（%(identified_year)s年识别）") % {
                "identified_year": p.identified_year
            }
        return gettext("是")
    if p.exit_year:
        return gettext("已出列（%(exit_year)s年）") % {"exit_year": p.exit_year}
    return gettext("否")


def _village_row(p, revealed: bool) -> list:
    p = with_exit_check(p, p.year)
    missed = [f"{r['label']}（{r['actual']}）" for r in p.exit_check if not r["ok"]]
    return [
        p.village.name,
        poor_village_label(p),
        p.rural_population,
        p.estimated_poor,
        p.collective_income,
        gettext("全部达到") if p.exit_ok else " ".join(missed),
    ]


VILLAGES = Table(
    name="procedures.villages",
    title=_("贫困村"),
    columns=[
        Column(_("行政村")),
        Column(_("贫困村")),
        Column(_("农业人口"), number=True),
        Column(_("测算贫困人口"), number=True),
        Column(_("集体经济收入"), number=True),
        Column(_("出列条件"), width=40),
    ],
    query=village_query,
    row=_village_row,
)
