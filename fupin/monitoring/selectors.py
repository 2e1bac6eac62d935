"""How monitoring is read: every query starts from the user's scope (a region-code range)."""

import datetime

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone

from fupin.accounts.models import User
from fupin.accounts.permissions import is_liaison
from fupin.accounts.scope import region_filter
from fupin.procedures.rules import any_unmet
from fupin.regions.models import Region, in_region

from .models import (
    CHECK_ITEMS,
    CrossCheck,
    DepartmentEvent,
    Finding,
    LookBack,
    LookBackItem,
    MonitoredHousehold,
    MonitoringMeasure,
    MonitoringThreshold,
    Problem,
    ProblemStatus,
    RiskSignal,
    SignalState,
    Sweep,
)


def _scoped(qs: QuerySet, user: User, field: str) -> QuerySet:
    scope = region_filter(user, field)
    return qs.none() if scope is None else qs.filter(scope)


def signals_for(user: User, *, year: int, state: str = SignalState.OPEN) -> QuerySet[RiskSignal]:
    qs = RiskSignal.objects.filter(year=year)
    if state:
        qs = qs.filter(state=state)
    return _scoped(qs, user, "village_code").select_related("household", "household__village")


CANDIDATES_SHOWN = 200  # households on the signals page; its export holds every signal


def candidates_for(user: User, *, year: int) -> list[dict]:
    """Households with open signals, each with its signals (a page's worth: the first CANDIDATES_SHOWN
    households)."""
    signals = list(signals_for(user, year=year).order_by("village_code", "household_id", "kind")[:2000])
    out: dict[int, dict] = {}
    for s in signals:
        out.setdefault(s.household_id, {"household": s.household, "signals": []})["signals"].append(s)
    return list(out.values())[:CANDIDATES_SHOWN]


def candidate_count(user: User, *, year: int) -> int:
    """How many households have open signals in the year (the page shows the first CANDIDATES_SHOWN)."""
    return signals_for(user, year=year).values("household_id").distinct().count()


def sweeps_for(user: User, *, year: int | None = None) -> QuerySet[Sweep]:
    prefix = getattr(user, "scope_prefix", None)
    if prefix is None:
        return Sweep.objects.none()
    qs = Sweep.objects.filter(scope_code__startswith=prefix) if prefix else Sweep.objects.all()
    return qs.filter(year=year) if year else qs


def _narrowed(qs: QuerySet, field: str, region: str) -> QuerySet:
    """Narrow an already scoped queryset to a region (digits only; a region outside scope finds nothing)."""
    return qs.filter(in_region(field, region)) if region and region.isdigit() else qs


def cases_for(
    user: User, *, stage: str = "", kind: str = "", region: str = "", year: int | None = None
) -> QuerySet[MonitoredHousehold]:
    qs = _scoped(MonitoredHousehold.objects.all(), user, "village_code").select_related(
        "household", "household__village"
    )
    qs = _narrowed(qs, "village_code", region)
    if year:
        qs = qs.filter(year=year)
    if stage:
        qs = qs.filter(stage=stage)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def lookbacks_for(user: User, *, year: int | None = None) -> QuerySet[LookBack]:
    prefix = getattr(user, "scope_prefix", None)
    if prefix is None:
        return LookBack.objects.none()
    # campaigns over the user's subtree, and campaigns above it that cover it
    qs = LookBack.objects.filter(
        (in_region("region_id", prefix) if prefix else Q())
        | Q(region_id__in=[prefix[:n] for n in (2, 4, 6, 9) if n < len(prefix)])
    )
    return qs.filter(year=year) if year else qs


def lookback_items_for(
    user: User, campaign: LookBack, village_code: str | None = None
) -> QuerySet[LookBackItem]:
    qs = _scoped(campaign.items.all(), user, "village_code").select_related("household")
    return qs.filter(village_code=village_code) if village_code else qs


def lookback_progress(user: User, campaign: LookBack) -> list[dict]:
    """Per village: households to check, checked, with an item not met — in one grouped query."""
    rows = list(
        _scoped(campaign.items.all(), user, "village_code")
        .order_by()
        .values("village_code")
        .annotate(
            total=Count("id"),
            done=Count("id", filter=Q(checked_on__isnull=False)),
            unmet=Count("id", filter=any_unmet(CHECK_ITEMS)),
        )
        .order_by("village_code")
    )
    names = dict(
        Region.objects.filter(code__in=[r["village_code"] for r in rows]).values_list("code", "name")
    )
    for r in rows:
        r["name"] = names.get(r["village_code"], r["village_code"])
        r["percent"] = int(100 * r["done"] / r["total"]) if r["total"] else 0
    return rows


