"""Seeing a change request's ID numbers and phones in full (issue 17, item 2): masked on its page and in the
API for every role, shown to a role that works with identifiers on an explicit request with a purpose, each
time written to the access log (fupin.audit.access) in the same transaction.

The persons logged are the registered members the request names (ChangeTarget); a request that adds a person
not yet registered (增员) shows that person's number under the household, so the household's members are
logged."""

from typing import Any

from django.db import transaction

from fupin.audit import access
from fupin.registry import reveal as registry_reveal
from fupin.registry.models import Member
from fupin.registry.services import RegistryError

from .models import ChangeRequest

FIELDS = ("id_number", "phone")


def persons_shown(change: ChangeRequest) -> list[Member]:
    ids = {t.member_id for t in change.targets.all() if t.member_id}
    members = (
        Member.objects.filter(pk__in=ids) if ids else Member.objects.filter(household=change.household_id)
    )
    return list(members.only("pk", "household_id", "village_code"))


@transaction.atomic
def reveal(change: ChangeRequest, *, by: Any, purpose: str, note: str = "", channel: str) -> bool:
    """Check and log that `by` sees the request's ID numbers and phones for `purpose`; True when they are to
    be shown. RegistryError without a purpose, PermissionDenied for a role that may not see identifiers."""
    registry_reveal.ensure_may_reveal(by)
    try:
        purpose, note = access.check_purpose(purpose, note)
    except access.RevealRefused as e:
        raise RegistryError({"purpose": str(e)}) from None
    members = persons_shown(change)
    entry = access.record_access(
        by=by,
        persons=access.member_persons(members),
        fields=FIELDS,
        purpose=purpose,
        note=note,
        channel=channel,
        label=f"变更申请 #{change.pk}",
        target_id=f"change:{change.pk}",
    )
    return entry is not None
