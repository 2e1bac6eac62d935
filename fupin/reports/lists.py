"""The statistics pages' lists to Excel (fupin.core.table_exports): the households behind one figure
(reports/households/) and the satisfaction survey's answers (reports/survey/), with the page's columns, its
region, figure and year, in the user's scope."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fupin.core.lookup import get_in_scope
from fupin.core.params import this_year, year_param
from fupin.core.table_exports import Column, Table
from fupin.regions import selectors as regions
from fupin.regions.models import Region, RegionLevel
from fupin.registry.selectors import household_rows

from . import selectors


def reader(user) -> None:
    """Statistics are read over a region: a helper (who reads only their paired households) and a liaison may
    not."""
    if user.scope_prefix is None:
        raise PermissionDenied(gettext("您的角色不能查看统计数据"))


def region_of(user, params) -> Region | None:
    """The ?region= in scope (404 otherwise), the user's own region by default (None: the country, for an
    administrator); a group's figures are its village's."""
    code = (params.get("region") or "").strip()
    if not code:
        region = regions.home_region(user)
    else:
        region = get_in_scope(
            regions.region_for, user, code, message=gettext("区域不存在或不在您的管辖范围内")
        )
    if region is not None and region.level > RegionLevel.VILLAGE:
        region = region.parent
    return region


def figure_households(user, params):
    """The households behind the figure ?metric=&key= of ?region= and ?year=, as the page lists them."""
    reader(user)
    region = region_of(user, params)
    year = year_param(params.get("year"), this_year())
    metric, key = params.get("metric", ""), params.get("key", "")
    if selectors.metric_filter(metric, key, year) is None:
        raise Http404(gettext("没有这项统计指标"))
    rows = selectors.households_behind(
        user, region=region.code if region else "", metric=metric, key=key, year=year
    )
    return household_rows(rows).order_by("village_id", "number")


def _row(h, revealed: bool) -> list:
    return [
        h.number,
        h.village.name,
        h.head_name,
        h.size,
        h.get_household_type_display() or "",
        h.get_status_display(),
        h.get_primary_cause_display() or "",
        h.registration_year,
        h.exit_year,
    ]


FIGURE_HOUSEHOLDS = Table(
    name="reports.households",
    title=_("统计指标的户"),
    columns=[
        Column(_("户编号")),
        Column(_("行政村")),
        Column(_("户主")),
        Column(_("人数"), number=True),
        Column(_("贫困户属性")),
        Column(_("户状态")),
        Column(_("主要致贫原因")),
        Column(_("识别年度"), number=True),
        Column(_("脱贫年度"), number=True),
    ],
    query=figure_households,
    row=_row,
)


def survey_query(user, params):
    """The satisfaction survey's answers recorded for ?region= and ?year=, newest first, as the page lists
    them."""
    reader(user)
    region = region_of(user, params)
    year = year_param(params.get("year"), this_year())
    answers = selectors.survey_answers_for(user, region_code=region.code if region else "", year=year)
    return answers.select_related("household", "household__village").order_by("-recorded_at")


def _survey_row(s, revealed: bool) -> list:
    return [
        s.household.number,
        s.household.village.name,
        s.household.head_name,
        s.get_answer_display(),
        s.respondent,
        s.surveyed_on,
        s.note,
    ]


SURVEY = Table(
    name="reports.survey",
    title=_("群众认可度调查"),
    columns=[
        Column(_("户编号")),
        Column(_("行政村")),
        Column(_("户主")),
        Column(_("评价")),
        Column(_("受访人")),
        Column(_("调查日期"), number=True),
        Column(_("说明"), width=40),
    ],
    query=survey_query,
    row=_survey_row,
)
