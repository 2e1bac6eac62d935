"""How statistics are read: every figure for a region in the user's scope, and the households behind it.

A household figure is defined once, as a (metric, key) and its filter over households
(`metric_filter`); the dashboard counts it and the drill-down list lists it, so a figure always
equals the length of its list. Counting goes one of two ways, same numbers:

- live: grouped counts over the household table's village-code range (a covering index makes
  these index-only scans) — used for townships and villages, and on SQLite;
- rollup: the RegionStat rows of the region and its children (one index lookup each), patched
  with live counts for the villages written since the last refresh (DirtyVillage) — used for
  counties, prefectures, provinces and the country on PostgreSQL once the rollup has been built
  (settings.FUPIN_STATS_LIVE_LEVEL: the first level counted live).

The dashboard's case-work figures (casework_figures.py, casework_counts: pairings, visits overdue, monitored
households, measures) go the same two ways over CaseworkStat, patched from the same log; "overdue" is stored
by day of last visit and summed before today's cut-off, so it is right on any day. Microloans
(loan_figures) read LoanStat, which triggers keep exact. Only a user who may read the whole region
gets a rollup's numbers (uses_rollup); everyone else is counted live within their scope. The problem ledger
(casework_figures.problem_figures) reads ProblemStat, kept by triggers, by deadline.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, Substr
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from fupin.accounts.models import User
from fupin.accounts.permissions import is_helper
from fupin.accounts.scope import household_filter, region_filter
from fupin.assistance.models import (
    HelpMeasure,
    MeasureGroup,
    Pairing,
)
from fupin.core.money import fen_to_yuan
from fupin.core.params import this_year
from fupin.funds import selectors as funds
from fupin.funds.models import Allocation, LoanStatus, ProjectStatus, Repayment
from fupin.monitoring.models import (
    OPEN_MONITORING_STAGES,
    MonitoredHousehold,
    MonitoringKind,
    MonitoringStage,
)
from fupin.procedures.models import BatchHousehold, EntryState, Procedure, ReductionPlan, VillageProfile
from fupin.regions.models import CODE_LENGTHS, Region, RegionLevel, in_region, level_of
from fupin.registry import codes
from fupin.registry.models import Household

from .models import (
    DirtyVillage,
    LoanStat,
    RegionStat,
    SatisfactionSurvey,
    StatsState,
)

REGISTERED = [codes.HouseholdStatus.POOR, codes.HouseholdStatus.EXITED, codes.HouseholdStatus.MONITORED]
NEEDS_HELPER = [codes.HouseholdStatus.POOR, codes.HouseholdStatus.MONITORED]
# Beyond this many villages written since the last refresh, patching costs more than counting live.
MAX_DIRTY_VILLAGES = 300

# The household figures the rollup holds: metric -> (filter of the households counted, grouping field).
ROLLUP_METRICS = {
    "status": (Q(), "status"),
    "poor_type": (Q(status=codes.HouseholdStatus.POOR), "household_type"),
    "poor_cause": (Q(status=codes.HouseholdStatus.POOR), "primary_cause"),
    "exit_year": (Q(status__in=REGISTERED, exit_year__isnull=False), "exit_year"),
    "reg_year": (Q(status__in=REGISTERED), "registration_year"),
}


# ---------------------------------------------------------------- what each figure counts


def metric_filter(metric: str, key: str = "", year: int | None = None) -> Q | None:
    """The households behind one figure; None for an unknown metric or key."""
    year = year or this_year()
    match metric:
        case "all":
            return Q()
        case "registered":
            return Q(status__in=REGISTERED)
        case "status" if key in codes.HouseholdStatus.values:
            return Q(status=key)
        case "poor_type" if key in codes.HouseholdType.values:
            return Q(status=codes.HouseholdStatus.POOR, household_type=key)
        case "poor_cause" if key in codes.PovertyCause.values:
            return Q(status=codes.HouseholdStatus.POOR, primary_cause=key)
        case "exit_year":
            return Q(status__in=REGISTERED, exit_year=year)
        case "poor_at":
            return (
                Q(status__in=REGISTERED)
                & (Q(registration_year__lte=year) | Q(registration_year__isnull=True))
                & (Q(exit_year__isnull=True) | Q(exit_year__gt=year))
            )
        case "relapsed":
            return Q(
                Exists(
                    BatchHousehold.objects.filter(
                        household_id=OuterRef("pk"),
                        batch__kind=Procedure.RELAPSE,
                        batch__year=year,
                        state=EntryState.CONFIRMED,
                    )
                )
            )
        case "monitored" if key in MonitoringKind.values:
            return Q(
                Exists(
                    MonitoredHousehold.objects.filter(
                        household_id=OuterRef("pk"), kind=key, stage__in=OPEN_MONITORING_STAGES
                    )
                )
            )
        case "eliminated":
            return Q(
                Exists(
                    MonitoredHousehold.objects.filter(
                        household_id=OuterRef("pk"),
                        stage=MonitoringStage.ELIMINATED,
                        eliminated_at__year=year,
                    )
                )
            )
        case "needs_helper":
            return Q(status__in=NEEDS_HELPER)
        case "paired":
            return Q(status__in=NEEDS_HELPER) & Q(
                Exists(Pairing.objects.filter(household_id=OuterRef("pk"), ended_on__isnull=True))
            )
        case "wrong_exit":
            from .assessment import wrong_exit_filter  # cycle breaker: assessment reads these selectors

            return wrong_exit_filter(year)
        case "omitted":
            from .assessment import omission_filter  # cycle breaker: assessment reads these selectors

            return omission_filter(year)
        case "measure" if key in MeasureGroup.values:
            return Q(
                Exists(
                    HelpMeasure.objects.filter(
                        plan__household_id=OuterRef("pk"), catalogue__group=key, year=year
                    )
                )
            )
    return None


METRIC_LABELS = {
    "all": "全部户",
    "registered": "建档立卡户（贫困户、已脱贫户、监测户）",
    "status": "户状态",
    "poor_type": "现有贫困户·贫困户属性",
    "poor_cause": "现有贫困户·主要致贫原因",
    "exit_year": "当年脱贫户",
    "poor_at": "年末贫困户",
    "relapsed": "当年返贫户",
    "monitored": "在监测户",
    "eliminated": "当年风险消除户",
    "needs_helper": "需结对户",
    "paired": "已结对户",
    "measure": "当年落实帮扶措施户",
    "wrong_exit": "当年错退户",
    "omitted": "当年漏评户",
}


def metric_label(metric: str, key: str, year: int) -> str:
    labels = {
        "status": codes.HouseholdStatus,
        "poor_type": codes.HouseholdType,
        "poor_cause": codes.PovertyCause,
        "monitored": MonitoringKind,
        "measure": MeasureGroup,
    }
    label = METRIC_LABELS.get(metric, metric)
    if metric in labels and key in labels[metric].values:
        label += "：" + str(labels[metric](key).label)
    if metric in ("exit_year", "poor_at", "relapsed", "eliminated", "measure", "wrong_exit", "omitted"):
        label = f"{year}年 " + label
    return label


def households_behind(
    user: User, *, region: str, metric: str, key: str = "", year: int | None = None
) -> QuerySet[Household]:
    """The households one figure counts, in the user's scope (empty for an unknown metric)."""
    condition = metric_filter(metric, key, year)
    scope = household_filter(user)
    if condition is None or scope is None:
        return Household.objects.none()
    qs = Household.objects.all()
    if region:
        qs = qs.filter(in_region("village_id", region))
    return qs.filter(scope).filter(condition)


