"""Who may do what by role (DESIGN.md section 5): the primitives every app's permissions.py builds on.

Region scope (what a user may read or change at all) is fupin/accounts/scope.py; this module answers
the other question, whether the user's role does this kind of work. Roles are always `Role` members.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .models import Role

if TYPE_CHECKING:
    from .models import User

# Village-level staff: the village clerk (村扶贫专干) and the work team / first secretary.
VILLAGE_ROLES = frozenset({Role.VILLAGE_CLERK, Role.VILLAGE_TEAM})
# The offices that review and follow up cases: township and county (扶贫办).
OFFICE_ROLES = frozenset({Role.TOWNSHIP, Role.COUNTY})


def has_role(user: Any, *roles: Role) -> bool:
    """An administrator, or a signed-in user holding one of `roles`."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser or getattr(user, "role", "") in roles)


def holds(user: Any, role: Role) -> bool:
    """The user holds `role` itself (an administrator does not count): for what a role sees differently."""
    return bool(
        getattr(user, "is_authenticated", False)
        and not user.is_superuser
        and getattr(user, "role", "") == role
    )


def is_helper(user: Any) -> bool:
    """A helper (帮扶责任人): reads only the households paired to them."""
    return holds(user, Role.HELPER)


def is_liaison(user: Any) -> bool:
    """A department liaison (部门联络员): uploads cross-check lists, reads no household."""
    return holds(user, Role.LIAISON)


def is_county_office(user: Any) -> bool:
    """The county office (县扶贫办), or an administrator acting as one."""
    return has_role(user, Role.COUNTY)


def is_office(user: Any) -> bool:
    """A township or county office, or an administrator."""
    return has_role(user, *OFFICE_ROLES)


def is_village_staff(user: Any) -> bool:
    return has_role(user, *VILLAGE_ROLES)


def may_create_users(by: User | None, region_code: str | None) -> bool:
    """Administrators create any user; a county office, users bound to a region inside its county."""
    if by is None or by.is_superuser:
        return True
    return bool(holds(by, Role.COUNTY) and region_code and by.in_scope(region_code))
