"""The field app's reads: a user's work set (only what the role needs, ID numbers masked as on the web, each
record with its version or the values an edit is based on), the sync conflicts a reviewer settles, a county's
devices."""

import datetime
from collections.abc import Iterable
from typing import Any, cast

from django.db.models import Field, Max, QuerySet
from django.utils import timezone

from fupin.accounts.models import User
from fupin.accounts.permissions import has_role
from fupin.accounts.scope import household_filter, region_filter
from fupin.assistance.models import OPEN_MEASURE_STATUSES, HelpMeasure, Visit, VisitKind
from fupin.assistance.services import settings_for
from fupin.changes.kinds import INCOME_COMPONENTS
from fupin.changes.models import ChangeKind, JoinCause, LeaveCause
from fupin.core.idnumber import mask, mask_text
from fupin.core.versions import plain
from fupin.declarations.models import Declaration, Status
from fupin.declarations.permissions import VERIFY_ROLES
from fupin.monitoring.models import CHECK_ITEMS, LookBack, LookBackItem
from fupin.registry import codes
from fupin.registry.models import Household, IncomeRecord, Member

from . import permissions
from .models import Conflict, Device
from .ops import CHANGE_KINDS, HOUSEHOLD_FIELDS, MEASURE_FIELDS, MEMBER_FIELDS
from .rules import rules

# A phone carries at most this many households (a village's, or a helper's pairings): the rest stays on the
# web.
MAX_HOUSEHOLDS = 2000


def _households(user: User) -> list[dict]:
    scope = household_filter(user)
    if scope is None:
        return []
    rows = list(
        Household.objects.filter(scope)
        .order_by("village_id", "number")
        .values(
            "id",
            "number",
            "village_id",
            "village__name",
            "head_name",
            "status",
            "household_type",
            "size",
            "version",
            *sorted(HOUSEHOLD_FIELDS),
        )[:MAX_HOUSEHOLDS]
    )
    ids = [r["id"] for r in rows]
    last = dict(
        Visit.objects.filter(household_id__in=ids)
        .order_by()
        .values("household_id")
        .annotate(d=Max("visited_on"))
        .values_list("household_id", "d")
    )
    members: dict[int, list] = {}
    for m in (
        Member.objects.filter(household_id__in=ids)
        .order_by("household_id", "id")
        .values(
            "id", "household_id", "name", "relation", "id_number", "sex", "version", *sorted(MEMBER_FIELDS)
        )
    ):
        m["id_number"] = mask(m["id_number"])
        members.setdefault(m.pop("household_id"), []).append({k: plain(v) for k, v in m.items()})
    intervals: dict[str, int] = {}
    today = timezone.localdate()
    out = []
    for r in rows:
        county = r["village_id"][:6]
        if county not in intervals:
            intervals[county] = settings_for(county).visit_interval_days
        visited = last.get(r["id"])
        due = (visited + datetime.timedelta(days=intervals[county])) if visited else today
        out.append(
            {k: plain(v) for k, v in r.items()}
            | {
                "village": r["village__name"],
                "members": members.get(r["id"], []),
                "last_visited_on": plain(visited),
                "visit_due_on": plain(due),
                "visit_due": due <= today,
            }
        )
    for r in out:
        r.pop("village__name")
    return out


def _lookback_items(user: User, ids: list[int]) -> list[dict]:
    if (
        not user.can_edit_registry
    ):  # the checklist is recorded by the village (monitoring.record_lookback_item)
        return []
    rows = LookBackItem.objects.filter(household_id__in=ids, campaign__status=LookBack.Status.OPEN).values(
        "id", "household_id", "campaign__name", "campaign__ends_on", "checked_on", "notes", *CHECK_ITEMS
    )
    return [
        {
            "id": r["id"],
            "household": r["household_id"],
            "campaign": r["campaign__name"],
            "ends_on": plain(r["campaign__ends_on"]),
            "checked_on": plain(r["checked_on"]),
            "notes": r["notes"],
            "base": {i: r[i] for i in CHECK_ITEMS},
        }
        for r in rows
    ]


