"""A user's region scope as one code range: the rule every scoped read starts from. It lives beside the region
tree so that the tree's own selectors can apply it; fupin.accounts.scope builds every other scope rule on
it."""

from typing import Any

from django.db.models import Q

from .models import in_region


def region_filter(user: Any, field: str) -> Q | None:
    """A Q restricting `field` (a region code) to the user's scope; None: nothing visible."""
    prefix = getattr(user, "scope_prefix", None) if getattr(user, "is_authenticated", False) else None
    if prefix is None:
        return None
    return in_region(field, prefix)
