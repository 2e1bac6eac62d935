"""Who may do what in the registry by role (DESIGN.md section 5); region scope is fupin/accounts/scope.py."""

from typing import Any

from fupin.accounts.permissions import is_county_office


def may_load_registered(user: Any) -> bool:
    """Who may create households already in the registry (the national system's 建档立卡 data):
    the county office, which loads it, and administrators. Villages and townships may not."""
    return is_county_office(user)
