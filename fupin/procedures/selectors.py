"""How procedures are read: every query starts from the user's scope (a region-code range)."""

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from fupin.accounts.models import User
from fupin.accounts.scope import region_filter
from fupin.regions.models import CODE_LENGTHS, Region, RegionLevel, in_region
from fupin.registry import codes
from fupin.registry.models import GuaranteeCheck, Household, IncomeRecord

from . import notices, services
from .models import (
    INFRASTRUCTURE,
    Batch,
    BatchHousehold,
    EntryState,
    Evidence,
    Notice,
    Objection,
    PolicyYear,
    Procedure,
    ProcedureSettings,
    Quota,
    ReductionPlan,
    Stage,
    VillageCriteria,
    VillageProfile,
)


def income_years_used(household_ids: Iterable[int]) -> dict[int, set[int]]:
    """The years whose income a procedure has used, per household: a batch of that year took the
    household's per-capita net income into its ranking (the income survey closed) and has gone on
    from the survey. While a batch is at the survey (or was sent back to it), the income may still
    be corrected directly, and the survey ranks again. (registry.services.procedure_income_years)"""
    rows = (
        BatchHousehold.objects.filter(
            household_id__in=list(household_ids), per_capita_net_income__isnull=False
        )
        .exclude(batch__stage__in=[Stage.APPLICATION, Stage.SURVEY])
        .values_list("household_id", "batch__year")
    )
    out: dict[int, set[int]] = {}
    for household_id, year in rows:
        out.setdefault(household_id, set()).add(year)
    return out


def guarantee_years_used(household_ids: Iterable[int]) -> dict[int, set[int]]:
    """The years whose guarantee check (两不愁三保障) an exit procedure has used, per household: an exit batch
    of that year recorded whether every guarantee was met (its income survey closed) and has gone on from the
    survey. As with the income (`income_years_used`), a batch still at its survey leaves the check direct."""
    rows = (
        BatchHousehold.objects.filter(
            household_id__in=list(household_ids), batch__kind=Procedure.EXIT, guarantees_met__isnull=False
        )
        .exclude(batch__stage__in=[Stage.APPLICATION, Stage.SURVEY])
        .values_list("household_id", "batch__year")
    )
    out: dict[int, set[int]] = {}
    for household_id, year in rows:
        out.setdefault(household_id, set()).add(year)
    return out


ALLOCATION_MODELS: dict[str, type[Quota] | type[ReductionPlan]] = {"quota": Quota, "plan": ReductionPlan}
REGISTERED_STATUSES = [
    codes.HouseholdStatus.POOR,
    codes.HouseholdStatus.EXITED,
    codes.HouseholdStatus.MONITORED,
]


def batches_for(
    user: User, *, year: int | None = None, kind: str = "", stage: str = "", region: str = ""
) -> QuerySet[Batch]:
    scope = region_filter(user, "village_id")
    if scope is None:
        return Batch.objects.none()
    qs = Batch.objects.filter(scope).select_related("village", "village__parent")
    if region:
        qs = qs.filter(in_region("village_id", region))
    if year:
        qs = qs.filter(year=year)
    if kind in Procedure.values:
        qs = qs.filter(kind=kind)
    if stage == "open":
        qs = qs.exclude(stage=Stage.ANNOUNCED)
    elif stage in Stage.values:
        qs = qs.filter(stage=stage)
    return qs.annotate(
        households=Count(
            "entries",
            filter=Q(entries__state__in=[EntryState.SELECTED, EntryState.CONFIRMED, EntryState.PROPOSED]),
            distinct=True,
        ),
        pending_objections=Count(
            "objections", filter=Q(objections__state=Objection.State.OPEN), distinct=True
        ),
    ).order_by("-year", "village_id", "kind", "round")


def batch_for(user: User, pk: int | str) -> Batch:
    """One batch in scope; Batch.DoesNotExist otherwise (a 404 that does not confirm it exists)."""
    scope = region_filter(user, "village_id")
    if scope is None:
        raise Batch.DoesNotExist
    return Batch.objects.select_related("village", "village__parent").get(scope, pk=pk)


