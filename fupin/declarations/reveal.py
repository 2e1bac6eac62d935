"""Seeing a declarant's ID number and phone in full (issue 17, item 2): masked on the declaration's page and
in the API for every role, shown to a role that works with identifiers on an explicit request with a purpose,
each time written to the access log (fupin.audit.access) in the same transaction.

A declarant is often not registered: the entry names the declaration (申报 回执号, the declarant's name) and,
when the number is a registered member's, that member too, so the county finds it by person."""

from typing import Any

from django.db import transaction

from fupin.audit import access
from fupin.registry import reveal as registry_reveal
from fupin.registry.models import Member
from fupin.registry.services import RegistryError

from .models import Declaration

FIELDS = ("id_number", "phone")


def label(declaration: Declaration) -> str:
    return f"申报 {declaration.receipt}（{declaration.name}）"


@transaction.atomic
def reveal(declaration: Declaration, *, by: Any, purpose: str, note: str = "", channel: str) -> bool:
    """Check and log that `by` sees the declarant's ID number and phone for `purpose`; True when they are to
    be shown. RegistryError without a purpose, PermissionDenied for a role that may not see identifiers."""
    registry_reveal.ensure_may_reveal(by)
    try:
        purpose, note = access.check_purpose(purpose, note)
    except access.RevealRefused as e:
        raise RegistryError({"purpose": str(e)}) from None
    members = list(
        Member.objects.filter(id_number=declaration.id_number).only("pk", "household_id", "village_code")
    )
    entry = access.record_access(
        by=by,
        persons=access.member_persons(members),
        fields=FIELDS,
        purpose=purpose,
        note=note,
        channel=channel,
        label=label(declaration),
        target_id=f"declaration:{declaration.pk}",
        # a declarant not registered is a person of their own (the unusual-reading count)
        records=[
            (label(declaration), declaration.village_id, "" if members else f"declaration:{declaration.pk}")
        ],
    )
    return entry is not None
