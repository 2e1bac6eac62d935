"""The dashboard's figures for a region and year: registered households by status, type and cause, exits
against the plan, relapses and incidence over the years, and each child region's figures. The page
(views.dashboard) and the JSON API (reports.api) read them here; each figure carries the URL of the households
behind it."""

from typing import Any

from fupin.core.params import FIRST_YEAR
from fupin.regions.models import Region
from fupin.registry import codes

from . import selectors, tables

CHART_YEARS = 8


def _by_year(user, code: str, year: int, figures) -> list[dict[str, Any]]:
    """Exits against the plan, relapses, the poor at the year's end and the incidence, for the chart's
    years."""
    years = list(range(max(FIRST_YEAR, year - CHART_YEARS + 1), year + 1))
    plans = selectors.plans_by_year(user, code, years)
    relapses = selectors.relapses_by_year(user, code, years)
    rural = selectors.rural_population(user, code, years, figures)
    url = selectors.list_url
    by_year = []
    for y in years:
        exits = figures.get("exit_year", y)
        end = tables.poor_at(figures, y)
        by_year.append(
            {
                "year": y,
                "exits": exits,
                "exits_url": url("exit_year", region=code, year=y),
                "plan": plans.get(y),
                "plan_rate": tables.percent(exits[1], plans.get(y)),
                "relapses": relapses.get(y, [0, 0]),
                "relapses_url": url("relapsed", region=code, year=y),
                "poor_end": end,
                "poor_end_url": url("poor_at", region=code, year=y),
                "rural": rural.get(y),
                "incidence": tables.percent(end[1], rural.get(y)),
            }
        )
    return by_year


def _breakdown(field: str, choices, code: str, figures) -> list[dict[str, Any]]:
    return [
        {
            "key": c.value,
            "label": str(c.label),
            "counts": figures.get(field, c.value),
            "url": selectors.list_url(field, c.value, region=code),
        }
        for c in choices
    ]


def figures_for(user, region: Region | None, year: int) -> dict[str, Any]:
    code = region.code if region else ""
    figures = selectors.region_figures(user, code)
    url = selectors.list_url
    by_year = _by_year(user, code, year, figures)
    statuses = [
        {
            "key": s.value,
            "label": str(s.label),
            "counts": figures.get("status", s.value),
            "url": url("status", s.value, region=code),
        }
        for s in codes.HouseholdStatus
    ]
    registered = [sum(figures.get("status", s)[i] for s in selectors.REGISTERED) for i in (0, 1)]
    types = _breakdown("poor_type", codes.HouseholdType, code, figures)
    causes = _breakdown("poor_cause", codes.PovertyCause, code, figures)
    children = []
    for child in tables.children_of(user, region) if selectors.child_code_length(code) else []:
        poor = figures.get("status", "poor", child.code)
        end = tables.poor_at(figures, year, child.code)
        children.append(
            {
                "region": child,
                "registered": sum(figures.get("status", s, child.code)[0] for s in selectors.REGISTERED),
                "registered_url": url("registered", region=child.code),
                "poor": poor,
                "poor_url": url("status", "poor", region=child.code),
                "exits": figures.get("exit_year", year, child.code),
                "exits_url": url("exit_year", region=child.code, year=year),
                "poor_end": end,
                "poor_end_url": url("poor_at", region=child.code, year=year),
                "monitored": figures.get("status", "monitored", child.code),
                "monitored_url": url("status", "monitored", region=child.code),
            }
        )
    this = by_year[-1]
    return {
        "figures_source": figures.source,
        "statuses": statuses,
        "registered": registered,
        "registered_url": url("registered", region=code),
        "types": types,
        "causes": causes,
        "by_year": by_year,
        "this": this,
        "children": children,
        "charts": {
            "years": [str(r["year"]) for r in by_year],
            "exits": [r["exits"][1] for r in by_year],
            "plans": [r["plan"] for r in by_year],
            "relapses": [r["relapses"][1] for r in by_year],
            "incidence": [float(r["incidence"]) if r["incidence"] is not None else None for r in by_year],
            "types": [{"name": t["label"], "value": t["counts"][0], "url": t["url"]} for t in types],
            "causes": [{"name": c["label"], "value": c["counts"][0], "url": c["url"]} for c in causes],
        },
    }
