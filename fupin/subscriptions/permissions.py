"""Who manages subscriptions: a county office (县扶贫办) for its county, or an administrator."""

from typing import Any

from fupin.accounts.permissions import is_county_office


def can_manage(user: Any) -> bool:
    return is_county_office(user)
