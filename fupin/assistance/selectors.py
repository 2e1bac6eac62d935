"""How assistance work is read: every query starts from the user's scope (accounts.scope.household_filter)."""

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, Substr
from django.utils import timezone

from fupin.accounts.models import User
from fupin.accounts.scope import household_filter, region_filter
from fupin.regions.models import CODE_LENGTHS, Region, RegionLevel, in_region, level_of
from fupin.registry.models import GUARANTEE_LABELS, Household

from . import permissions, rules
from .models import (
    DEFAULT_LOAD_CAP,
    DEFAULT_VISIT_INTERVAL_DAYS,
    OPEN_MEASURE_STATUSES,
    AssistanceSettings,
    HandbookBatch,
    Helper,
    HelperUnit,
    HelpMeasure,
    HelpPlan,
    MeasureCatalogue,
    MeasureStatus,
    MonitoringReport,
    Pairing,
    Visit,
)

ZERO = Decimal("0.00")


def settings_for(county_code: str) -> AssistanceSettings:
    """The county's settings, or the defaults (unsaved) where it has none."""
    county_code = county_code[:6]
    found = AssistanceSettings.objects.filter(county_id=county_code).first()
    return found or AssistanceSettings(
        county_id=county_code, load_cap=DEFAULT_LOAD_CAP, visit_interval_days=DEFAULT_VISIT_INTERVAL_DAYS
    )


def active_pairings(user: User, household: int | OuterRef) -> QuerySet[Pairing]:
    """The helper `user`'s pairings in force with `household` (an id or an OuterRef), their record active: the
    households a helper reads (accounts.scope.household_filter, which this app provides it to at start-up)."""
    return Pairing.objects.filter(
        helper__user=user, helper__active=True, ended_on__isnull=True, household_id=household
    )


def _ancestors(code: str) -> list[str]:
    return [code[:n] for n in (2, 4, 6, 9, 12) if n < len(code)]


# ---------------------------------------------------------------- units and helpers


def units_for(user: User) -> QuerySet[HelperUnit]:
    """Units working in the user's region, or above it (a county's units work in its townships)."""
    scope = region_filter(user, "region_id")
    if scope is None:
        return HelperUnit.objects.none()
    return (
        HelperUnit.objects.filter(scope | Q(region_id__in=_ancestors(user.scope_prefix or "")))
        .select_related("region")
        .annotate(helper_count=Count("helpers", filter=Q(helpers__active=True)))
    )


def helpers_for(
    user: User,
    *,
    q: str = "",
    unit: str | int | None = None,
    region: str = "",
    include_inactive: bool = False,
) -> QuerySet[Helper]:
    """Helpers bound in the user's region or above it, each with `load` (households paired now).

    A helper user sees only themselves.
    """
    scope = region_filter(user, "region_id")
    if permissions.is_helper(user):
        qs = Helper.objects.filter(user=user)
    elif scope is None:
        return Helper.objects.none()
    else:
        qs = Helper.objects.filter(scope | Q(region_id__in=_ancestors(user.scope_prefix or "")))
    if region:
        qs = qs.filter(in_region("region_id", region) | Q(region_id__in=_ancestors(region)))
    if not include_inactive:
        qs = qs.filter(active=True)
    if unit and str(unit).isdigit():
        qs = qs.filter(unit_id=int(unit))
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(name__startswith=q) | Q(unit__name__contains=q) | Q(phone__startswith=q))
    return (
        qs.select_related("unit", "region", "user")
        .annotate(load=Count("pairings", filter=Q(pairings__ended_on__isnull=True)))
        .order_by("region_id", "name")
    )


def helper_for(user: User, pk: int | str) -> Helper:
    if not str(pk).isdigit():
        raise Helper.DoesNotExist
    return helpers_for(user, include_inactive=True).get(pk=pk)


