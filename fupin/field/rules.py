"""The checks the phone runs before it queues a change (issue 21, item 2), carried in the work set: made from
the services' own constants, limits and message templates, so a refusal shown on the phone offline is word for
word the one the server gives when the change reaches it (the server checks everything again). What needs the
registry (an ID number in another household, an open request, a year without an income record) stays the
server's, in the receipt. static/field/rules.js applies them."""

import datetime
from typing import cast

from django.db.models import Field, Model
from django.utils import timezone
from django.utils.translation import gettext

from fupin.assistance import services as assistance
from fupin.assistance.models import VisitKind
from fupin.changes import kinds as change_kinds
from fupin.changes import services as changes
from fupin.core import idnumber, money
from fupin.core.errors import TOO_LONG
from fupin.declarations.services import FINDINGS_REQUIRED
from fupin.monitoring import services as monitoring
from fupin.monitoring.models import CHECK_ITEM_LABELS, CHECK_ITEMS
from fupin.registry import codes, validation
from fupin.registry.models import Household, Member

from .ops import DATE_FORMAT, HOUSEHOLD_FIELDS, MEMBER_FIELDS


def _max_lengths(model: type[Model], names) -> dict[str, int]:
    fields = (cast(Field, model._meta.get_field(name)) for name in sorted(names))
    return {f.name: f.max_length for f in fields if f.max_length}


def _today() -> dict:
    """The server's zone and date: the phone dates a visit in China's day, not its own clock's zone."""
    now = timezone.localtime()
    offset = now.utcoffset() or datetime.timedelta(0)
    return {
        "time_zone": timezone.get_current_timezone_name(),
        "offset_minutes": int(offset.total_seconds() // 60),
        "date": now.date().isoformat(),
    }


def _money(below) -> dict:
    return {
        "messages": money.messages_for(below=below),
        "below_fen": str(int(below * money.FEN_PER_YUAN)),
        "separators": list(money.SEPARATORS),
        "max_exponent": str(999_999_999_999_999_999),  # Decimal reads no larger one (InvalidOperation)
    }


def rules() -> dict:
    income = change_kinds.income_messages()
    return {
        "today": _today(),
        "date_format": DATE_FORMAT,
        "too_long": TOO_LONG,
        "required": {"name": validation.NAME_REQUIRED, "relation": validation.RELATION_REQUIRED},
        "id_number": {
            "weights": idnumber.WEIGHTS,
            "check": idnumber.CHECK_CHARS,
            "earliest_year": idnumber.EARLIEST_BIRTH_YEAR,
            "messages": idnumber.MESSAGES,
        },
        "member": {
            "max_length": _max_lengths(Member, {"name"}),
            "id_number_max_length": change_kinds.ID_NUMBER_MAX_LENGTH,
            "id_number_too_long": change_kinds.ID_NUMBER_TOO_LONG,
            "relations": list(codes.Relation.values),
            "head": codes.Relation.HEAD.value,
            "second_head": validation.SECOND_HEAD,
            "sex_labels": {value: str(label) for value, label in codes.Sex.choices},
            "sex_mismatch": validation.SEX_MISMATCH,
            "birth_date_mismatch": validation.BIRTH_DATE_MISMATCH,
        },
        "visit": {
            "messages": assistance.VISIT_MESSAGES,
            "date_in_future": assistance.DATE_IN_FUTURE,
            "earliest_year": assistance.EARLIEST_VISIT_YEAR,
            "kinds": list(VisitKind.values),
            "note_max_length": assistance.NOTE_MAX_LENGTH,
            "max_photos": assistance.MAX_PHOTOS_PER_VISIT,
        },
        "lookback": monitoring.lookback_messages()
        | {"items": list(CHECK_ITEMS), "labels": {i: str(CHECK_ITEM_LABELS[i]) for i in CHECK_ITEMS}},
        "leave": change_kinds.leave_messages(),
        "declaration": {"findings": gettext(FINDINGS_REQUIRED)},
        "change": {
            "messages": changes.REASON_MESSAGES,
            "reason_max_length": changes.REASON_MAX_LENGTH,
            "reference_max_length": changes.REFERENCE_MAX_LENGTH,
        },
        "income": {
            "no_year": income["no_year"],
            "year_range": income["year_range"],
            "size": income["size"],
            "years": change_kinds.YEARS,
            "size_limits": change_kinds.HOUSEHOLD_SIZE_LIMITS,
            "components": list(change_kinds.INCOME_COMPONENTS),
            "money": _money(money.CHANGE_INCOME_BELOW),
        },
        "max_length": {
            "member": _max_lengths(Member, MEMBER_FIELDS),
            "household": _max_lengths(Household, HOUSEHOLD_FIELDS),
        },
    }
