"""Who may do what in assistance work (DESIGN.md section 5), read by services and templates alike."""
from fupin.accounts.models import Role
from fupin.registry.codes import HouseholdStatus

# Households that must have a responsible helper: not unpaired until they exit (四定两不).
NEEDS_HELPER = (HouseholdStatus.POOR, HouseholdStatus.MONITORED)
# Households that have a handbook (建档立卡): issued at identification, kept after exit.
HAS_HANDBOOK = (HouseholdStatus.POOR, HouseholdStatus.MONITORED, HouseholdStatus.EXITED)

# The township organises pairing (seed 000 四(二)2); the county may too.
MANAGING_ROLES = {Role.TOWNSHIP, Role.COUNTY}
# Help plans: the work team / first secretary, the helper, the township and county offices.
PLANNING_ROLES = {Role.VILLAGE_TEAM, Role.TOWNSHIP, Role.COUNTY, Role.HELPER}
# Visits are also entered by the village clerk.
VISITING_ROLES = PLANNING_ROLES | {Role.VILLAGE_CLERK}


def can_manage(user) -> bool:
    """Helper units, helpers, pairing."""
    return bool(user.is_superuser or user.role in MANAGING_ROLES)


def can_plan(user) -> bool:
    return bool(user.is_superuser or user.role in PLANNING_ROLES)


def can_visit(user) -> bool:
    return bool(user.is_superuser or user.role in VISITING_ROLES)


def can_configure(user) -> bool:
    """A county's load cap and visit frequency."""
    return bool(user.is_superuser or user.role == Role.COUNTY)


def is_helper(user) -> bool:
    return not user.is_superuser and user.role == Role.HELPER