def candidate_helpers(user: User, household: Household) -> list[Helper]:
    """Active helpers who work where the household lives, lightest load first, each with `load` and `cap`."""
    cap = settings_for(household.village_id).load_cap
    qs = (
        Helper.objects.filter(
            active=True, region_id__in=_ancestors(household.village_id) + [household.village_id]
        )
        .select_related("unit")
        .annotate(load=Count("pairings", filter=Q(pairings__ended_on__isnull=True)))
        .order_by("load", "name")
    )
    helpers: list[Helper] = list(qs[:500])
    for h in helpers:  # figures for the page, not fields
        h.cap = cap  # type: ignore[attr-defined]
        h.full = h.load >= cap  # type: ignore[attr-defined]
    return helpers


def helper_households(user: User, helper: Helper) -> QuerySet[Household]:
    """The households a helper is paired to now that the user may read (the helper was read through
    helper_for).

    A helper bound to a county is paired across its villages; a village clerk looking at them sees
    only their own village's households among them.
    """
    scope = household_filter(user)
    if scope is None:
        return Household.objects.none()
    return _with_visit_dates(
        Household.objects.filter(
            scope, pairings__helper=helper, pairings__ended_on__isnull=True
        ).select_related("village")
    ).order_by("village_id", "number")


def pairing_history_of_helper(user: User, helper: Helper) -> QuerySet[Pairing]:
    """The helper's pairings, past and present, with households the user may read."""
    scope = household_filter(user, "household__")
    if scope is None:
        return Pairing.objects.none()
    return (
        helper.pairings.filter(scope)
        .select_related("household", "household__village")
        .order_by("-started_on", "-id")
    )


# ---------------------------------------------------------------- households in assistance


def _active_pairing(ref: str = "pk") -> QuerySet[Pairing]:
    return Pairing.objects.filter(household_id=OuterRef(ref), ended_on__isnull=True)


def _with_visit_dates(qs: QuerySet[Household]) -> QuerySet[Household]:
    """Adds last_visit_on, paired_on and the helper's name; due_on is computed by visit_due()."""
    last_visit = (
        Visit.objects.filter(household_id=OuterRef("pk")).order_by("-visited_on").values("visited_on")[:1]
    )
    pairing = _active_pairing()
    return qs.annotate(
        last_visit_on=Subquery(last_visit),
        paired_on=Subquery(pairing.values("started_on")[:1]),
        helper_name=Subquery(pairing.values("helper__name")[:1]),
        helper_id=Subquery(pairing.values("helper_id")[:1]),
    )


def assisted_households(user: User, *, region: str = "") -> QuerySet[Household]:
    """Households that must have a helper (poor and monitored), in scope."""
    scope = household_filter(user)
    if scope is None:
        return Household.objects.none()
    qs = Household.objects.filter(scope, status__in=rules.NEEDS_HELPER)
    if region:
        qs = qs.filter(in_region("village_id", region))
    return qs


def unpaired_households(user: User, *, region: str = "") -> QuerySet[Household]:
    """Poor and monitored households without an active pairing: every one must be listed until paired."""
    return (
        assisted_households(user, region=region)
        .filter(~Exists(_active_pairing()))
        .select_related("village")
        .order_by("village_id", "number")
    )


def _interval_cases(user: User, region: str) -> tuple[list[tuple[str, int]], int]:
    """[(county code, visit interval days)] for the counties configured in view, and the default."""
    prefix = region or user.scope_prefix or ""
    configured = AssistanceSettings.objects.all()
    if len(prefix) >= 6:
        configured = configured.filter(county_id=prefix[:6])
    elif prefix:
        configured = configured.filter(in_region("county_id", prefix))
    return list(configured.values_list("county_id", "visit_interval_days")), DEFAULT_VISIT_INTERVAL_DAYS


def _overdue_q(user: User, region: str, today: datetime.date) -> Q:
    """Paired households whose last visit (or, never visited, the pairing date) is older than their county's
    interval."""
    cases, default = _interval_cases(user, region)
    reference = "visit_reference"
    q = Q()
    for county, days in cases:
        q |= in_region("village_id", county) & Q(
            **{f"{reference}__lt": today - datetime.timedelta(days=days)}
        )
    other = Q(**{f"{reference}__lt": today - datetime.timedelta(days=default)})
    for county, _ in cases:
        other &= ~in_region("village_id", county)
    return q | other


