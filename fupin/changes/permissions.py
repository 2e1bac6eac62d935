"""Who may propose and who may review a change request (maker-checker), read by the services and the views
alike."""

from typing import Any

from fupin.accounts.permissions import OFFICE_ROLES, VILLAGE_ROLES, has_role

# The village clerk and the work team propose; the township and county offices review.
PROPOSER_ROLES = VILLAGE_ROLES
REVIEWER_ROLES = OFFICE_ROLES


def can_propose(user: Any) -> bool:
    return has_role(user, *PROPOSER_ROLES)


def can_review(user: Any) -> bool:
    return has_role(user, *REVIEWER_ROLES)
