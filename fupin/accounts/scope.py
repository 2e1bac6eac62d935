"""What a user may read and change: one place, used by every selector and service."""
from django.core.exceptions import PermissionDenied

from fupin.regions.models import in_region


class ScopeError(PermissionDenied):
    """The user may not act on this record (outside their region or role)."""


def region_filter(user, field: str):
    """A Q restricting `field` (a region code) to the user's scope; None: nothing visible."""
    prefix = getattr(user, "scope_prefix", None) if getattr(user, "is_authenticated", False) else None
    if prefix is None:
        return None
    return in_region(field, prefix)


def ensure_can_read(user, code: str) -> None:
    if not (getattr(user, "is_authenticated", False) and user.in_scope(code)):
        raise ScopeError("不在您的管辖范围内")


def ensure_can_edit(user, code: str) -> None:
    ensure_can_read(user, code)
    if not user.can_edit_registry:
        raise ScopeError("您的角色只能查看，不能修改")