def list_url(metric: str, key: str = "", *, region: str = "", year: int | None = None) -> str:
    """Where a figure's households are listed: the registry's list where its filters say it, else ours."""
    base = {"region": region} if region else {}
    registry_list, reports_list = _list_paths()
    if metric == "status":
        return registry_list + "?" + urlencode({**base, "status": key})
    if metric == "poor_type":
        return registry_list + "?" + urlencode({**base, "status": "poor", "household_type": key})
    if metric == "poor_cause":
        return registry_list + "?" + urlencode({**base, "status": "poor", "cause": key})
    if metric == "all":
        return registry_list + ("?" + urlencode(base) if base else "")
    params: dict[str, Any] = {**base, "metric": metric}
    if key:
        params["key"] = key
    if year:
        params["year"] = year
    return reports_list + "?" + urlencode(params)


def _list_paths() -> tuple[str, str]:
    return reverse("registry:household_list"), reverse("reports:households")


# ---------------------------------------------------------------- counting

Counts = dict[tuple[str, str], list[int]]  # (metric, key) -> [households, persons]


@dataclass
class RegionFigures:
    """The rollup-able household figures of a region and of each of its children."""

    total: Counts = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    children: dict[str, Counts] = field(default_factory=dict)
    source: str = "live"

    def get(self, metric: str, key: object, which: str | None = None) -> list[int]:
        counts = self.total if which is None else self.children.get(which, {})
        return counts.get((metric, str(key)), [0, 0])