def batch_entries(batch: Batch) -> QuerySet[BatchHousehold]:
    return (
        batch.entries.select_related("household", "household__group", "application")
        .prefetch_related("objections")
        .order_by("rank", "id")
    )


def eligible_households(user: User, batch: Batch) -> QuerySet[Household]:
    """Households of the batch's village that may still enter it."""
    statuses = services.ELIGIBLE_STATUS.get(Procedure(batch.kind), set())
    scope = region_filter(user, "village_id")
    if scope is None:
        return Household.objects.none()
    taken = BatchHousehold.objects.filter(
        Q(batch=batch)
        | Q(
            state__in=[EntryState.PROPOSED, EntryState.SELECTED],
            batch__stage__in=[s for s in Stage.values if s != Stage.ANNOUNCED],
        )
    ).values("household_id")
    return (
        Household.objects.filter(scope, village_id=batch.village_id, status__in=statuses)
        .exclude(pk__in=taken)
        .order_by("latest_income", "number")
    )


def exit_progress(user: User, year: int, *, today: datetime.date | None = None) -> list[dict]:
    """Open exit batches of the year in scope, with whether they are late: exits are done by
    the end of December of their year (DESIGN.md section 4)."""
    today = today or timezone.localdate()
    deadline = datetime.date(year, 12, 31)
    rows = batches_for(user, year=year, kind=Procedure.EXIT, stage="open")
    return [{"batch": b, "late": today > deadline, "days_left": (deadline - today).days} for b in rows]


def allocation_rows(user: User, year: int, *, which: str = "quota", parent: Region | None = None) -> dict:
    """The allocation of a region (the user's own by default) and of its children, with how much
    of each quota is used by the year's identification batches."""
    model = ALLOCATION_MODELS[which]
    scope = region_filter(user, "code")
    if scope is None:
        return {"region": None, "own": None, "children": []}
    region = parent or user.region
    if region is None or not Region.objects.filter(scope, code=region.code).exists():
        return {"region": None, "own": None, "children": []}
    own = model.objects.filter(region=region, year=year).first()
    children = list(Region.objects.filter(parent=region).order_by("code"))
    values = dict(model.objects.filter(region__in=children, year=year).values_list("region_id", "persons"))
    adjusted = set(
        model.objects.filter(region__in=children, year=year, adjusted=True).values_list(
            "region_id", flat=True
        )
    )
    used: dict[str, int] = {}
    used_total = 0
    if which == "quota":
        rows = quota_entries(region.code, year).values_list("batch__village_id", "persons")
        for village, persons in rows:
            used_total += persons or 0
            for c in children:
                if village.startswith(c.code):
                    used[c.code] = used.get(c.code, 0) + (persons or 0)
    return {
        "region": region,
        "own": own,
        "children": [
            {
                "region": c,
                "persons": values.get(c.code),
                "used": used.get(c.code, 0),
                "adjusted": c.code in adjusted,
            }
            for c in children
        ],
        "used_total": used_total,
    }


