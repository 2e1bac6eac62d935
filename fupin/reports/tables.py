"""The standard statistical tables (统计报表) of a region and year, as rows for a page and as .xlsx.

Each table has one row per child region and a total row; every count comes from
selectors.region_figures (the rollup or live counts) or a grouped query over the region's
code range, so a province's tables cost a handful of indexed lookups.
"""

import io
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Sum
from django.db.models.functions import Coalesce, Substr
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from fupin.accounts.scope import household_filter, region_filter
from fupin.core import spreadsheets
from fupin.procedures.models import BatchHousehold, EntryState, Procedure, ReductionPlan, VillageProfile
from fupin.regions.models import Region, RegionLevel
from fupin.registry import codes

from . import selectors
from .selectors import REGISTERED, RegionFigures, within_region


def percent(part, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def poor_at(figures: RegionFigures, year: int, which: str | None = None) -> list[int]:
    """Registered households (persons) still poor at the end of `year`: registered by then, not exited by
    then."""
    counts = figures.total if which is None else figures.children.get(which, {})
    h = p = 0
    for (metric, key), (hh, pp) in counts.items():
        if metric == "reg_year" and (key == "none" or int(key) <= year):
            h, p = h + hh, p + pp
        elif metric == "exit_year" and key != "none" and int(key) <= year:
            h, p = h - hh, p - pp
    return [h, p]


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[dict] = field(default_factory=list)  # {"code", "name", "cells": [value | (value, url)]}
    total: dict | None = None
    notes: list[str] = field(default_factory=list)


def children_of(user, region: Region | None) -> list[Region]:
    """The child regions in scope (the provinces for the country)."""
    scope = region_filter(user, "code")
    if scope is None:
        return []
    qs = Region.objects.filter(scope)
    qs = qs.filter(parent=region) if region is not None else qs.filter(level=RegionLevel.PROVINCE)
    return list(qs.order_by("code"))


def _by_child(qs, field_name: str, length: int, value):
    rows = qs.order_by().annotate(child=Substr(field_name, 1, length)).values("child").annotate(v=value)
    return {r["child"]: r["v"] or 0 for r in rows}


def _child_extras(
    user, code: str, length: int | None, year: int, figures: RegionFigures | None = None
) -> dict:
    """Per child region: rural population, reduction plan, relapses of the year."""
    if length is None or region_filter(user, "village_id") is None:
        return {"rural": {}, "plan": {}, "relapsed": {}}
    if figures is not None and figures.source != "live":
        rural = {child: figures.get("rural", year, child)[1] for child in figures.children}
    else:
        rural = _by_child(
            within_region(VillageProfile.objects.filter(year=year), "village_id", code).filter(
                region_filter(user, "village_id")
            ),
            "village_id",
            length,
            Sum("rural_population"),
        )
    plans: dict = {}
    for region_id, persons in within_region(
        ReductionPlan.objects.filter(year=year), "region_id", code
    ).values_list("region_id", "persons"):
        if len(region_id) >= length:
            child = region_id[:length]
            # a child's own plan wins over the sum of plans allocated below it
            if len(region_id) == length:
                plans[child] = ("own", persons)
            elif plans.get(child, ("sum", 0))[0] == "sum":
                plans[child] = ("sum", plans.get(child, ("sum", 0))[1] + persons)
    scope = household_filter(user, "household__")
    relapsed = {}
    if scope is not None:
        qs = within_region(
            BatchHousehold.objects.filter(
                batch__kind=Procedure.RELAPSE, batch__year=year, state=EntryState.CONFIRMED
            ),
            "batch__village_id",
            code,
        ).filter(scope)
        relapsed = {
            r["child"]: [r["n"], r["p"]]
            for r in qs.order_by()
            .annotate(child=Substr("batch__village_id", 1, length))
            .values("child")
            .annotate(n=Count("household_id", distinct=True), p=Coalesce(Sum("household__size"), 0))
        }
    return {"rural": rural, "plan": {k: v[1] for k, v in plans.items()}, "relapsed": relapsed}


def _link(value, metric, key="", region_code="", yr=None):
    return (value, selectors.list_url(metric, key, region=region_code, year=yr))


def _standard_headings(year: int) -> tuple[Table, Table, Table]:
    """表1 scale and structure, 表2 types and causes, 表3 the yearly report: their headings and notes."""
    t1 = Table(
        "scale",
        f"表1 建档立卡贫困人口规模统计表（{year}年）",
        [
            "建档立卡户数",
            "建档立卡人数",
            "现有贫困户",
            "现有贫困人口",
            "已脱贫户",
            "已脱贫人口",
            "监测户",
            "监测人口",
            f"{year}年末贫困户",
            f"{year}年末贫困人口",
            f"{year}年农业户籍人口",
            "贫困发生率（%）",
        ],
    )
    t2 = Table(
        "structure",
        "表2 现有贫困户属性及主要致贫原因统计表（户）",
        [str(t.label) for t in codes.HouseholdType] + [str(c.label) for c in codes.PovertyCause],
    )
    t3 = Table(
        "yearly",
        f"表3 {year}年度减贫统计表",
        [
            "减贫计划（人）",
            "脱贫户",
            "脱贫人口",
            "完成计划（%）",
            "返贫户",
            "返贫人口",
            "年末贫困户",
            "年末贫困人口",
            "贫困发生率（%）",
        ],
    )
    t1.notes.append(
        "贫困发生率 = 年末贫困人口 ÷ 农业户籍人口（村级登记表）× 100%；年末贫困人口 = "
        "识别年度不晚于当年、且当年年末尚未脱贫的建档立卡户人口。"
    )
    t3.notes.append(
        "完成计划 = 当年脱贫人口 ÷ 当年减贫计划人数 × 100%；减贫计划取本级下达数，没有时取下级下达数之和。"
    )
    return t1, t2, t3


def _standard_cells(figures, year: int, which, rcode, rural, plan, relapsed) -> tuple[list, list, list]:
    """One row (a child region, or the total when `which` is None) of each of the three tables."""
    link = _link
    reg = [sum(figures.get("status", s, which)[i] for s in REGISTERED) for i in (0, 1)]
    poor = figures.get("status", "poor", which)
    exited = figures.get("status", "exited", which)
    monitored = figures.get("status", "monitored", which)
    end = poor_at(figures, year, which)
    exits = figures.get("exit_year", year, which)
    c1 = [
        link(reg[0], "registered", region_code=rcode),
        reg[1],
        link(poor[0], "status", "poor", rcode),
        poor[1],
        link(exited[0], "status", "exited", rcode),
        exited[1],
        link(monitored[0], "status", "monitored", rcode),
        monitored[1],
        link(end[0], "poor_at", region_code=rcode, yr=year),
        end[1],
        rural or None,
        percent(end[1], rural),
    ]
    c2 = [
        link(figures.get("poor_type", t.value, which)[0], "poor_type", t.value, rcode)
        for t in codes.HouseholdType
    ] + [
        link(figures.get("poor_cause", c.value, which)[0], "poor_cause", c.value, rcode)
        for c in codes.PovertyCause
    ]
    relapsed = relapsed or [0, 0]
    c3 = [
        plan or None,
        link(exits[0], "exit_year", region_code=rcode, yr=year),
        exits[1],
        percent(exits[1], plan),
        link(relapsed[0], "relapsed", region_code=rcode, yr=year),
        relapsed[1],
        link(end[0], "poor_at", region_code=rcode, yr=year),
        end[1],
        percent(end[1], rural),
    ]
    return c1, c2, c3


def standard_tables(user, region: Region | None, year: int) -> list[Table]:
    code = region.code if region else ""
    figures = selectors.region_figures(user, code)
    length = selectors.child_code_length(code)
    children = children_of(user, region) if length else []
    extras = _child_extras(user, code, length, year, figures)
    t1, t2, t3 = _standard_headings(year)
    for child in children:
        c1, c2, c3 = _standard_cells(
            figures,
            year,
            child.code,
            child.code,
            extras["rural"].get(child.code, 0),
            extras["plan"].get(child.code),
            extras["relapsed"].get(child.code),
        )
        for table, cells in ((t1, c1), (t2, c2), (t3, c3)):
            table.rows.append({"code": child.code, "name": child.name, "cells": cells})
    total_rural = (
        sum(extras["rural"].values())
        if length
        else selectors.rural_population(user, code, [year], figures).get(year, 0)
    )
    total_plan = selectors.plans_by_year(user, code, [year]).get(year)
    total_relapsed = selectors.relapses_by_year(user, code, [year]).get(year)
    c1, c2, c3 = _standard_cells(figures, year, None, code, total_rural, total_plan, total_relapsed)
    name = region.name if region else "全国"
    for table, cells in ((t1, c1), (t2, c2), (t3, c3)):
        table.total = {"code": code, "name": f"{name}合计", "cells": cells}
    return [t1, t2, t3]


def value_of(cell):
    return cell[0] if isinstance(cell, tuple) else cell


def to_xlsx(tables: list[Table], *, heading: str) -> bytes:
    """One workbook, a sheet per table, with the region and year in the heading row."""
    wb = spreadsheets.new_workbook()
    wb.remove(wb.active)
    for table in tables:
        ws = wb.create_sheet(table.title.split(" ")[0])
        spreadsheets.append(ws, [table.title])
        spreadsheets.append(ws, [heading])
        spreadsheets.append(ws, ["区划代码", "区划名称"] + table.columns)
        for r in table.rows + ([table.total] if table.total else []):
            spreadsheets.append(
                ws,
                [r["code"], r["name"]]
                + [float(v) if isinstance(v, Decimal) else v for v in map(value_of, r["cells"])],
            )
        for note in table.notes:
            spreadsheets.append(ws, [note])
        ws["A1"].font = Font(bold=True, size=14)
        for cell in ws[3]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, horizontal="center")
        ws.column_dimensions["A"].width = 16
        ws.column_dimensions["B"].width = 20
        for i in range(3, len(table.columns) + 3):
            ws.column_dimensions[get_column_letter(i)].width = 12
        ws.freeze_panes = "C4"
    out = io.BytesIO()
    spreadsheets.save(wb, out)
    return out.getvalue()
