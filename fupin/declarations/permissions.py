"""Who may work on a declaration (农户自主申报) by role, read by the services (and the pages that show their
buttons)."""

from typing import Any

from fupin.accounts.models import Role
from fupin.accounts.permissions import VILLAGE_ROLES, has_role
from fupin.accounts.scope import household_filter
from fupin.registry.models import Household

from .models import Declaration

# Home verification (入户核实) is the village's: its clerk and work team.
VERIFY_ROLES = VILLAGE_ROLES


def can_verify(user: Any, declaration: Declaration) -> bool:
    return has_role(user, *VERIFY_ROLES) and user.in_scope(declaration.village_id)


def is_paired_helper(user: Any, declaration: Declaration) -> bool:
    """The helper paired to the declaring household (an administrator is not one)."""
    if getattr(user, "role", "") != Role.HELPER or declaration.household_id is None:
        return False
    q = household_filter(user)
    return q is not None and Household.objects.filter(q, pk=declaration.household_id).exists()