def cross_checks_for(user: User) -> QuerySet[CrossCheck]:
    """A liaison sees only their own uploads; county and above see the lists run in (or uploaded for) their
    region."""
    if not getattr(user, "is_authenticated", False):
        return CrossCheck.objects.none()
    if is_liaison(user):
        return CrossCheck.objects.filter(uploaded_by=user)
    prefix = user.scope_prefix
    if prefix is None:
        return CrossCheck.objects.none()
    if user.is_superuser:
        return CrossCheck.objects.all()
    # a liaison addresses each list to one county (cross_checks.upload_cross_check): only that county's
    # offices and those above it see it; a list addressed to no county is an administrator's
    return CrossCheck.objects.filter(
        Q(scope_code__startswith=prefix)
        | Q(scope_code__in=[prefix[:n] for n in (2, 4, 6) if n < len(prefix)])
    )


def department_events_for(user: User) -> QuerySet[DepartmentEvent]:
    """The events a department pushed: a liaison's own; a county's office and those above it, those addressed
    to
    their region. A township or village reads the findings the events raised, not the county's stream of
    events."""
    if not getattr(user, "is_authenticated", False):
        return DepartmentEvent.objects.none()
    if is_liaison(user):
        return DepartmentEvent.objects.filter(sent_by=user)
    prefix = user.scope_prefix
    if prefix is None or len(prefix) > 6:
        return DepartmentEvent.objects.none()
    if user.is_superuser:
        return DepartmentEvent.objects.all()
    return DepartmentEvent.objects.filter(
        Q(scope_code__startswith=prefix)
        | Q(scope_code__in=[prefix[:n] for n in (2, 4, 6) if n < len(prefix)])
    )


def findings_for(
    user: User,
    *,
    cross_check: int | None = None,
    decision: str = "",
    severity: int | None = None,
    department: str = "",
) -> QuerySet[Finding]:
    if is_liaison(user):
        return Finding.objects.none()
    qs = _scoped(Finding.objects.all(), user, "village_code").select_related(
        "household", "member", "cross_check"
    )
    if cross_check:
        qs = qs.filter(cross_check_id=cross_check)
    if decision:
        qs = qs.filter(decision=decision)
    if severity:
        qs = qs.filter(severity=severity)
    if department:
        qs = qs.filter(department=department)
    return qs


def problems_for(
    user: User,
    *,
    status: str = "",
    source: str = "",
    overdue: bool = False,
    region: str = "",
    today: datetime.date | None = None,
) -> QuerySet[Problem]:
    qs = _narrowed(
        _scoped(Problem.objects.all(), user, "region_code").select_related("household"), "region_code", region
    )
    if status:
        qs = qs.filter(status=status)
    if source:
        qs = qs.filter(source=source)
    if overdue:
        qs = qs.exclude(status=ProblemStatus.CLOSED).filter(deadline__lt=today or timezone.localdate())
    return qs


def overdue_by_region(user: User, *, length: int, today: datetime.date | None = None) -> list[dict]:
    """Open and overdue problems per region at one level (the first `length` digits of the code)."""
    today = today or timezone.localdate()
    rows = list(
        _scoped(Problem.objects.all(), user, "region_code")
        .exclude(status=ProblemStatus.CLOSED)
        .order_by()
        .annotate(area=Substr("region_code", 1, length))
        .values("area")
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(deadline__lt=today)))
        .order_by("-overdue", "area")
    )
    names = dict(Region.objects.filter(code__in=[r["area"] for r in rows]).values_list("code", "name"))
    for r in rows:
        r["name"] = names.get(r["area"], r["area"])
    return rows


# ---------------------------------------------------------------- reads for the JSON API


def thresholds_for(user: User, *, year: int | None = None) -> QuerySet[MonitoringThreshold]:
    """The thresholds that apply in the user's region: set for it, within it, or above it (the province's)."""
    prefix = getattr(user, "scope_prefix", None)
    if not getattr(user, "is_authenticated", False) or prefix is None:
        return MonitoringThreshold.objects.none()
    qs = MonitoringThreshold.objects.all()
    if prefix:
        qs = qs.filter(
            Q(region_prefix__startswith=prefix) | Q(region_prefix__in=[prefix[:n] for n in (0, 2, 4, 6, 9)])
        )
    return qs.filter(year=year) if year else qs


def case_for(user: User, pk: int | str) -> MonitoredHousehold:
    return cases_for(user).get(pk=pk)


def lookback_item_for(user: User, pk: int | str) -> LookBackItem:
    return _scoped(LookBackItem.objects.select_related("campaign"), user, "village_code").get(pk=pk)


def monitoring_measure_for(user: User, pk: int | str) -> MonitoringMeasure:
    return _scoped(MonitoringMeasure.objects.select_related("case"), user, "case__village_code").get(pk=pk)