def overdue_households(
    user: User, *, region: str = "", today: datetime.date | None = None
) -> QuerySet[Household]:
    """The paired poor and monitored households overdue for a visit (走访), oldest first."""
    today = today or timezone.localdate()
    qs = _with_visit_dates(assisted_households(user, region=region).filter(Exists(_active_pairing())))
    qs = qs.annotate(visit_reference=Coalesce("last_visit_on", "paired_on"))
    return (
        qs.filter(_overdue_q(user, region, today))
        .select_related("village")
        .order_by("visit_reference", "number")
    )


def visit_due(household: Household, *, today: datetime.date | None = None) -> dict:
    """When the next visit of a household (annotated by _with_visit_dates) is due, and how late it is."""
    today = today or timezone.localdate()
    days = settings_for(household.village_id).visit_interval_days
    reference = household.last_visit_on or household.paired_on  # type: ignore[attr-defined]
    if reference is None:
        return {"due_on": None, "days_late": None, "interval": days}
    due = reference + datetime.timedelta(days=days)
    return {"due_on": due, "days_late": max(0, (today - due).days), "interval": days}


def my_households(user: User) -> list[Household]:
    """A helper's own households with their visit due dates, most urgent first."""
    scope = household_filter(user)
    if scope is None:
        return []
    rows = list(
        _with_visit_dates(Household.objects.filter(scope, Exists(_active_pairing()))).select_related(
            "village"
        )
    )
    today = timezone.localdate()
    for h in rows:
        h.due = visit_due(h, today=today)  # type: ignore[attr-defined]  # for the page, not a field
    return sorted(rows, key=lambda h: (h.due["due_on"] or datetime.date.max, h.number))  # type: ignore[attr-defined]


def coverage_by_region(user: User, region_code: str = "", *, today: datetime.date | None = None) -> dict:
    """Households needing a helper, paired, unpaired and overdue for a visit, per child region, with
    totals."""
    today = today or timezone.localdate()
    base = assisted_households(user, region=region_code)
    level = level_of(region_code) if region_code else None
    if level is None:
        child_len = CODE_LENGTHS[RegionLevel.PROVINCE]
    elif level >= RegionLevel.VILLAGE:
        child_len = CODE_LENGTHS[RegionLevel.VILLAGE]
    else:
        child_len = CODE_LENGTHS[RegionLevel(level + 1)]
    child = Substr("village_id", 1, child_len)
    rows: dict[str, dict[str, Any]] = {
        r["child"]: dict(r)
        for r in base.order_by()
        .annotate(child=child)
        .values("child")
        .annotate(
            needing=Count("pk"),
            paired=Count("pk", filter=Q(Exists(_active_pairing()))),
        )
    }
    overdue = overdue_households(user, region=region_code, today=today).order_by().annotate(child=child)
    for late in overdue.values("child").annotate(n=Count("pk")):
        rows[late["child"]]["overdue"] = late["n"]
    names = dict(Region.objects.filter(code__in=list(rows)).values_list("code", "name"))
    out = []
    for code in sorted(rows):
        r = rows[code]
        r.setdefault("overdue", 0)
        r["unpaired"] = r["needing"] - r["paired"]
        r["coverage"] = round(100 * r["paired"] / r["needing"], 1) if r["needing"] else 100.0
        out.append({"code": code, "name": names.get(code, code), **r})
    total: dict[str, float] = {
        k: sum(r[k] for r in out) for k in ("needing", "paired", "unpaired", "overdue")
    }
    total["coverage"] = round(100 * total["paired"] / total["needing"], 1) if total["needing"] else 100.0
    return {"rows": out, "total": total}