def yearly_update_progress(user: User, year: int, *, region: str = "") -> dict:
    """Village by village: registered households, and how many still lack the year's income
    survey and 两不愁三保障 check, against the county's January/February deadlines."""
    scope = region_filter(user, "village_id")
    if scope is None:
        return {"rows": [], "deadlines": None}
    base = Household.objects.filter(scope, status__in=REGISTERED_STATUSES)
    if region:
        base = base.filter(in_region("village_id", region))
    totals = dict(base.values("village_id").annotate(n=Count("pk")).values_list("village_id", "n"))
    incomes = dict(
        IncomeRecord.objects.filter(year=year, household__in=base.values("pk"))
        .values("household__village_id")
        .annotate(n=Count("pk"))
        .values_list("household__village_id", "n")
    )
    checks = dict(
        GuaranteeCheck.objects.filter(year=year, household__in=base.values("pk"))
        .values("household__village_id")
        .annotate(n=Count("pk"))
        .values_list("household__village_id", "n")
    )
    profiles = set(
        VillageProfile.objects.filter(year=year, village_id__in=list(totals)).values_list(
            "village_id", flat=True
        )
    )
    names = dict(Region.objects.filter(code__in=list(totals)).values_list("code", "name"))
    townships = dict(Region.objects.filter(code__in={c[:9] for c in totals}).values_list("code", "name"))
    rows = []
    for village in sorted(totals):
        total = totals[village]
        rows.append(
            {
                "code": village,
                "name": names.get(village, village),
                "township": townships.get(village[:9], ""),
                "households": total,
                "income_missing": total - incomes.get(village, 0),
                "guarantee_missing": total - checks.get(village, 0),
                "profile_missing": village not in profiles,
            }
        )
    cfg_code = region or user.region_id or ""
    deadlines = None
    if len(cfg_code) >= 6:
        cfg = settings_for(cfg_code)
        deadlines = {"survey": cfg.deadline(year, "survey"), "update": cfg.deadline(year, "update")}
    return {
        "rows": rows,
        "deadlines": deadlines,
        "summary": {
            "households": sum(r["households"] for r in rows),
            "income_missing": sum(r["income_missing"] for r in rows),
            "guarantee_missing": sum(r["guarantee_missing"] for r in rows),
            "villages_incomplete": sum(1 for r in rows if r["income_missing"] or r["guarantee_missing"]),
        },
    }


def village_profiles_for(user: User, year: int, *, region: str = "") -> QuerySet[VillageProfile]:
    scope = region_filter(user, "village_id")
    if scope is None:
        return VillageProfile.objects.none()
    qs = VillageProfile.objects.filter(scope, year=year).select_related("village")
    if region:
        qs = qs.filter(in_region("village_id", region))
    return qs.order_by("village_id")


def stage_counts(user: User, year: int) -> dict:
    """How many batches of each kind stand at each stage (the county's overview)."""
    out: dict = {}
    scope = region_filter(user, "village_id")
    if scope is None:
        return out
    for row in (
        Batch.objects.filter(scope, year=year).values("kind", "stage").annotate(n=Count("id")).order_by()
    ):
        out.setdefault(row["kind"], {})[row["stage"]] = row["n"]
    return out


# ---------------------------------------------------------------- villages

CRITERIA_LABELS = {
    "has_hardened_road": gettext_lazy("通硬化路"),
    "has_bus": gettext_lazy("通客车"),
    "has_safe_water": gettext_lazy("饮水安全"),
    "has_electricity": gettext_lazy("通动力电"),
    "has_clinic": gettext_lazy("有标准化卫生室"),
    "has_broadband": gettext_lazy("通宽带"),
    "has_activity_venue": gettext_lazy("有综合服务场所"),
}
DEFAULT_CRITERIA: dict[str, dict[str, Any]] = {
    VillageCriteria.Kind.EXIT: {
        "incidence_percent": Decimal("2.00"),
        "require_hardened_road": True,
        "require_safe_water": True,
        "require_electricity": True,
        "require_clinic": True,
        "require_broadband": True,
    },
    VillageCriteria.Kind.IDENTIFICATION: {"incidence_percent": Decimal("6.00")},
}


def criteria_for(code: str, kind: str) -> VillageCriteria:
    """The province's (or the default) criteria; national defaults when nobody has set any."""
    found = {
        c.region_prefix: c
        for c in VillageCriteria.objects.filter(region_prefix__in=prefixes_of(code), kind=kind)
    }
    for prefix in prefixes_of(code):
        if prefix in found:
            return found[prefix]
    return VillageCriteria(kind=kind, **DEFAULT_CRITERIA[kind])