def _grouped(households: QuerySet[Household], child_length: int | None) -> dict[str | None, Counts]:
    """Grouped counts of the rollup metrics, per child region (code prefix) or in total (None)."""
    out: dict[str | None, Counts] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    base = households.order_by()
    if child_length:
        child = (
            F("village_id")
            if child_length == CODE_LENGTHS[RegionLevel.VILLAGE]
            else Substr("village_id", 1, child_length)
        )
        base = base.annotate(child=child)
    for metric, (condition, group_field) in ROLLUP_METRICS.items():
        fields = (["child"] if child_length else []) + [group_field]
        rows = base.filter(condition).values(*fields).annotate(n=Count("pk"), p=Coalesce(Sum("size"), 0))
        for row in rows:
            key = row[group_field]
            cell = out[row["child"] if child_length else None][
                (metric, "none" if key in (None, "") else str(key))
            ]
            cell[0] += row["n"]
            cell[1] += row["p"]
    return out


def child_code_length(region_code: str) -> int | None:
    if not region_code:
        return CODE_LENGTHS[RegionLevel.PROVINCE]
    level = level_of(region_code)
    return None if level >= RegionLevel.VILLAGE else CODE_LENGTHS[RegionLevel(level + 1)]


def uses_rollup(user: User, region_code: str, built: str | None = "built_at") -> bool:
    """Whether to read a region's totals from a rollup (`built`: the StatsState field saying it was built;
    None: kept by triggers since its migration).

    Only for a user whose scope is the whole region: a rollup row counts every household of its region, so a
    helper (who reads only paired households) and a region outside or above the user's scope are counted live.
    """
    if connection.vendor != "postgresql" or is_helper(user):
        return False
    prefix = getattr(user, "scope_prefix", None)
    if prefix is None or not region_code.startswith(prefix):
        return False
    live_from = getattr(settings, "FUPIN_STATS_LIVE_LEVEL", RegionLevel.TOWNSHIP)
    level = level_of(region_code) if region_code else 0
    return level < live_from and (
        built is None or StatsState.objects.filter(**{f"{built}__isnull": False}).exists()
    )


def _add(into: Counts, counts: Counts, sign: int = 1) -> None:
    for k, (h, p) in counts.items():
        cell = into[k]
        cell[0] += sign * h
        cell[1] += sign * p


def region_figures(user: User, region_code: str) -> RegionFigures:
    """The rollup-able figures of a region in scope ("" is the country, for an administrator) and its
    children."""
    scope = household_filter(user)
    figures = RegionFigures()
    if scope is None:
        return figures
    child_length = child_code_length(region_code)
    if uses_rollup(user, region_code):
        rolled = _from_rollup(region_code, child_length)
        if rolled is not None:
            return rolled
    households = Household.objects.all()
    if region_code:
        households = households.filter(in_region("village_id", region_code))
    households = households.filter(scope)
    by_child = _grouped(households, child_length)
    for child, counts in by_child.items():
        _add(figures.total, counts)
        if child is not None:
            figures.children[child] = counts
    return figures


def province_codes() -> list[str]:
    return list(Region.objects.filter(level=RegionLevel.PROVINCE).values_list("code", flat=True))


def rollup_rows(model: Any, region_code: str) -> QuerySet:
    """A rollup's rows for a region; for the whole country (""), the provinces' rows, which add up to it."""
    return model.objects.filter(region_code__in=[region_code] if region_code else province_codes())