def household_assistance(household: Household) -> dict:
    """Everything about the assistance of one household (already read through registry household_for)."""
    pairings = list(
        household.pairings.select_related("helper", "helper__unit", "started_by", "ended_by").order_by(
            "-started_on", "-id"
        )
    )
    current = next((p for p in pairings if p.ended_on is None), None)
    plan = HelpPlan.objects.filter(household=household).first()
    measures = list(plan.measures.select_related("catalogue", "helper")) if plan else []
    visits = list(
        household.visits.select_related("helper")
        .prefetch_related("photos")
        .order_by("-visited_on", "-id")[:50]
    )
    for v in visits:  # checked and overdue: for the page, not fields
        v.checked = [  # type: ignore[attr-defined]
            (str(GUARANTEE_LABELS[k]), met, (v.guarantee_notes or {}).get(k, ""))
            for k, met in v.guarantees.items()
            if k in GUARANTEE_LABELS
        ]
    today = timezone.localdate()
    for m in measures:
        m.overdue = m.status in OPEN_MEASURE_STATUSES and m.deadline < today  # type: ignore[attr-defined]
    return {
        "current": current,
        "pairings": pairings,
        "plan": plan,
        "measures": measures,
        "visits": visits,
        "money": _money_totals(measures),
    }


def _money_totals(measures: list[HelpMeasure]) -> dict:
    live = [m for m in measures if m.status != MeasureStatus.CANCELLED]
    return {
        "planned": sum((m.planned_amount for m in live), ZERO),
        "actual": sum((m.actual_amount for m in live), ZERO),
        "income_increase": sum((m.income_increase for m in live), ZERO),
    }


def measure_for(user: User, pk: int | str) -> HelpMeasure:
    scope = household_filter(user, "plan__household__", region_field="village_code")
    if scope is None or not str(pk).isdigit():
        raise HelpMeasure.DoesNotExist
    return HelpMeasure.objects.select_related("plan", "plan__household", "catalogue").get(scope, pk=pk)


def visit_for(user: User, pk: int | str) -> Visit:
    scope = household_filter(user, "household__")
    if scope is None or not str(pk).isdigit():
        raise Visit.DoesNotExist
    return Visit.objects.select_related("household", "helper").prefetch_related("photos").get(scope, pk=pk)


def catalogue() -> QuerySet[MeasureCatalogue]:
    return MeasureCatalogue.objects.filter(active=True).order_by("order", "code")


# ---------------------------------------------------------------- helper monitoring (June and December)


def monitoring_period(year: int, month: int) -> tuple[datetime.date, datetime.date]:
    """The half year a June or December monitoring looks back on."""
    if month == 6:
        return datetime.date(year, 1, 1), datetime.date(year, 6, 30)
    return datetime.date(year, 7, 1), datetime.date(year, 12, 31)


MONITORING_SUMS = (
    "households",
    "measures",
    "measures_done",
    "measures_overdue",
    "planned_amount",
    "actual_amount",
    "income_increase",
    "visits",
    "visited_households",
)


def _measure_figures(
    user: User, row: Callable[[int | None, str], dict], *, year: int, region: str, as_of: datetime.date
) -> bool:
    """The year's measures per (helper, township) into `row(...)`; False when the user may read no
    household."""
    measure_scope = household_filter(user, "plan__household__", region_field="village_code")
    if measure_scope is None:
        return False
    measures = HelpMeasure.objects.filter(measure_scope, year=year).exclude(status=MeasureStatus.CANCELLED)
    if region:
        measures = measures.filter(in_region("village_code", region))
    for r in (
        measures.order_by()
        .annotate(t=Substr("village_code", 1, 9))
        .values("helper_id", "t")
        .annotate(
            n=Count("pk"),
            done=Count("pk", filter=Q(status=MeasureStatus.DONE)),
            late=Count("pk", filter=Q(status__in=OPEN_MEASURE_STATUSES, deadline__lt=as_of)),
            planned=Sum("planned_amount"),
            actual=Sum("actual_amount"),
            increase=Sum("income_increase"),
        )
    ):
        row(r["helper_id"], r["t"]).update(
            measures=r["n"],
            measures_done=r["done"],
            measures_overdue=r["late"],
            planned_amount=r["planned"] or ZERO,
            actual_amount=r["actual"] or ZERO,
            income_increase=r["increase"] or ZERO,
        )
    return True


# Visits sent from the field app carry traces (device time, location, photo hashes) that fupin.field reads:
# its FieldConfig.ready hands over the check (fupin.field.traces.visit_checks). Until then no visit is
# flagged.
_visit_checks: list[Callable[[QuerySet[Visit]], dict]] = [
    lambda visits: {"rows": {}, "visits": [], "notes": []}
]
VISIT_FLAG_SUMS = ("late_visits", "reused_photos", "far_visits")
NO_FLAGS: dict[str, list] = {"flagged_visits": [], "flag_notes": []}