def _measures(ids: list[int]) -> list[dict]:
    rows = (
        HelpMeasure.objects.filter(plan__household_id__in=ids, status__in=OPEN_MEASURE_STATUSES)
        .order_by("deadline", "id")
        .values("id", "plan__household_id", "catalogue__name", "content", "deadline", *sorted(MEASURE_FIELDS))
    )
    return [
        {
            "id": r["id"],
            "household": r["plan__household_id"],
            "name": r["catalogue__name"],
            "content": r["content"],
            "deadline": plain(r["deadline"]),
            "base": {k: plain(r[k]) for k in sorted(MEASURE_FIELDS)},
        }
        for r in rows
    ]


def _declarations(user: User) -> list[dict]:
    scope = household_filter(user, "household__", region_field="village_id")
    if scope is None:
        return []
    rows = (
        Declaration.objects.filter(scope, status=Status.RECEIVED)
        .order_by("due_on", "pk")
        .values(
            "id",
            "receipt",
            "household_id",
            "village__name",
            "name",
            "hardship",
            "description",
            "due_on",
            "findings",
        )[:500]
    )
    # a verifier may confirm a declaration whose findings a helper already recorded without adding any
    verifier = has_role(user, *VERIFY_ROLES)
    return [
        {k: plain(v) for k, v in r.items() if k != "findings"}
        | {
            "village": r["village__name"],
            "description": mask_text(r["description"]),
            "findings_required": not (verifier and r["findings"]),
        }
        for r in rows
    ]


def _pairs(choices: Iterable[tuple[Any, Any]]) -> list[list[str]]:
    return [[str(value), str(label)] for value, label in choices]


def choices() -> dict:
    """The lists the phone's forms offer, as the server names them (the change requests' kinds and causes, a
    member's relation and sex, the income figures): the phone never keeps its own copy of the codes."""
    kinds = dict(ChangeKind.choices)
    return {
        "change_kind": [[k, str(kinds[k])] for k in CHANGE_KINDS],
        "join_cause": _pairs(JoinCause.choices),
        "leave_cause": _pairs(LeaveCause.choices),
        "relation": _pairs(codes.Relation.choices),
        "sex": _pairs(codes.Sex.choices),
        "visit_kind": _pairs(VisitKind.choices),
        "income": [
            [name, str(cast(Field, IncomeRecord._meta.get_field(name)).verbose_name)]
            for name in INCOME_COMPONENTS
        ],
    }


def work_set(user: User) -> dict:
    """Everything the phone works with offline, for this user only."""
    households = _households(user)
    ids = [h["id"] for h in households]
    declarations = _declarations(user)
    for d in declarations:
        d.pop("village__name")
    return {
        "households": households,
        "lookback_items": _lookback_items(user, ids),
        "measures": _measures(ids),
        "declarations": declarations,
        "choices": choices(),
        "rules": rules(),
        "generated_at": timezone.now(),
    }


def conflicts_for(user: User, *, open_only: bool = True) -> QuerySet[Conflict]:
    if not permissions.can_see_conflicts(user):
        return Conflict.objects.none()
    scope = region_filter(user, "village_code")
    if scope is None:
        return Conflict.objects.none()
    qs = Conflict.objects.filter(scope).select_related("household", "by", "change__device")
    return qs.filter(resolved_at__isnull=True) if open_only else qs


def conflict_for(user: User, pk: int) -> Conflict:
    return conflicts_for(user, open_only=False).get(pk=pk)


def devices_for(user: User) -> QuerySet[Device]:
    """A county office's view of the phones of its users; everyone else sees their own."""
    if permissions.can_revoke(user):
        scope = region_filter(user, "user__region_id")
        if scope is None:
            return Device.objects.none()
        return Device.objects.filter(scope).select_related("user")
    return Device.objects.filter(user=user).select_related("user")


def device_for(user: User, pk: int) -> Device:
    return devices_for(user).get(pk=pk)
