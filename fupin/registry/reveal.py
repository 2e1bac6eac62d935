"""Revealing a household's or member's sensitive values (issue 17, item 2): masked by default for everyone,
shown in full only to roles that work with identifiers (User.sees_identifiers), on an explicit request with a
purpose, each time written to the access log (fupin.audit.access) in the same transaction.

REVEALS maps what a caller asks to see to the fields it unmasks: an ID number's masked digits are the birth
date, so revealing the ID number shows the birth date too, and nothing else does."""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext

from fupin.accounts.scope import household_filter
from fupin.audit import access

from . import masking
from .models import Household, Member
from .selectors import id_number_ending
from .services import RegistryError

REVEALS = {
    "id_number": {"id_number", "head_id_number", "birth_date", "borrower_id_number"},
    "phone": {"phone", "contact_phone"},
    "bank_account": {"bank_account"},
}


def parse_fields(raw: str | Iterable[str] | None) -> frozenset[str]:
    """The fields named in `?reveal=id_number,phone` (or a list); "all" or "1" names every one. Unknown names
    refused."""
    if raw is None:
        return frozenset()
    names = raw.split(",") if isinstance(raw, str) else list(raw)
    names = [n.strip() for n in names if n and n.strip()]
    if any(n in ("all", "1", "true") for n in names):
        return frozenset(REVEALS)
    unknown = sorted(set(names) - set(REVEALS))
    if unknown:
        raise RegistryError(
            {
                "reveal": gettext("不能查看的字段：%(fields)s（可选 id_number、phone、bank_account）")
                % {"fields": "、".join(unknown)}
            }
        )
    return frozenset(names)


def unmasked(fields: Iterable[str]) -> set[str]:
    """The record fields shown in full when `fields` (keys of REVEALS) are revealed."""
    out: set[str] = set()
    for f in fields:
        out |= REVEALS.get(f, set())
    return out


def mask_values(values: dict, revealed: Iterable[str] = ()) -> dict:
    """A record's fields (a dict) with every sensitive field not revealed masked, in place; free text has ID
    numbers masked unless ID numbers are revealed."""
    shown = unmasked(revealed)
    for key in (masking.MASKED_FIELDS - shown) & values.keys():
        values[key] = masking.mask_value(key, values[key])
    if "id_number" not in shown:
        for key, value in values.items():
            if isinstance(value, str) and key not in masking.MASKED_FIELDS:
                values[key] = masking.mask_text(value)
    return values


def ensure_may_reveal(user: Any) -> None:
    if not getattr(user, "sees_identifiers", False):
        raise PermissionDenied(gettext("您的角色不能查看完整的身份证号、电话和银行账号"))


@transaction.atomic
def reveal(
    members: Iterable[Member],
    *,
    by: Any,
    fields: Iterable[str],
    purpose: str,
    note: str = "",
    channel: str = access.Channel.PAGE,
    household: Household | None = None,
) -> frozenset[str]:
    """Check that `by` may see these members' `fields` for `purpose` and log it; the fields to show.
    RegistryError when the purpose is missing, PermissionDenied for a role that may not see identifiers."""
    fields = frozenset(fields)
    if not fields:
        return fields
    ensure_may_reveal(by)
    try:
        purpose, note = access.check_purpose(purpose, note)
    except access.RevealRefused as e:
        raise RegistryError({"purpose": str(e)}) from None
    persons = access.member_persons(members)
    if not persons and household is not None:
        return fields
    access.record_access(
        by=by,
        persons=persons,
        fields=fields,
        purpose=purpose,
        note=note,
        channel=channel,
        label=str(household) if household is not None else "",
        target_id=household.pk if household is not None else "",
    )
    return fields


def log_seen(
    members: Iterable[Member], *, by: Any, fields: Iterable[str], channel: str, purpose: str
) -> None:
    """Log values a user saw in full without asking (an edit form holds the values it edits; a search matched
    on a whole ID number): the purpose is the act itself."""
    persons = access.member_persons(members)
    if persons and getattr(by, "sees_identifiers", False):
        access.record_access(by=by, persons=persons, fields=fields, purpose=purpose, channel=channel)


SEARCH_LOGGED = 500  # the persons an ID search logs at most (a 6-digit part can match a county's worth)


def log_id_search(user: Any, q: str, *, channel: str = access.Channel.SEARCH) -> None:
    """A search by (part of) an ID number that matched shows whose number it is: logged for the members it
    matched, for roles that search by ID number (those that may not see them are counted per day:
    masking.allow_id_search)."""
    upper = (q or "").strip().upper()
    if not (getattr(user, "sees_identifiers", False) and len(upper) >= 6 and upper[:-1].isdigit()):
        return
    if not (upper[-1].isdigit() or upper[-1] == "X"):
        return
    scope = household_filter(user, "household__", region_field="village_code")
    if scope is None:
        return
    members = Member.objects.filter(scope)
    members = members.filter(id_number=upper) if len(upper) == 18 else id_number_ending(members, upper)
    found = list(members.only("pk", "household_id", "village_code")[:SEARCH_LOGGED])
    log_seen(found, by=user, fields=("id_number",), channel=channel, purpose="search")
