"""The dashboard's case-work figures, read like selectors.py's household figures: pairings, overdue visits,
monitored households and measures (casework_counts), live or from CaseworkStat patched with the villages
written since the last refresh; the monitoring, assistance and problem-ledger figures built on them
(ProblemStat, kept by triggers)."""

import datetime
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, ExtractYear, Substr
from django.utils import timezone

from fupin.accounts.models import User
from fupin.accounts.scope import household_filter
from fupin.assistance.models import (
    DEFAULT_VISIT_INTERVAL_DAYS,
    AssistanceSettings,
    HelpMeasure,
    MeasureGroup,
    Pairing,
    Visit,
)
from fupin.monitoring import selectors as monitoring
from fupin.monitoring.models import (
    OPEN_MONITORING_STAGES,
    MonitoredHousehold,
    MonitoringKind,
    MonitoringStage,
    ProblemStatus,
)
from fupin.regions.models import CODE_LENGTHS, RegionLevel, in_region
from fupin.registry.models import Household

from .models import (
    CaseworkStat,
    ProblemStat,
)
from .selectors import NEEDS_HELPER, dirty_villages, province_codes, rollup_rows, uses_rollup, within_region

VISIT_REFERENCE = "visit_ref"
PAIRED = ("paired", 0, "")


@dataclass
class CaseworkCounts:
    """The case-work household figures of a region: (metric, year, key) -> households, and visits overdue."""

    counts: dict[tuple[str, int, str], int] = field(default_factory=lambda: defaultdict(int))
    overdue: int = 0
    source: str = "live"

    def get(self, metric: str, year: int = 0, key: str = "") -> int:
        return self.counts.get((metric, year, key), 0)


# casework_groups' `where(prefix, field)`: the Q choosing the households counted.
Where = Callable[[str, str], Q]


def casework_groups(where: Where, length: int) -> list[tuple[str, QuerySet]]:
    """The case-work figures as grouped counts: (metric, rows of area, grp_year, grp_key, n).

    `where(prefix, field)` is the Q choosing what is counted: the households reached through `prefix`, whose
    village code is `field` — the household's own, or the monitoring case's and the measure's copy of it,
    which is the household's village (a household keeps its village: its number begins with the village code),
    and which their indexes serve. The area is the first `length` digits of that code. A figure counts
    households, so a household with two measures of a group in a year counts once (grouped per village, within
    which distinct is exact):

    - needing: poor and monitored households (需结对户);
    - visit_ref, by day: those with an active pairing (已结对) by their last visit, else their pairing date —
    paired
      is the sum over all days, overdue the sum over the days before a cut-off;
    - monitored, by kind: households with an open monitoring case; eliminated, by year: risk eliminated that
    year;
    - measure, by year and measure group: households with a help measure of the group in the year.
    """

    def grouped(qs: QuerySet, prefix: str, field_name: str, year: Any, key: Any, n: Any) -> QuerySet:
        area = F(field_name) if length == CODE_LENGTHS[RegionLevel.VILLAGE] else Substr(field_name, 1, length)
        return (
            qs.filter(where(prefix, field_name))
            .order_by()
            .annotate(area=area, grp_year=year, grp_key=key)
            .values("area", "grp_year", "grp_key")
            .annotate(n=n)
        )

    active = Pairing.objects.filter(household_id=OuterRef("pk"), ended_on__isnull=True)
    needing = Household.objects.filter(status__in=NEEDS_HELPER)
    paired = needing.filter(Exists(active))
    last_visit = (
        Visit.objects.filter(household_id=OuterRef("pk")).order_by("-visited_on").values("visited_on")[:1]
    )
    reference = Coalesce(Subquery(last_visit), Subquery(active.values("started_on")[:1]))
    cases = MonitoredHousehold.objects.all()
    distinct_households = Count("household_id", distinct=True)
    return [
        ("needing", grouped(needing, "", "village_id", Value(0), Value(""), Count("pk"))),
        (VISIT_REFERENCE, grouped(paired, "", "village_id", Value(0), reference, Count("pk"))),
        (
            "monitored",
            grouped(
                cases.filter(stage__in=OPEN_MONITORING_STAGES),
                "household__",
                "village_code",
                Value(0),
                F("kind"),
                distinct_households,
            ),
        ),
        (
            "eliminated",
            grouped(
                cases.filter(stage=MonitoringStage.ELIMINATED, eliminated_at__isnull=False),
                "household__",
                "village_code",
                ExtractYear("eliminated_at"),
                Value(""),
                distinct_households,
            ),
        ),
        (
            "measure",
            grouped(
                HelpMeasure.objects.all(),
                "plan__household__",
                "village_code",
                F("year"),
                F("catalogue__group"),
                Count("plan_id", distinct=True),
            ),
        ),  # one plan per household
    ]


