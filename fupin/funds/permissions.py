"""Who may do what with projects, funds and microloans (DESIGN.md section 5), read by the services and views
alike."""

from typing import Any

from django.utils.translation import gettext

from fupin.accounts.models import Role
from fupin.accounts.permissions import VILLAGE_ROLES, has_role, is_county_office
from fupin.accounts.scope import ScopeError, ensure_can_edit

__all__ = ["APPLYING_ROLES", "can_apply", "ensure_can_apply", "ensure_county_office", "is_county_office"]

# Loan applications come through the village (村委会、驻村工作队) or the county office.
APPLYING_ROLES = VILLAGE_ROLES | {Role.COUNTY}


def can_apply(user: Any) -> bool:
    return has_role(user, *APPLYING_ROLES)


def ensure_county_office(user: Any, code: str) -> None:
    """Projects, funds, bank decisions, subsidies and the risk fund are the county office's work."""
    ensure_can_edit(user, code)
    if not is_county_office(user):
        raise ScopeError(gettext("只有县扶贫办可以办理此项业务"))


def ensure_can_apply(user: Any, code: str) -> None:
    ensure_can_edit(user, code)
    if not can_apply(user):
        raise ScopeError(gettext("贷款申请由村扶贫专干、驻村工作队或县扶贫办录入"))
