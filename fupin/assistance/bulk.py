"""Bulk pairing (批量结对): many unpaired households given helpers in one step, all or nothing.

The same rules as `services.pair_household` (who may pair, the household's status and region, the helper's
region and load cap, no second active pairing), checked for every pair with one query per kind, then one
insert of the pairings and one of their audit entries, in one transaction.
"""

import datetime
from collections import Counter

from django.db import transaction
from django.utils.translation import gettext

from fupin.accounts.models import User
from fupin.accounts.scope import household_filter
from fupin.audit.services import entry, record_many
from fupin.core.errors import ScopeError
from fupin.registry.models import Household

from . import permissions, rules
from .models import AssistanceSettings, Helper, Pairing
from .services import AssistanceError, check_date

MAX_PAIRS = 5000


def _caps(village_ids: set[str]) -> dict[str, int]:
    """The load cap of each county the villages lie in."""
    from .models import DEFAULT_LOAD_CAP

    counties = {v[:6] for v in village_ids}
    caps = dict(
        AssistanceSettings.objects.filter(county_id__in=counties).values_list("county_id", "load_cap")
    )
    return {c: caps.get(c, DEFAULT_LOAD_CAP) for c in counties}


def _refusals(pairs: list[tuple[int, int]], households: dict, helpers: dict) -> dict[str, str]:
    """Why each refused pair cannot be made, by household; one query per kind for all pairs."""
    household_ids = list(households)
    paired = set(
        Pairing.objects.filter(household_id__in=household_ids, ended_on__isnull=True).values_list(
            "household_id", flat=True
        )
    )
    load = Counter(
        Pairing.objects.filter(helper_id__in=helpers, ended_on__isnull=True).values_list(
            "helper_id", flat=True
        )
    )
    caps = _caps({h.village_id for h in households.values()})
    refused: dict[str, str] = {}
    for household_id, helper_id in pairs:
        household, helper = households[household_id], helpers.get(helper_id)
        label = f"{household.head_name}（{household.number}）"
        if helper is None:
            refused[label] = "帮扶责任人不存在"
        elif household.status not in rules.NEEDS_HELPER:
            refused[label] = f"该户状态为“{household.get_status_display()}”，只有贫困户和监测户需要结对帮扶"
        elif household_id in paired:
            refused[label] = "该户已有帮扶责任人"
        elif not helper.active or not household.village_id.startswith(helper.region_id):
            refused[label] = f"{helper.name}已不在岗或工作区域不包括该户所在村"
        elif load[helper_id] >= caps[household.village_id[:6]]:
            refused[label] = (
                f"{helper.name}已结对{load[helper_id]}户，达到本县每人{caps[household.village_id[:6]]}户的上限"
            )
        else:
            load[helper_id] += 1
    return refused


@transaction.atomic
def pair_many(
    pairs: list[tuple[int, int]], *, by: User, started_on: datetime.date, reason: str = ""
) -> list[Pairing]:
    """Pair each (household id, helper id); AssistanceError naming every refused household, nothing saved
    then."""
    if not permissions.can_manage(by):
        raise ScopeError(gettext("只有乡镇、县扶贫办可以安排结对帮扶"))
    if not pairs:
        raise AssistanceError({"households": gettext("请选择要结对的贫困户")})
    if len(pairs) > MAX_PAIRS:
        raise AssistanceError(
            {"households": (gettext("一次最多结对%(MAX_PAIRS)s户") % {"MAX_PAIRS": MAX_PAIRS})}
        )
    errors: dict = {}
    check_date(started_on, errors)
    if errors:
        raise AssistanceError(errors)
    household_ids = [h for h, _ in pairs]
    if len(set(household_ids)) != len(household_ids):
        raise AssistanceError({"households": gettext("同一户只能选择一次")})
    scope = household_filter(by)
    households = (
        Household.objects.select_for_update().filter(scope, pk__in=household_ids).in_bulk()
        if scope is not None
        else {}
    )
    if len(households) != len(set(household_ids)):
        raise ScopeError(gettext("不在您的帮扶或管辖范围内"))
    helpers = Helper.objects.select_for_update().filter(pk__in={h for _, h in pairs}).in_bulk()
    refused = _refusals(pairs, households, helpers)
    if refused:
        raise AssistanceError({"households": "；".join(f"{k}：{v}" for k, v in refused.items())})
    reason = (reason or "").strip()[:200]
    pairings = Pairing.objects.bulk_create(
        [
            Pairing(household_id=h, helper_id=p, started_on=started_on, start_reason=reason, started_by=by)
            for h, p in pairs
        ]
    )
    if pairings and pairings[0].pk is None:  # back ends that do not return keys from bulk inserts
        ids = dict(
            Pairing.objects.filter(household_id__in=household_ids, ended_on__isnull=True).values_list(
                "household_id", "pk"
            )
        )
        for pairing in pairings:
            pairing.pk = ids[pairing.household_id]
    record_many(
        [
            entry(
                by=by,
                action="pair",
                target_type="pairing",
                target_id=pairing.pk,
                target_label=f"{helpers[pairing.helper_id]} — {households[pairing.household_id]}",
                household_id=pairing.household_id,
                scope_code=households[pairing.household_id].village_id,
                changes={
                    "helper": [None, helpers[pairing.helper_id].name],
                    "started_on": [None, str(started_on)],
                    "reason": [None, reason],
                },
            )
            for pairing in pairings
        ]
    )
    return pairings
