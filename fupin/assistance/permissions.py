"""Who may do what in assistance work (DESIGN.md section 5), read by the services, views and templates
alike."""

from typing import Any

from fupin.accounts.models import Role
from fupin.accounts.permissions import OFFICE_ROLES, has_role, is_county_office, is_helper

__all__ = [
    "can_configure",
    "can_manage",
    "can_plan",
    "can_print_handbooks",
    "can_report_monitoring",
    "can_visit",
    "is_helper",
]

# The township organises pairing (seed 000 四(二)2); the county may too.
MANAGING_ROLES = OFFICE_ROLES
# Help plans: the work team / first secretary, the helper, the township and county offices.
PLANNING_ROLES = frozenset({Role.VILLAGE_TEAM, Role.TOWNSHIP, Role.COUNTY, Role.HELPER})
# Visits are also entered by the village clerk.
VISITING_ROLES = PLANNING_ROLES | {Role.VILLAGE_CLERK}
# The handbooks of a whole village are printed by its staff and the offices, not by one household's helper.
HANDBOOK_BATCH_ROLES = VISITING_ROLES - {Role.HELPER}


def can_manage(user: Any) -> bool:
    """Helper units, helpers, pairing."""
    return has_role(user, *MANAGING_ROLES)


def can_plan(user: Any) -> bool:
    return has_role(user, *PLANNING_ROLES)


def can_visit(user: Any) -> bool:
    return has_role(user, *VISITING_ROLES)


def can_configure(user: Any) -> bool:
    """A county's load cap and visit frequency."""
    return is_county_office(user)


def can_print_handbooks(user: Any) -> bool:
    """A village's handbooks in one batch."""
    return has_role(user, *HANDBOOK_BATCH_ROLES)


def can_report_monitoring(user: Any) -> bool:
    """The June and December helper monitoring is reported up by the township and county offices."""
    return has_role(user, *OFFICE_ROLES)
