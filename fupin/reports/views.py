"""Statistics pages: thin views that read a region in scope and a year, call a selector and render.

A region outside the user's scope (or unknown) is a 404; a year that is not a statistics year
falls back to the current one — bad input never errors.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from fupin.core.downloads import download
from fupin.core.pagination import page_of
from fupin.core.params import FIRST_YEAR, request_year, this_year
from fupin.regions import selectors as regions
from fupin.regions.models import Region

from . import assessment as assessment_rules
from . import casework_figures, lists, selectors, survey, tables
from .dashboard import figures_for as dashboard_figures
from .forms import SurveyForm

_reader = lists.reader


def _region(request) -> Region | None:
    return lists.region_of(request.user, request.GET)


def _common(request) -> dict:
    user = request.user
    _reader(user)
    region = _region(request)  # a group's figures are its village's
    year = request_year(request, this_year())
    return {
        "region": region,
        "code": region.code if region else "",
        "year": year,
        "path": regions.path_for(user, region),
        "years": list(range(this_year(), FIRST_YEAR - 1, -1)),
    }


@login_required
@require_GET
def dashboard(request):
    ctx = _common(request)
    ctx.update(dashboard_figures(request.user, ctx["region"], ctx["year"]))
    return render(request, "reports/dashboard.html", ctx)


@login_required
@require_GET
def casework(request):
    """The dashboard's case-work figures (helpers, visits, monitoring, problems, projects, loans), loaded
    after the page."""
    ctx = _common(request)
    user, code, year = request.user, ctx["code"], ctx["year"]
    url = selectors.list_url
    counts = casework_figures.casework_counts(user, code)
    ctx.update(
        {
            "monitoring": casework_figures.monitoring_figures(user, code, year, counts),
            "assistance": casework_figures.assistance_figures(user, code, year, counts),
            "casework_source": counts.source,
            "problems": casework_figures.problem_figures(user, code),
            "funds": selectors.funds_figures(user, code, year),
            "county_code": code[:6] if len(code) >= 6 else "",
        }
    )
    for kind in ctx["monitoring"]["kinds"]:
        kind["url"] = url("monitored", kind["key"], region=code)
    ctx["monitoring"]["eliminated_url"] = url("eliminated", region=code, year=year)
    for measure in ctx["assistance"].get("measures", []):
        measure["url"] = url("measure", measure["key"], region=code, year=year)
    ctx["assistance"]["paired_url"] = url("paired", region=code)
    ctx["assistance"]["needing_url"] = url("needs_helper", region=code)
    return render(request, "reports/_casework.html", ctx)


@login_required
@require_GET
def households(request):
    """The households behind one figure, in the user's scope."""
    ctx = _common(request)
    metric, key = request.GET.get("metric", ""), request.GET.get("key", "")
    page = page_of(request, lists.figure_households(request.user, request.GET))  # its export's rows too
    ctx.update(
        {
            "page": page,
            "paginator": page.paginator,
            "metric": metric,
            "key": key,
            "label": selectors.metric_label(metric, key, ctx["year"]),
            "query": urlencode({"region": ctx["code"], "metric": metric, "key": key, "year": ctx["year"]}),
        }
    )
    return render(request, "reports/households.html", ctx)


@login_required
@require_GET
def standard_tables(request, printable: bool = False):
    ctx = _common(request)
    result = tables.standard_tables(request.user, ctx["region"], ctx["year"])
    name = ctx["region"].full_name() if ctx["region"] else gettext("全国")
    if request.GET.get("format") == "xlsx":
        return download(
            tables.to_xlsx(
                result,
                heading=gettext("%(name)s　%(year)s年　制表时间：%(localtime)s")
                % {
                    "name": name,
                    "year": ctx["year"],
                    "localtime": format(timezone.localtime(), "%Y-%m-%d %H:%M"),
                },
            ),
            f"standard-tables-{ctx['code'] or 'all'}-{ctx['year']}.xlsx",
        )
    for table in result:
        for row in table.rows + [table.total]:
            row["html"] = [_cell_html(cell, printable) for cell in row["cells"]]
    ctx.update({"tables": result, "region_name": name, "printable": printable, "now": timezone.localtime()})
    return render(request, "reports/print_tables.html" if printable else "reports/tables.html", ctx)


