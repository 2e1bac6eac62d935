"""Statistics in the JSON API, under /api/v1/statistics/: the dashboard's figures, the case-work figures and
the
standard tables (表1…) of a region in scope and a year, as JSON. The same selectors as the pages (rollups
where built),
and the same refusal for roles that read no region (a helper, a department liaison)."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext
from ninja import Field, Query, Router, Schema

from fupin.core.api import errors_for, plain_json
from fupin.core.params import FIRST_YEAR, this_year
from fupin.regions import selectors as regions
from fupin.regions.api import RegionCode
from fupin.regions.models import Region, RegionLevel

from . import casework_figures, selectors, tables
from .dashboard import figures_for

router = Router(tags=["statistics"])
ERRORS = errors_for()


class Where(Schema):
    region: RegionCode | None = Field(None, description="区划代码；省略时为本人所辖区划")
    year: int | None = Field(None, ge=FIRST_YEAR, le=2100, description="年度；省略时为今年")


def _where(request, where: Where) -> tuple[Region | None, int]:
    user = request.auth
    if user.scope_prefix is None:
        raise PermissionDenied(gettext("您的角色不能查看统计数据"))
    region = regions.region_for(user, where.region) if where.region else regions.home_region(user)
    if region is not None and region.level > RegionLevel.VILLAGE:
        region = region.parent
    return region, where.year or this_year()


@router.get(
    "/dashboard/",
    response={200: dict[str, Any]} | ERRORS,
    summary="统计首页的数字：规模、结构、逐年脱贫与返贫、下级区划",
)
def dashboard(request, where: Query[Where]):
    """每个数字附有其背后户列表的网址（*_url）。"""
    region, year = _where(request, where)
    out = plain_json(figures_for(request.auth, region, year))
    return out | {"region": region.code if region else "", "year": year}


@router.get(
    "/casework/", response={200: dict[str, Any]} | ERRORS, summary="帮扶、监测、问题、项目资金、信贷的数字"
)
def casework(request, where: Query[Where]):
    region, year = _where(request, where)
    user, code = request.auth, region.code if region else ""
    counts = casework_figures.casework_counts(user, code)
    return plain_json(
        {
            "region": code,
            "year": year,
            "monitoring": casework_figures.monitoring_figures(user, code, year, counts),
            "assistance": casework_figures.assistance_figures(user, code, year, counts),
            "problems": casework_figures.problem_figures(user, code),
            "funds": selectors.funds_figures(user, code, year),
            "loans": selectors.loan_figures(user, code),
        }
    )


@router.get("/tables/", response={200: list[dict[str, Any]]} | ERRORS, summary="标准统计表（表1…），JSON")
def standard_tables(request, where: Query[Where]):
    """每张表：key、title、columns、rows（code、name、cells）、total、notes；
    单元格为数值或 [数值, 户列表网址]。"""
    region, year = _where(request, where)
    return plain_json(tables.standard_tables(request.auth, region, year))
