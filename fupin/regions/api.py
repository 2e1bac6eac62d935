"""The region tree in the JSON API: a region and its children, within the caller's scope."""

from typing import Annotated

from django.utils.translation import gettext
from ninja import Path, Router, Schema
from pydantic import AfterValidator

from fupin.core.api import errors_for

from . import selectors
from .models import LEVEL_BY_LENGTH, Region


def _check_region_code(value: str) -> str:
    value = value.strip()
    if not value.isascii() or not value.isdigit() or len(value) not in LEVEL_BY_LENGTH:
        raise ValueError(gettext("区划代码应为2、4、6、9、12或15位数字"))
    return value


# A region code as written in URLs and filters: 36, 3607, 360722, 360722100, 360722100001.
RegionCode = Annotated[str, AfterValidator(_check_region_code)]


class RegionOut(Schema):
    code: str
    statistical_code: str
    name: str
    full_name: str
    level: int
    level_display: str
    parent: str | None


def region_out(region: Region, *, full_name: str | None = None) -> dict:
    return {
        "code": region.code,
        "statistical_code": region.statistical_code,
        "name": region.name,
        "full_name": full_name if full_name is not None else region.name,
        "level": region.level,
        "level_display": str(region.get_level_display()),
        "parent": region.parent_id,
    }


router = Router(tags=["regions"])


@router.get("/regions/{code}/", response={200: RegionOut} | errors_for(), summary="一个区划（在管辖范围内）")
def region_detail(request, code: Path[RegionCode]):
    region = selectors.region_for(request.auth, code)
    return region_out(region, full_name=region.full_name())


@router.get(
    "/regions/{code}/children/",
    response={200: list[RegionOut]} | errors_for(),
    summary="下级区划（在管辖范围内）",
)
def region_children(request, code: Path[RegionCode]):
    region = selectors.region_for(request.auth, code)
    prefix = region.full_name()
    return [
        region_out(child, full_name=prefix + child.name)
        for child in selectors.children_for(request.auth, region)
    ]