def _cell_html(cell, printable: bool) -> str:
    """A table cell as HTML, rendered here rather than by a template tag per cell: a province's tables have
    thousands."""
    if isinstance(cell, tuple):
        value, url = cell
        return conditional_escape(value) if printable else format_html('<a href="{}">{}</a>', url, value)
    return "—" if cell is None else conditional_escape(cell)


@login_required
@require_GET
def assessment(request, printable: bool = False):
    ctx = _common(request)
    result = assessment_rules.assessment(request.user, ctx["region"], ctx["year"])
    name = ctx["region"].full_name() if ctx["region"] else gettext("全国")
    if request.GET.get("format") == "xlsx":
        table = _assessment_table(result, ctx["year"])
        return download(
            tables.to_xlsx(
                [table], heading=gettext("%(name)s　%(year)s年") % {"name": name, "year": ctx["year"]}
            ),
            f"assessment-{ctx['code'] or 'all'}-{ctx['year']}.xlsx",
        )
    url = selectors.list_url
    for row in result["rows"] + [result["total"]]:
        row.exits_url = url("exit_year", region=row.code, year=ctx["year"])
        row.wrong_url = url("wrong_exit", region=row.code, year=ctx["year"])
        row.omitted_url = url("omitted", region=row.code, year=ctx["year"])
        row.poor_end_url = url("poor_at", region=row.code, year=ctx["year"])
    ctx.update({"result": result, "region_name": name, "printable": printable, "now": timezone.localtime()})
    return render(request, "reports/assessment.html", ctx)


def _assessment_table(result, year) -> tables.Table:
    table = tables.Table(
        "assessment",
        gettext("%(year)s年度精准考核（三率一度）") % {"year": year},
        [
            gettext("当年脱贫户"),
            gettext("错退户"),
            gettext("错退率（%）"),
            gettext("年末贫困户"),
            gettext("漏评户"),
            gettext("漏评率（%）"),
            gettext("作出评价户"),
            gettext("满意和基本满意户"),
            gettext("群众认可度（%）"),
            gettext("减贫计划（人）"),
            gettext("脱贫人口"),
            gettext("减贫计划完成率（%）"),
        ],
    )

    def line(row) -> dict:
        return {
            "code": row.code,
            "name": row.name,
            "cells": [
                row.exits,
                row.wrong_exits,
                row.wrong_exit_rate,
                row.poor_end,
                row.omitted,
                row.omission_rate,
                row.answered,
                row.satisfied,
                row.satisfaction,
                row.plan,
                row.exit_persons,
                row.plan_rate,
            ],
        }

    table.rows = [line(row) for row in result["rows"]]
    table.total = line(result["total"])
    table.notes = [f"{name}：{formula}。{detail}" for name, formula, detail in result["formulas"]]
    return table


@login_required
@require_http_methods(["GET", "POST"])
def survey_entry(request):
    """Record a household's answer to the year's satisfaction survey; the answers recorded so far."""
    ctx = _common(request)
    user = request.user
    form = SurveyForm(
        request.POST or None, initial={"year": ctx["year"], "surveyed_on": timezone.localdate()}
    )
    if request.method == "POST":
        if not user.can_edit_registry:
            raise PermissionDenied(gettext("您的角色只能查看，不能录入调查结果"))
        if form.is_valid():
            try:
                saved = survey.record_answer(by=user, **form.cleaned_data)
            except survey.SurveyError as error:
                form.add_error("number", str(error))
            else:
                messages.success(
                    request,
                    gettext("已记录 %(number)s 户 %(year)s 年的评价：%(get_answer_display)s")
                    % {
                        "number": saved.household.number,
                        "year": saved.year,
                        "get_answer_display": saved.get_answer_display(),
                    },
                )
                return redirect(f"{request.path}?year={saved.year}")
    ctx["query"] = urlencode({"region": ctx["code"], "year": ctx["year"]})
    # the region and year shown (a posted form's year too); its export's rows are the same
    page = page_of(request, lists.survey_query(user, QueryDict(ctx["query"])))
    ctx.update({"form": form, "page": page, "can_edit": user.can_edit_registry})
    return render(request, "reports/survey.html", ctx)