def village_incidence(village_code: str, year: int) -> tuple[int, int, Decimal | None]:
    """(poor persons in the registry, agricultural population of the village record, incidence %)."""
    poor = (
        Household.objects.filter(village_id=village_code, status__in=[codes.HouseholdStatus.POOR]).aggregate(
            n=Sum("size")
        )["n"]
        or 0
    )
    profile = VillageProfile.objects.filter(village_id=village_code, year=year).first()
    population = profile.rural_population if profile else 0
    incidence = (Decimal(poor) * 100 / population).quantize(Decimal("0.01")) if population else None
    return poor, population, incidence


def check_village(village_code: str, year: int, kind: str) -> list[dict]:
    """Each criterion with what is required, what the registry and village record show, and whether it is
    met."""
    ckind = (
        VillageCriteria.Kind.IDENTIFICATION
        if kind == Procedure.VILLAGE_IDENTIFICATION
        else VillageCriteria.Kind.EXIT
    )
    criteria = criteria_for(village_code, ckind)
    profile = VillageProfile.objects.filter(village_id=village_code, year=year).first()
    poor, population, incidence = village_incidence(village_code, year)
    results = []
    if ckind == VillageCriteria.Kind.EXIT:
        results.append(
            {
                "label": gettext("贫困发生率低于 %(percent)s%%") % {"percent": criteria.incidence_percent},
                "actual": gettext("%(incidence)s%%（%(poor)s/%(population)s人）")
                % {"incidence": incidence, "poor": poor, "population": population}
                if incidence is not None
                else gettext("无农业人口数据"),
                "ok": incidence is not None and incidence < criteria.incidence_percent,
            }
        )
    else:
        results.append(
            {
                "label": gettext("贫困发生率不低于 %(percent)s%%") % {"percent": criteria.incidence_percent},
                "actual": gettext("%(incidence)s%%（%(poor)s/%(population)s人）")
                % {"incidence": incidence, "poor": poor, "population": population}
                if incidence is not None
                else gettext("无农业人口数据"),
                "ok": incidence is not None and incidence >= criteria.incidence_percent,
            }
        )
    if ckind == VillageCriteria.Kind.EXIT:
        if criteria.min_collective_income:
            actual = profile.collective_income if profile else Decimal("0")
            results.append(
                {
                    "label": gettext("村集体经济收入不低于 %(income)s 元")
                    % {"income": criteria.min_collective_income},
                    "actual": gettext("%(amount)s 元") % {"amount": actual},
                    "ok": actual >= criteria.min_collective_income,
                }
            )
        for field in INFRASTRUCTURE:
            if getattr(criteria, "require_" + field[4:]):
                has = bool(profile and getattr(profile, field))
                results.append(
                    {
                        "label": CRITERIA_LABELS[field],
                        "actual": gettext("是") if has else gettext("否"),
                        "ok": has,
                    }
                )
    return results


def open_objections(batch: Batch) -> int:
    return batch.objections.filter(state=Objection.State.OPEN).count()


def quota_entries(region_code: str, year: int) -> QuerySet[BatchHousehold]:
    """The entries that use a region's quota for the year (已用于识别): households selected or announced
    in the year's identification batches of its villages. The batch page, the quota page and its
    table of townships or villages all count these, so their figures agree."""
    return BatchHousehold.objects.filter(
        in_region("batch__village_id", region_code),
        batch__year=year,
        batch__kind=Procedure.IDENTIFICATION,
        state__in=[EntryState.SELECTED, EntryState.CONFIRMED],
    )


def quota_usage(village_code: str, year: int, *, exclude_batch: Batch | None = None) -> dict:
    """A village's quota for the year and how many persons of it are used (see `quota_entries`)."""
    quota = Quota.objects.filter(region_id=village_code, year=year).values_list("persons", flat=True).first()
    used_qs = quota_entries(village_code, year)
    if exclude_batch is not None:
        used_qs = used_qs.exclude(batch=exclude_batch)
    used = used_qs.aggregate(n=Sum("persons"))["n"] or 0
    return {"quota": quota, "used": used, "left": None if quota is None else max(quota - used, 0)}