def _stored(codes_: list[str]) -> dict[str, Counts]:
    out: dict[str, Counts] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for row in RegionStat.objects.filter(region_code__in=codes_).values_list(
        "region_code", "metric", "key", "households", "persons"
    ):
        out[row[0]][(row[1], row[2])] = [row[3], row[4]]
    return out


REFRESH_EVERY = datetime.timedelta(seconds=30)


def _request_refresh() -> None:
    """Queue the refresh task that folds the written villages into the rollup, at most once per
    REFRESH_EVERY."""
    from .tasks import refresh_stats  # cycle breaker: the task runs services, which read these selectors

    now = timezone.now()
    if (
        StatsState.objects.filter(pk=1)
        .filter(Q(refresh_requested_at__isnull=True) | Q(refresh_requested_at__lt=now - REFRESH_EVERY))
        .update(refresh_requested_at=now)
    ):
        refresh_stats.enqueue()


def dirty_villages(region_code: str) -> list[str] | None:
    """The villages of a region written since the rollups' last refresh (queueing the refresh if any); None:
    too many to patch, count live."""
    dirty_qs = DirtyVillage.objects.all()
    if region_code:
        dirty_qs = dirty_qs.filter(in_region("village_code", region_code))
    dirty = sorted(
        dirty_qs.order_by("village_code")
        .values_list("village_code", flat=True)
        .distinct()[: MAX_DIRTY_VILLAGES + 1]
    )
    if dirty:
        _request_refresh()
    return None if len(dirty) > MAX_DIRTY_VILLAGES else dirty


def _from_rollup(region_code: str, child_length: int | None) -> RegionFigures | None:
    """The rollup's figures, patched with live counts of the villages written since its refresh; None: count
    live. A village (`child_length` None) has no children: a dirty village is then the region itself."""
    dirty = dirty_villages(region_code)
    if dirty is None:
        return None
    if region_code:
        child_codes = list(Region.objects.filter(parent_id=region_code).values_list("code", flat=True))
    else:
        child_codes = province_codes()
    stored = _stored(([region_code] if region_code else []) + child_codes + dirty)
    figures = RegionFigures(source="rollup")
    if region_code:
        _add(figures.total, stored.get(region_code, {}))
    for code in child_codes:
        figures.children[code] = defaultdict(lambda: [0, 0])
        _add(figures.children[code], stored.get(code, {}))
        if not region_code:
            _add(figures.total, stored.get(code, {}))
    if dirty:
        live = _grouped(Household.objects.filter(village_id__in=dirty), CODE_LENGTHS[RegionLevel.VILLAGE])
        for village, year, population in (
            _profiles().filter(village_id__in=dirty).values_list("village_id", "year", "rural_population")
        ):
            live[village][("rural", str(year))][1] += population
        for village in dirty:
            child = village[:child_length]
            for target in (figures.total, figures.children.setdefault(child, defaultdict(lambda: [0, 0]))):
                _add(target, stored.get(village, {}), -1)
                _add(target, live.get(village, {}))
        figures.source = "rollup+live"
    return figures


# ---------------------------------------------------------------- figures not in the rollup


def within_region(qs: QuerySet, field_name: str, region_code: str) -> QuerySet:
    """`qs` limited to the rows whose `field_name` (a region code) lies in `region_code` (all of them for
    "")."""
    return qs.filter(in_region(field_name, region_code)) if region_code else qs


def survey_answers_for(user: User, *, region_code: str, year: int) -> QuerySet[SatisfactionSurvey]:
    """The year's satisfaction answers (满意度) of the households under `region_code` that the user may
    read."""
    scope = household_filter(user, "household__")
    if scope is None:
        return SatisfactionSurvey.objects.none()
    return within_region(SatisfactionSurvey.objects.filter(year=year), "village_code", region_code).filter(
        scope
    )


def _scoped_households(user: User, region_code: str) -> QuerySet[Household] | None:
    scope = household_filter(user)
    if scope is None:
        return None
    return within_region(Household.objects.all(), "village_id", region_code).filter(scope)


def relapses_by_year(user: User, region_code: str, years: list[int]) -> dict[int, list[int]]:
    """Households (and persons) whose relapse (返贫) was announced in each year."""
    households = _scoped_households(user, region_code)
    if households is None:
        return {}
    rows = (
        BatchHousehold.objects.filter(
            batch__kind=Procedure.RELAPSE,
            batch__year__in=years,
            state=EntryState.CONFIRMED,
            household__in=households.values("pk"),
        )
        .values("batch__year")
        .annotate(n=Count("household_id", distinct=True), p=Coalesce(Sum("household__size"), 0))
    )
    return {r["batch__year"]: [r["n"], r["p"]] for r in rows}