def villages_where(villages: list[str] | None) -> Where:
    """casework_groups' `where` for every household of some villages (None: of all villages)."""
    if villages is None:
        return lambda prefix, field_name: Q()
    return lambda prefix, field_name: Q(**{field_name + "__in": villages})


def _casework_rows(where: Where, length: int) -> dict[str, dict[tuple[str, int, str], int]]:
    """The grouped counts of casework_groups, per area: area -> (metric, year, key) -> households."""
    out: dict[str, dict[tuple[str, int, str], int]] = defaultdict(lambda: defaultdict(int))
    for metric, rows in casework_groups(where, length):
        for row in rows:
            key = row["grp_key"]
            out[row["area"]][(metric, int(row["grp_year"] or 0), "" if key is None else str(key))] += row["n"]
    return out


def visit_cutoffs(region_code: str, today: datetime.date) -> tuple[dict[str, str], str]:
    """The day before which a paired household's last visit makes it overdue: per county with its own interval
    under (or above) the region, and for the others — as ISO dates, the keys of "visit_ref"."""
    configured = AssistanceSettings.objects.all()
    county_length = CODE_LENGTHS[RegionLevel.COUNTY]
    if len(region_code) >= county_length:
        configured = configured.filter(county_id=region_code[:county_length])
    elif region_code:
        configured = configured.filter(in_region("county_id", region_code))
    cut = {
        county: (today - datetime.timedelta(days=days)).isoformat()
        for county, days in configured.values_list("county_id", "visit_interval_days")
    }
    return cut, (today - datetime.timedelta(days=DEFAULT_VISIT_INTERVAL_DAYS)).isoformat()


def _add_visits(
    out: "CaseworkCounts", counts: dict[tuple[str, int, str], int], cutoff: str, sign: int = 1
) -> None:
    """Add (sign -1: take away) the households of the "visit_ref" days of `counts`: paired, and overdue before
    `cutoff`."""
    for (metric, _, day), n in counts.items():
        if metric == VISIT_REFERENCE:
            out.counts[PAIRED] += sign * n
            out.overdue += sign * n if day < cutoff else 0


def casework_counts(user: User, region_code: str, today: datetime.date | None = None) -> CaseworkCounts:
    """The case-work household figures of a region in the user's scope: from the rollup (patched with the
    villages written since its refresh) for a large region read by a user who may read all of it, else counted
    live."""
    today = today or timezone.localdate()
    scope = household_filter(user)
    if scope is None:
        return CaseworkCounts()
    cutoffs, default_cutoff = visit_cutoffs(region_code, today)
    county_length = CODE_LENGTHS[RegionLevel.COUNTY]
    if uses_rollup(user, region_code, "casework_built_at"):
        rolled = _casework_from_rollup(region_code, cutoffs, default_cutoff)
        if rolled is not None:
            return rolled
    out = CaseworkCounts()

    def where(prefix: str, field_name: str) -> Q:
        q = household_filter(user, prefix, region_field=field_name) or Q(
            pk__in=[]
        )  # not None: scope checked above
        return q & in_region(field_name, region_code) if region_code else q

    for county, counts in _casework_rows(where, county_length).items():
        for k, n in counts.items():
            if k[0] != VISIT_REFERENCE:
                out.counts[k] += n
        _add_visits(out, counts, cutoffs.get(county, default_cutoff))
    return out


