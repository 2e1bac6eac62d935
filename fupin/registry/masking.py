"""What a role that may not see identifiers (User.sees_identifiers False: prefecture, province, liaison) is
shown.

ID numbers, phones and bank accounts are masked (110105********002X, 138****5678), and nothing is
shown from which the masked part can be rebuilt. The masked part of an ID number is exactly the
birth date (digits 7 to 14), so these roles never see a member's birth date, in any page, API
answer, export or audit value: they see the birth year. Not the age: an age ticks over on the
birthday, so two readings a day apart give the day, and with it the whole number. Searching by ID
number matches whole 18-character numbers only for them (registry.selectors.households_for), so
the list cannot confirm a number digit by digit; and they may do so ID_SEARCHES_PER_DAY times a day,
since the year, with the last four characters (shown here and on public notices), leaves some thirty
numbers that a whole-number search could try one by one.
"""

import datetime

from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext

from fupin.audit.chain import SEALED
from fupin.audit.services import SENSITIVE
from fupin.core import crypto, idnumber
from fupin.core.idnumber import mask_text

# Field names whose values are masked, wherever they appear (a record, an audit entry's changes, nested
# lists).
MASKED_FIELDS = SENSITIVE | {"head_id_number", "birth_date", "contact_phone", "borrower_id_number"}


def birth_year(value) -> str:
    """The year of a birth date given as a date or an ISO string ("1968-03-01" → "1968年"); "" when there is
    none."""
    if isinstance(value, datetime.date):
        return gettext("%(year)s年") % {"year": value.year}
    text = str(value or "")
    return gettext("%(year)s年") % {"year": text[:4]} if len(text) >= 4 and text[:4].isdigit() else ""


def mask_value(name: str, value):
    """The value of field `name` as a role without identifiers sees it."""
    if value in (None, ""):
        return value
    if isinstance(value, str) and name in SEALED:  # an audit entry's value, stored encrypted (audit.chain)
        value = crypto.decrypt(value, SEALED[name])
    if name == "birth_date":
        return birth_year(value)
    if name in ("phone", "contact_phone"):
        return idnumber.mask_phone(str(value))
    return idnumber.mask(str(value))


def mask_changes(value, name: str = ""):
    """An audit entry's changes ({field: [old, new]}, possibly nesting lists of records) with every sensitive
    value masked."""
    if isinstance(value, dict):
        return {k: mask_changes(v, k) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_changes(v, name) for v in value]
    if name in MASKED_FIELDS:
        return mask_value(name, value)
    if isinstance(value, str):
        return mask_text(value)
    return value


def mask_record(values: dict) -> dict:
    """A record's fields (a dict from the API) with the sensitive ones masked, in place; returned for
    chaining."""
    for key in MASKED_FIELDS & values.keys():
        values[key] = mask_value(key, values[key])
    return values


# Whole-number ID searches a day for a role that may not see ID numbers: enough to look up the people a
# complaint or an inspection names, far too few to try the candidates a masked number leaves.
ID_SEARCHES_PER_DAY = 20


def allow_id_search(user) -> bool:
    """Count one whole-number ID search by a role that may not see ID numbers; False once today's are used up.

    Counted in the default cache (shared by the server's processes when CACHE_URL names a file or Redis
    cache; per process otherwise), keyed by the user and the day.
    """
    joined = user.date_joined.timestamp() if getattr(user, "date_joined", None) else 0
    key = f"id-search:{user.pk}:{joined:.0f}:{timezone.localdate():%Y%m%d}"
    cache.add(key, 0, 2 * 86400)
    try:
        used = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, 2 * 86400)
        used = 1
    return used <= ID_SEARCHES_PER_DAY


def is_whole_id(q: str) -> bool:
    """Whether a search term is a whole ID number (18 characters: 17 digits and a digit or X)."""
    q = (q or "").strip().upper()
    return len(q) == 18 and q[:17].isdigit() and (q[17].isdigit() or q[17] == "X")