def running_notice(batch: Batch) -> Notice | None:
    kind = notices.NOTICE_STAGE.get(Stage(batch.stage))
    if kind is None:
        return None
    own = Q(batch=batch, closed_at__isnull=True) & ~Q(joint_batches__isnull=False)
    joint = Q(joint_batches__batch=batch, joint_batches__closed_at__isnull=True)
    return Notice.objects.filter(own | joint, kind=kind).order_by("-posted_at").first()


def notices_of(batch: Batch) -> QuerySet[Notice]:
    """The batch's notices: its own, and the township's notices across villages that list it."""
    return Notice.objects.filter(Q(batch=batch) | Q(joint_batches__batch=batch)).distinct()


def notice_photographed(batch: Batch, notice: Notice) -> bool:
    """Whether the photo of the posted notice has been uploaded (with the notice or after it)."""
    return Evidence.objects.filter(
        record__batch=batch,
        kind=Evidence.Kind.NOTICE_PHOTO,
        record__at__gte=notice.posted_at,
        record__stage=batch.stage,
    ).exists()


def prefixes_of(code: str) -> list[str]:
    """The code itself and every ancestor prefix, most specific first, ending with "" (national)."""
    return [
        code[:n]
        for n in sorted({n for n in CODE_LENGTHS.values() if n <= len(code)} | {len(code)}, reverse=True)
    ] + [""]


def poverty_line(year: int, region_code: str) -> Decimal:
    """The year's poverty line for a region: the most specific prefix that sets that year wins;
    a year nobody has set yet uses the latest earlier year (the 2020 standard carries forward)."""
    candidates = list(
        PolicyYear.objects.filter(region_prefix__in=prefixes_of(region_code), year__lte=year).values_list(
            "year", "region_prefix", "poverty_line"
        )
    )
    if not candidates:
        raise services.ProcedureError(
            gettext("%(year)s年尚未设定扶贫标准，请在“年度扶贫标准”中设定") % {"year": year}
        )
    best = max(candidates, key=lambda c: (c[0], len(c[1])))
    return best[2]


def settings_for(code: str) -> ProcedureSettings:
    """The county's settings (an unsaved default when the county has set none)."""
    county = code[: CODE_LENGTHS[RegionLevel.COUNTY]]
    found = ProcedureSettings.objects.filter(county_id=county).first()
    return found or ProcedureSettings(county_id=county)


def incomes_of_year(household_ids: Iterable[int], year: int) -> dict[int, "IncomeRecord"]:
    """Each household's income record of exactly `year` (the survey's year), by household id."""
    return {
        r.household_id: r
        for r in IncomeRecord.objects.filter(household_id__in=list(household_ids), year=year)
    }


def allocations_for(user: Any, which: str, *, year: int | None = None, region: str = "") -> QuerySet:
    """The quotas (which="quota") or reduction plans ("plan") of the regions in the user's scope."""
    scope = region_filter(user, "region_id")
    model = ALLOCATION_MODELS[which]
    if scope is None:
        return model.objects.none()
    qs = model.objects.filter(scope)
    if region:
        qs = qs.filter(in_region("region_id", region))
    return qs.filter(year=year) if year else qs


def objection_for(user: Any, pk: Any) -> Objection:
    """One objection of a batch in scope; Objection.DoesNotExist otherwise."""
    scope = region_filter(user, "batch__village_id")
    if scope is None:
        raise Objection.DoesNotExist
    return Objection.objects.select_related("batch").get(scope, pk=pk)


def notices_for(user: Any, *, kind: str = "", region: str = "", year: int | None = None) -> QuerySet[Notice]:
    """Notices and announcements of the batches in scope."""
    scope = region_filter(user, "batch__village_id")
    if scope is None:
        return Notice.objects.none()
    qs = Notice.objects.filter(scope).select_related("batch")
    if kind:
        qs = qs.filter(kind=kind)
    if region:
        qs = qs.filter(in_region("batch__village_id", region))
    return qs.filter(batch__year=year) if year else qs