def _casework_from_rollup(
    region_code: str, cutoffs: dict[str, str], default_cutoff: str
) -> CaseworkCounts | None:
    """The region's CaseworkStat rows, patched with live counts of the villages written since the refresh;
    None: too many written villages, count live.

    Overdue is Σ over days before the cut-off of the households last visited that day; a county with its own
    interval has its own cut-off, so above county level its rows replace its share of the region's."""
    dirty = dirty_villages(region_code)
    if dirty is None:
        return None
    codes_ = [region_code] if region_code else province_codes()
    out = CaseworkCounts(source="rollup")
    for metric, year, key, n in (
        CaseworkStat.objects.filter(region_code__in=codes_)
        .exclude(metric=VISIT_REFERENCE)
        .values_list("metric", "year", "key", "households")
    ):
        out.counts[(metric, year, key)] += n
    county_length = CODE_LENGTHS[RegionLevel.COUNTY]
    days = CaseworkStat.objects.filter(metric=VISIT_REFERENCE)
    sums: dict[str, Any] = {"paired": Coalesce(Sum("households", filter=Q(region_code__in=codes_)), 0)}
    if len(region_code) >= county_length:
        cutoff = cutoffs.get(region_code[:county_length], default_cutoff)
        sums = days.filter(region_code=region_code).aggregate(
            **sums, n=Coalesce(Sum("households", filter=Q(key__lt=cutoff)), 0)
        )
        out.overdue = sums["n"]
    else:
        sums["region"] = Coalesce(
            Sum("households", filter=Q(region_code__in=codes_, key__lt=default_cutoff)), 0
        )
        if cutoffs:
            own = Q()
            for county, cutoff in cutoffs.items():
                own |= Q(region_code=county, key__lt=cutoff)
            sums["default"] = Coalesce(
                Sum("households", filter=Q(region_code__in=list(cutoffs), key__lt=default_cutoff)), 0
            )
            sums["own"] = Coalesce(Sum("households", filter=own), 0)
        sums = days.filter(region_code__in=codes_ + list(cutoffs)).aggregate(**sums)
        out.overdue = sums["region"] - sums.get("default", 0) + sums.get("own", 0)
    out.counts[PAIRED] += sums["paired"]
    if dirty:
        stored: dict[str, dict[tuple[str, int, str], int]] = defaultdict(lambda: defaultdict(int))
        for village, metric, year, key, n in CaseworkStat.objects.filter(region_code__in=dirty).values_list(
            "region_code", "metric", "year", "key", "households"
        ):
            stored[village][(metric, year, key)] = n
        live = _casework_rows(villages_where(dirty), CODE_LENGTHS[RegionLevel.VILLAGE])
        for village in dirty:
            before, after = stored.get(village, {}), live.get(village, {})
            for k in set(before) | set(after):
                if k[0] != VISIT_REFERENCE:
                    out.counts[k] += after.get(k, 0) - before.get(k, 0)
            cutoff = cutoffs.get(village[:county_length], default_cutoff)
            _add_visits(out, before, cutoff, -1)
            _add_visits(out, after, cutoff)
        out.source = "rollup+live"
    return out


def monitoring_figures(user: User, region_code: str, year: int, counts: CaseworkCounts | None = None) -> dict:
    """Households under monitoring by kind, and those whose risk was eliminated in the year."""
    if household_filter(user) is None:
        return {"kinds": [], "open": 0, "eliminated": 0}
    counts = counts or casework_counts(user, region_code)
    kinds = [
        {"key": k.value, "label": str(k.label), "households": counts.get("monitored", 0, k.value)}
        for k in MonitoringKind
    ]
    return {
        "kinds": kinds,
        "open": sum(k["households"] for k in kinds),
        "eliminated": counts.get("eliminated", year),
    }


def assistance_figures(user: User, region_code: str, year: int, counts: CaseworkCounts | None = None) -> dict:
    """Helper coverage, visits overdue and help measures of the year, by measure group."""
    if household_filter(user) is None:
        return {}
    counts = counts or casework_counts(user, region_code)
    needing, paired = counts.get("needing"), counts.get("paired")
    return {
        "needing": needing,
        "paired": paired,
        "unpaired": needing - paired,
        "coverage": round(100 * paired / needing, 1) if needing else None,
        "overdue": counts.overdue,
        "measures": [
            {"key": g.value, "label": str(g.label), "households": counts.get("measure", year, g.value)}
            for g in MeasureGroup
        ],
    }


def problem_figures(user: User, region_code: str, today: datetime.date | None = None) -> dict:
    """Problems in the ledger being rectified (整改中), and those not closed out past their deadline."""

    today = today or timezone.localdate()
    if uses_rollup(user, region_code, built=None):  # ProblemStat is kept by triggers: exact
        return rollup_rows(ProblemStat, region_code).aggregate(
            open=Coalesce(Sum("open"), 0), overdue=Coalesce(Sum("pending", filter=Q(deadline__lt=today)), 0)
        )
    qs = within_region(monitoring.problems_for(user), "region_code", region_code).exclude(
        status=ProblemStatus.CLOSED
    )
    return qs.aggregate(
        open=Count("pk", filter=Q(status=ProblemStatus.OPEN)),
        overdue=Count("pk", filter=Q(deadline__lt=today)),
    )