def plans_by_year(user: User, region_code: str, years: list[int]) -> dict[int, int]:
    """The reduction plan (年度减贫计划, persons) of a region per year: its own, else the sum of the
    highest level below it that has plans."""
    if region_filter(user, "region_id") is None:
        return {}
    plans = within_region(ReductionPlan.objects.filter(year__in=years), "region_id", region_code).values_list(
        "region_id", "year", "persons"
    )
    by_length: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for code, year, persons in plans:
        by_length[len(code)][year] += persons
    out: dict[int, int] = {}
    for year in years:
        for length in sorted(by_length):
            if year in by_length[length]:
                out[year] = by_length[length][year]
                break
    return out


def _profiles() -> QuerySet[VillageProfile]:
    return VillageProfile.objects.all()


def rural_population(
    user: User, region_code: str, years: list[int], figures: RegionFigures | None = None
) -> dict[int, int]:
    """The villages' agricultural registered population (农业户籍人口) per year, from the village records
    (through the rollup when the figures came from it)."""
    if region_filter(user, "village_id") is None:
        return {}
    if figures is not None and figures.source != "live":
        return {y: figures.get("rural", y)[1] for y in years if figures.get("rural", y)[1]}
    rows = (
        within_region(_profiles().filter(year__in=years), "village_id", region_code)
        .values("year")
        .annotate(n=Sum("rural_population"))
    )
    return {r["year"]: r["n"] or 0 for r in rows}


def funds_figures(user: User, region_code: str, year: int) -> dict:
    """Projects of the year with their money, and microloans disbursed and outstanding (amounts in yuan)."""
    projects = within_region(funds.projects_for(user, year=year), "region_id", region_code).exclude(
        status=ProjectStatus.CANCELLED
    )
    project_ids = projects.values("pk")
    money = Allocation.objects.filter(project_id__in=project_ids).aggregate(
        a=Coalesce(Sum("amount_fen"), 0), s=Coalesce(Sum("spent_fen"), 0)
    )
    loans = loan_figures(user, region_code)
    return {
        "projects": projects.count(),
        "allocated": fen_to_yuan(money["a"]),
        "spent": fen_to_yuan(money["s"]),
        "loans": loans["loans"],
        "loan_amount": fen_to_yuan(loans["amount_fen"]),
        "outstanding": fen_to_yuan(loans["open_amount_fen"] - loans["open_repaid_fen"]),
        "open_loans": loans["open_loans"],
    }


LOAN_SUMS = ("loans", "amount_fen", "open_loans", "open_amount_fen", "open_repaid_fen")


def loan_figures(user: User, region_code: str) -> dict[str, int]:
    """Disbursed microloans of a region in scope, their amount, and the open ones with the principal repaid on
    them: from LoanStat (kept by triggers, so exact) for a large region read by a user who may read all of it,
    else live."""

    if uses_rollup(user, region_code, built=None):
        return rollup_rows(LoanStat, region_code).aggregate(**{k: Coalesce(Sum(k), 0) for k in LOAN_SUMS})
    loans = (
        within_region(funds.loans_for(user), "region_id", region_code)
        .filter(disbursed_on__isnull=False)
        .order_by()
    )
    is_open = Q(status=LoanStatus.DISBURSED)
    sums = loans.aggregate(
        n=Count("pk"),
        amount=Coalesce(Sum("amount_fen"), 0),
        open_n=Count("pk", filter=is_open),
        open_amount=Coalesce(Sum("amount_fen", filter=is_open), 0),
    )
    repaid = Repayment.objects.filter(loan__in=loans.filter(is_open).values("pk")).aggregate(
        s=Coalesce(Sum("principal_fen"), 0)
    )["s"]
    return {
        "loans": sums["n"],
        "amount_fen": sums["amount"],
        "open_loans": sums["open_n"],
        "open_amount_fen": sums["open_amount"],
        "open_repaid_fen": repaid,
    }