def provide_visit_checks(check: Callable[[QuerySet[Visit]], dict]) -> None:
    _visit_checks[0] = check


def _pairing_and_visit_figures(
    user: User,
    row: Callable[[int | None, str], dict],
    *,
    region: str,
    start: datetime.date,
    end: datetime.date,
) -> dict:
    """Households paired at the period's end and the period's visits per (helper, township) into `row(...)`,
    with the visits the field app's traces flag (late, photos reused, far from the village); returns the
    flagged ones."""
    household_scope = household_filter(user, "household__")
    hh_township = Substr("household__village_id", 1, 9)
    pairings = Pairing.objects.filter(household_scope, started_on__lte=end).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gt=end)
    )
    visits = Visit.objects.filter(household_scope, visited_on__gte=start, visited_on__lte=end)
    if region:
        pairings = pairings.filter(in_region("household__village_id", region))
        visits = visits.filter(in_region("household__village_id", region))
    for r in pairings.order_by().annotate(t=hh_township).values("helper_id", "t").annotate(n=Count("pk")):
        row(r["helper_id"], r["t"])["households"] = r["n"]
    for r in (
        visits.order_by()
        .annotate(t=hh_township)
        .values("helper_id", "t")
        .annotate(n=Count("pk"), hh=Count("household_id", distinct=True))
    ):
        row(r["helper_id"], r["t"]).update(visits=r["n"], visited_households=r["hh"])
    checks = _visit_checks[0](visits)
    for key, flags in checks["rows"].items():
        row(*key).update(flags)
    return {"flagged_visits": checks["visits"], "flag_notes": checks["notes"]}


def _named_rows(rows: dict[tuple, dict], names: dict[str, str]) -> list[dict]:
    """The rows by township and helper's name, with the helper's name, unit and phone and the rates."""
    helpers = {
        h.pk: h for h in Helper.objects.filter(pk__in={k[0] for k in rows if k[0]}).select_related("unit")
    }
    out_rows = []
    for (helper_id, t), r in sorted(
        rows.items(), key=lambda kv: (kv[0][1], helpers[kv[0][0]].name if kv[0][0] else "~")
    ):
        h = helpers.get(helper_id)
        r["helper"] = h.name if h else "（未指定责任人）"
        r["unit"] = h.unit.name if h else ""
        r["phone"] = h.phone if h else ""
        r["township_name"] = names.get(t, t)
        r["completion"] = _rate(r["measures_done"], r["measures"])
        r["funds_rate"] = _rate(r["actual_amount"], r["planned_amount"])
        r["unvisited_households"] = max(0, r["households"] - r["visited_households"])
        out_rows.append(r)
    return out_rows


def _township_summaries(out_rows: list[dict], names: dict[str, str]) -> list[dict]:
    townships = []
    for t in sorted({r["township"] for r in out_rows}):
        mine = [r for r in out_rows if r["township"] == t]
        summary = _sum_rows(mine)
        summary |= {
            "township": t,
            "township_name": names.get(t, t),
            "helpers": len({r["helper_id"] for r in mine if r["helper_id"]}),
        }
        townships.append(summary)
    return townships


