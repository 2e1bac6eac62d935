"""What a user may read and change: one place, used by every selector and service."""

from collections.abc import Callable

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext

from fupin.core.errors import ScopeError
from fupin.regions.models import in_region
from fupin.regions.scope import region_filter

from .models import User

# A helper (帮扶责任人) reads only the households paired to them. The pairings are the assistance app's, which
# sits above accounts (tests/test_layers.py), so it hands its query over at start-up: AssistanceConfig.ready()
# calls provide_paired_filter(fupin.assistance.selectors.active_pairings). Until it has, a helper reads no
# household.
_paired_filter: list[Callable[..., QuerySet]] = []


def provide_paired_filter(active_pairings: Callable[..., QuerySet]) -> None:
    """Register `active_pairings(user, household)`: the user's pairings in force with `household` (an id or
    OuterRef)."""
    _paired_filter[:] = [active_pairings]


def household_filter(user: User, prefix: str = "", *, region_field: str | None = None) -> Q | None:
    """A Q over Household rows (reached through `prefix`, e.g. "household__") the user may read; None:
    nothing.

    The region scope first; a helper (帮扶责任人) additionally sees only the households
    with an active pairing to them, and nothing once their record is set inactive (离岗):
    the pairings they leave behind are no longer theirs to read or write (DESIGN.md section 5). `region_field`
    names a denormalised village code to use instead of `<prefix>village_id` (Member.village_code).
    """
    field = region_field or prefix + "village_id"
    helper_region = getattr(user, "helper_region", None) if getattr(user, "is_authenticated", False) else None
    if helper_region and not user.is_superuser:
        if not _paired_filter:
            return None
        paired = _paired_filter[0](user, OuterRef(prefix + "pk"))
        return in_region(field, helper_region) & Q(Exists(paired))
    return region_filter(user, field)


def households_in_scope_key(user: User) -> tuple:
    """The key under which a batch (fupin.core.batch) remembers the ids of households it read through
    household_filter(user): a service's own scope check of one of them needs no query again in that batch."""
    return ("households_in_scope", getattr(user, "pk", None))


def ensure_can_read(user: User, code: str) -> None:
    if not (getattr(user, "is_authenticated", False) and user.in_scope(code)):
        raise ScopeError(gettext("不在您的管辖范围内"))


READ_ONLY_MESSAGE = "您的角色只能查看，不能修改"


def ensure_can_write(user: User) -> None:
    """Refuse any change by a read-only role (prefecture, province): every service that writes calls this or
    ensure_can_edit."""
    if not getattr(user, "is_authenticated", False) or getattr(user, "is_read_only", False):
        raise ScopeError(READ_ONLY_MESSAGE)


def ensure_can_edit(user: User, code: str) -> None:
    ensure_can_read(user, code)
    if not user.can_edit_registry:
        raise ScopeError(READ_ONLY_MESSAGE)
