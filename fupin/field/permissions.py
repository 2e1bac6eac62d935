"""Who uses the field app (helpers and village staff) and who revokes a phone (the county office)."""

from typing import Any

from fupin.accounts.models import Role
from fupin.accounts.permissions import has_role, is_county_office

# The phone app is for the people in the homes: helpers (帮扶责任人) and the village's staff.
FIELD_ROLES = frozenset({Role.HELPER, Role.VILLAGE_CLERK, Role.VILLAGE_TEAM})
# Conflicts a sync kept are settled on the web by the village and the township.
CONFLICT_ROLES = frozenset({Role.VILLAGE_CLERK, Role.VILLAGE_TEAM, Role.TOWNSHIP, Role.COUNTY})


def can_use_app(user: Any) -> bool:
    return has_role(user, *FIELD_ROLES) and not getattr(user, "is_superuser", False)


def can_see_conflicts(user: Any) -> bool:
    return has_role(user, *CONFLICT_ROLES)


def can_revoke(user: Any) -> bool:
    return is_county_office(user)