def helper_monitoring(user: User, *, year: int, month: int, region: str = "") -> dict:
    """For each helper and township: the plans' measures of the year, their money and results, and the visits.

    Seed 000 七(三): 按照《扶贫手册》上明确的帮扶项目、帮扶资金、帮扶成效进行监测, June and
    December, summarised up to the county. Measures are counted for the helper named on them
    (the responsible helper when they were planned), so the totals equal the plans' own sums;
    measures with no helper are shown on a row of their own.
    """
    start, end = monitoring_period(year, month)
    period = {"year": year, "month": month, "start": start, "end": end}
    rows: dict[tuple, dict] = {}

    def row(helper_id: int | None, township_code: str) -> dict:
        key = (helper_id, township_code)
        if key not in rows:
            rows[key] = (
                {"helper_id": helper_id, "township": township_code}
                | {k: 0 for k in MONITORING_SUMS}
                | {k: 0 for k in VISIT_FLAG_SUMS}
                | {"planned_amount": ZERO, "actual_amount": ZERO, "income_increase": ZERO}
            )
        return rows[key]

    if not _measure_figures(user, row, year=year, region=region, as_of=min(end, timezone.localdate())):
        return {"rows": [], "townships": [], "totals": _sum_rows([]) | {"helpers": 0}} | period | NO_FLAGS
    flagged = _pairing_and_visit_figures(user, row, region=region, start=start, end=end)
    names = dict(Region.objects.filter(code__in={k[1] for k in rows}).values_list("code", "name"))
    out_rows = _named_rows(rows, names)
    totals = _sum_rows(out_rows) | {"helpers": len({r["helper_id"] for r in out_rows if r["helper_id"]})}
    return (
        {"rows": out_rows, "townships": _township_summaries(out_rows, names), "totals": totals}
        | period
        | flagged
    )


def _rate(part: float | Decimal, whole: float | Decimal) -> float | None:
    return round(100 * float(part) / float(whole), 1) if whole else None


def _sum_rows(rows: list[dict]) -> dict:
    out = {
        k: sum(
            (r[k] for r in rows), ZERO if k in ("planned_amount", "actual_amount", "income_increase") else 0
        )
        for k in MONITORING_SUMS
    }
    out["unvisited_households"] = sum(r["unvisited_households"] for r in rows)
    out["completion"] = _rate(out["measures_done"], out["measures"])
    out["funds_rate"] = _rate(out["actual_amount"], out["planned_amount"])
    return out


def monitoring_reports_for(user: User) -> QuerySet[MonitoringReport]:
    scope = region_filter(user, "region_id")
    if scope is None or permissions.is_helper(user):
        return MonitoringReport.objects.none()
    return MonitoringReport.objects.filter(scope).select_related("region", "submitted_by")


# ---------------------------------------------------------------- demand lists (需求清单)


def demand_list(user: User, *, year: int, region: str = "") -> dict:
    """The measures households need in a year, by village and by township (seed 000 四(二)6 统计汇总).

    Every measure planned for the year counts, whatever its progress, except cancelled ones.
    """
    scope = household_filter(user, "plan__household__", region_field="village_code")
    if scope is None:
        return {"villages": [], "townships": [], "items": [], "year": year}
    qs = HelpMeasure.objects.filter(scope, year=year).exclude(status=MeasureStatus.CANCELLED)
    if region:
        qs = qs.filter(in_region("village_code", region))
    sums = {
        "households": Count("plan_id", distinct=True),
        "measures": Count("pk"),
        "planned_amount": Sum("planned_amount"),
    }
    villages: list[dict[str, Any]] = [
        dict(r) for r in qs.order_by().values("village_code", "catalogue_id").annotate(**sums)
    ]
    townships: list[dict[str, Any]] = [
        dict(r)
        for r in qs.order_by()
        .annotate(township=Substr("village_code", 1, 9))
        .values("township", "catalogue_id")
        .annotate(**sums)
    ]
    items = {c.pk: c for c in MeasureCatalogue.objects.all()}
    names = dict(
        Region.objects.filter(
            code__in={r["village_code"] for r in villages} | {r["township"] for r in townships}
        ).values_list("code", "name")
    )
    for r in villages:
        r |= {
            "village_name": names.get(r["village_code"], r["village_code"]),
            "township": r["village_code"][:9],
            "item": items[r["catalogue_id"]],
            "planned_amount": r["planned_amount"] or ZERO,
        }
        r["township_name"] = names.get(r["township"], r["township"])
    for r in townships:
        r |= {
            "township_name": names.get(r["township"], r["township"]),
            "item": items[r["catalogue_id"]],
            "planned_amount": r["planned_amount"] or ZERO,
        }
    villages.sort(key=lambda r: (r["village_code"], r["item"].order, r["item"].code))
    townships.sort(key=lambda r: (r["township"], r["item"].order, r["item"].code))
    by_item: dict[int, dict] = {}
    for r in townships:
        agg = by_item.setdefault(
            r["catalogue_id"], {"item": r["item"], "households": 0, "measures": 0, "planned_amount": ZERO}
        )
        agg["households"] += r["households"]
        agg["measures"] += r["measures"]
        agg["planned_amount"] += r["planned_amount"]
    return {
        "villages": villages,
        "townships": townships,
        "items": sorted(by_item.values(), key=lambda r: (r["item"].order, r["item"].code)),
        "year": year,
    }


