"""Who may do what in monitoring (DESIGN.md section 5), read by the services and the views alike.

The county runs monitoring; the township follows up its villages; prefecture and province read the
results and write nothing (accounts.models.READ_ONLY_ROLES); a department liaison uploads its lists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fupin.accounts.models import Role, User
from fupin.accounts.permissions import (
    OFFICE_ROLES,
    VILLAGE_ROLES,
    has_role,
    holds,
    is_county_office,
    is_liaison,
)
from fupin.core.errors import ScopeError
from fupin.regions.models import level_of

if TYPE_CHECKING:
    from .models import CrossCheck, Problem

__all__ = [
    "can_close",
    "can_decide_cases",
    "can_reject_case",
    "can_run_check",
    "can_run_checks",
    "can_sweep",
    "can_upload_lists",
    "ensure",
    "holds",
    "is_county_office",
    "is_liaison",
    "level",
]

# Lists of other departments come from their liaison (部门联络员) or the county office itself.
UPLOADING_ROLES = frozenset({Role.LIAISON, Role.COUNTY})


def ensure(allowed: bool, message: str = "您的角色不能进行此操作") -> None:
    if not allowed:
        raise ScopeError(message)


def can_sweep(user: User) -> bool:
    """Sweeps write risk signals and suspect records for the offices that act on them: the county, which runs
    monitoring, and the township, which follows up its villages."""
    return has_role(user, *OFFICE_ROLES)


def can_decide_cases(user: User) -> bool:
    """Review, include and eliminate risk of a monitored household; open and close look-backs; decide
    findings."""
    return has_role(user, *OFFICE_ROLES)


def can_reject_case(user: User) -> bool:
    """A reported household may also be turned down by the village that reported it."""
    return has_role(user, *OFFICE_ROLES, *VILLAGE_ROLES)


def can_upload_lists(user: User) -> bool:
    return has_role(user, *UPLOADING_ROLES)


def can_run_checks(user: User) -> bool:
    """Only the county office runs a cross-check (start_cross_check checks the list is addressed to it)."""
    return is_county_office(user)


def can_run_check(user: User, check: CrossCheck) -> bool:
    """The office the list is addressed to (or an administrator): for showing the run button."""
    return bool(user.is_superuser or (holds(user, Role.COUNTY) and check.scope_code == user.region_id))


def level(user: User) -> int:
    """The region level a user acts at (0 for an administrator without a region)."""
    if user.is_superuser and not user.region_id:
        return 0
    return level_of(user.region_id) if user.region_id else 99


def can_close(user: User, problem: Problem) -> bool:
    """Close-out (销号) belongs to the level above the one that rectified (and above the responsible
    level)."""
    if not user.in_scope(problem.region_code) or not user.can_edit_registry:
        return False
    acting = min(problem.responsible_level, level(problem.rectified_by) if problem.rectified_by else 99)
    return user.is_superuser or level(user) < acting
