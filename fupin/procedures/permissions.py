"""Who may act on each stage of a procedure, allocate quotas and set policy years (DESIGN.md sections 4 and
5).

Read by the services (which refuse) and the views (which show or hide the forms) alike.
"""

from typing import Any

from django.utils.translation import gettext

from fupin.accounts.models import Role
from fupin.accounts.permissions import OFFICE_ROLES, VILLAGE_ROLES, has_role, is_county_office
from fupin.accounts.scope import ScopeError, ensure_can_edit
from fupin.regions.models import Region, RegionLevel

from .models import Batch, Stage

__all__ = [
    "LEVEL_NAMES",
    "LEVEL_ROLES",
    "STAGE_LEVEL",
    "can_act",
    "can_adjust_allocation",
    "can_set_allocation",
    "ensure_level",
    "is_county_office",
    "may_set_policy_for",
]

# The level that acts on each stage, and the roles that act at each level.
LEVEL_ROLES = {
    "village": VILLAGE_ROLES,
    "township": frozenset({Role.TOWNSHIP}),
    "county": frozenset({Role.COUNTY}),
}
LEVEL_NAMES = {"village": "村级（村扶贫专干、驻村工作队）", "township": "乡镇扶贫办", "county": "县扶贫办"}
STAGE_LEVEL: dict[str, str] = {
    Stage.APPLICATION: "village",
    Stage.SURVEY: "village",
    Stage.APPRAISAL: "village",
    Stage.FIRST_NOTICE: "village",
    Stage.TOWNSHIP_REVIEW: "township",
    Stage.SECOND_NOTICE: "township",
    Stage.COUNTY_REVIEW: "county",
}
# Offices that set a poverty line for their own region (the nation's is the administrators').
POLICY_ROLES = frozenset({Role.PROVINCE, Role.PREFECTURE, Role.COUNTY})


def ensure_level(user: Any, code: str, level: str) -> None:
    """In scope to edit `code`, and holding a role of `level` (an administrator acts at every level)."""
    ensure_can_edit(user, code)
    if not has_role(user, *LEVEL_ROLES[level]):
        raise ScopeError(gettext("此操作由%(level)s办理") % {"level": LEVEL_NAMES[level]})


def can_act(user: Any, batch: Batch) -> bool:
    """Whether the user may act on the batch's current stage (for showing the forms)."""
    level = STAGE_LEVEL.get(batch.stage)
    if level is None:
        return False
    try:
        ensure_level(user, batch.village_id, level)
    except ScopeError:
        return False
    return True


def may_set_policy_for(user: Any, region_prefix: str) -> bool:
    """A province, prefecture or county office sets its own region's line; an administrator any region's."""
    return bool(user.is_superuser or (user.role in POLICY_ROLES and region_prefix == user.region_id))


def can_set_allocation(user: Any, region: Region | None) -> bool:
    """A county's quota is set by its office (largest remainder down to townships and villages)."""
    return region is not None and region.level == RegionLevel.COUNTY and is_county_office(user)


def can_adjust_allocation(user: Any, region: Region | None) -> bool:
    """A county or township office adjusts the shares of its own children by hand."""
    if region is None or region.level not in (RegionLevel.COUNTY, RegionLevel.TOWNSHIP):
        return False
    return bool(user.is_superuser or (user.role in OFFICE_ROLES and user.region_id == region.code))
