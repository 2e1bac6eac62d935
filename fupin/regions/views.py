"""The region tree within the user's scope: from their own region down to villages, with household counts."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from fupin.core.lookup import get_in_scope

from . import selectors
from .models import Region, RegionLevel

# The counts beside each region (households, persons, households by status) are the registry's, which sits
# above regions (tests/test_layers.py): RegistryConfig.ready() hands them over through provide_counts at
# start-up.
_counts = {"columns": [], "breakdown": lambda user, region_code, level: {}}


def provide_counts(*, columns: list[str], breakdown) -> None:
    """Register the count columns and `breakdown(user, region_code, level)`: {child code or None: {column:
    n}}."""
    _counts.update(columns=columns, breakdown=breakdown)


@login_required
def region_index(request):
    """The user's own region; for an administrator bound to none, the provinces."""
    user = request.user
    if user.scope_prefix is None:
        raise PermissionDenied(_("您的角色不能查看区划和户信息"))
    region = selectors.home_region(user)
    if region is not None:
        return redirect("regions:detail", region.code)
    return _render(request, None)


@login_required
def region_detail(request, code):
    region = get_in_scope(
        selectors.region_for, request.user, code, message=_("区域不存在或不在您的管辖范围内")
    )
    return _render(request, region)


def _render(request, region: Region | None):
    user = request.user
    children = list(selectors.children_for(user, region))
    breakdown = _counts["breakdown"](user, region.code if region else "", region.level if region else None)
    columns = _counts["columns"]
    zero = dict.fromkeys(columns, 0)
    rows = [(child, breakdown.pop(child.code, zero)) for child in children]
    # Households not under any child region (a village's households without a group).
    ungrouped = breakdown.pop(None, None)
    totals = {k: sum(counts[k] for _child, counts in rows) + (ungrouped or zero)[k] for k in columns}
    for counts in breakdown.values():  # child codes with households but no region row
        for k in columns:
            totals[k] += counts[k]
    return render(
        request,
        "regions/region_detail.html",
        {
            "region": region,
            "path": selectors.path_for(user, region),
            "rows": rows,
            "ungrouped": ungrouped,
            "totals": totals,
            "child_level": RegionLevel(region.level + 1).label
            if region and region.level < RegionLevel.GROUP
            else _("省"),
            "is_village": region is not None and region.level == RegionLevel.VILLAGE,
            "can_create": user.can_edit_registry
            and region is not None
            and region.level >= RegionLevel.COUNTY,
        },
    )