# ---------------------------------------------------------------- handbooks and the public summary


def handbook_batches_for(user: User) -> QuerySet[HandbookBatch]:
    scope = region_filter(user, "village_id")
    if scope is None or permissions.is_helper(user):
        return HandbookBatch.objects.none()
    return HandbookBatch.objects.filter(scope).select_related("village", "requested_by")


def handbook_batch_for(user: User, pk: int | str) -> HandbookBatch:
    if not str(pk).isdigit():
        raise HandbookBatch.DoesNotExist
    return handbook_batches_for(user).get(pk=pk)


def villages_for(user: User) -> QuerySet[Region]:
    scope = region_filter(user, "code")
    if scope is None:
        return Region.objects.none()
    return Region.objects.filter(scope, level=RegionLevel.VILLAGE).order_by("code")


def plan_of(household: Household) -> HelpPlan | None:
    """The household's help plan, if it has one (the household is already in the reader's scope)."""
    return HelpPlan.objects.filter(household=household).first()


def public_summary(household: Household) -> dict:
    """What a stranger scanning the handbook may read: no ID numbers, phones, bank accounts or incomes."""
    current = (
        household.pairings.filter(ended_on__isnull=True).select_related("helper", "helper__unit").first()
    )
    plan = HelpPlan.objects.filter(household=household).first()
    measures = (
        list(plan.measures.exclude(status=MeasureStatus.CANCELLED).select_related("catalogue"))
        if plan
        else []
    )
    return {
        "village": household.village.full_name(),
        "head_name": household.head_name,
        "size": household.size,
        "status": household.get_status_display(),
        "helper": current.helper.name if current else "",
        "unit": current.helper.unit.name if current else "",
        "plan_class": plan.get_plan_class_display() if plan else "",
        "target_exit_year": plan.target_exit_year if plan else None,
        "measures": [
            {"name": m.catalogue.name, "content": m.content, "year": m.year, "status": m.get_status_display()}
            for m in measures
        ],
    }


# ---------------------------------------------------------------- lists for the JSON API


def pairings_for(user: User, *, region: str = "", active: bool | None = None) -> QuerySet[Pairing]:
    """Pairings of the households the user may read (a helper: their own)."""
    scope = household_filter(user, "household__")
    if scope is None:
        return Pairing.objects.none()
    qs = Pairing.objects.filter(scope).select_related("household", "helper")
    if region:
        qs = qs.filter(in_region("household__village_id", region))
    if active is not None:
        qs = qs.filter(ended_on__isnull=active)
    return qs


def plans_for(user: User, *, region: str = "") -> QuerySet[HelpPlan]:
    scope = household_filter(user, "household__")
    if scope is None:
        return HelpPlan.objects.none()
    qs = HelpPlan.objects.filter(scope)
    return qs.filter(in_region("household__village_id", region)) if region else qs


def measures_for(
    user: User, *, year: int | None = None, region: str = "", status: str = ""
) -> QuerySet[HelpMeasure]:
    scope = household_filter(user, "plan__household__", region_field="village_code")
    if scope is None:
        return HelpMeasure.objects.none()
    qs = HelpMeasure.objects.filter(scope)
    if region:
        qs = qs.filter(in_region("village_code", region))
    if status:
        qs = qs.filter(status=status)
    return qs.filter(year=year) if year else qs


def visits_for(user: User, *, region: str = "", household: int | None = None) -> QuerySet[Visit]:
    scope = household_filter(user, "household__")
    if scope is None:
        return Visit.objects.none()
    qs = Visit.objects.filter(scope)
    if region:
        qs = qs.filter(in_region("household__village_id", region))
    return qs.filter(household_id=household) if household else qs
