"""Who reads the access log: the county office for its county, administrators for every county."""

from typing import Any

from fupin.accounts.permissions import is_county_office


def may_read_log(user: Any) -> bool:
    return is_county_office(user)
