"""How procedures are read: every query starts from the user's scope (a region-code range)."""
import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from fupin.accounts.scope import region_filter
from fupin.regions.models import Region, in_region
from fupin.registry import codes
from fupin.registry.models import GuaranteeCheck, Household, IncomeRecord

from . import services
from .models import (
    Batch,
    BatchHousehold,
    EntryState,
    Objection,
    Procedure,
    Quota,
    ReductionPlan,
    Stage,
    VillageProfile,
)


def income_years_used(household_ids) -> dict[int, set[int]]:
    """The years whose income a procedure has used, per household: a batch of that year took the
    household's per-capita net income into its ranking (the income survey closed) and has gone on
    from the survey. While a batch is at the survey (or was sent back to it), the income may still
    be corrected directly, and the survey ranks again. (registry.services.procedure_income_years)"""
    rows = (BatchHousehold.objects.filter(household_id__in=list(household_ids), per_capita_net_income__isnull=False)
            .exclude(batch__stage__in=[Stage.APPLICATION, Stage.SURVEY]).values_list("household_id", "batch__year"))
    out: dict[int, set[int]] = {}
    for household_id, year in rows:
        out.setdefault(household_id, set()).add(year)
    return out


def guarantee_years_used(household_ids) -> dict[int, set[int]]:
    """The years whose guarantee check (两不愁三保障) an exit procedure has used, per household: an exit batch
    of that year recorded whether every guarantee was met (its income survey closed) and has gone on from the
    survey. As with the income (`income_years_used`), a batch still at its survey leaves the check direct."""
    rows = (BatchHousehold.objects.filter(household_id__in=list(household_ids), batch__kind=Procedure.EXIT,
                                          guarantees_met__isnull=False)
            .exclude(batch__stage__in=[Stage.APPLICATION, Stage.SURVEY]).values_list("household_id", "batch__year"))
    out: dict[int, set[int]] = {}
    for household_id, year in rows:
        out.setdefault(household_id, set()).add(year)
    return out

ALLOCATION_MODELS = {"quota": Quota, "plan": ReductionPlan}
REGISTERED_STATUSES = [codes.HouseholdStatus.POOR, codes.HouseholdStatus.EXITED, codes.HouseholdStatus.MONITORED]


def batches_for(user, *, year: int | None = None, kind: str = "", stage: str = "", region: str = "") -> QuerySet[Batch]:
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
        households=Count("entries", filter=Q(entries__state__in=[EntryState.SELECTED, EntryState.CONFIRMED, EntryState.PROPOSED]), distinct=True),
        pending_objections=Count("objections", filter=Q(objections__state=Objection.State.OPEN), distinct=True),
    ).order_by("-year", "village_id", "kind", "round")


def batch_for(user, pk) -> Batch:
    """One batch in scope; Batch.DoesNotExist otherwise (a 404 that does not confirm it exists)."""
    scope = region_filter(user, "village_id")
    if scope is None:
        raise Batch.DoesNotExist
    return Batch.objects.select_related("village", "village__parent").get(scope, pk=pk)


def batch_entries(batch: Batch) -> QuerySet[BatchHousehold]:
    return (batch.entries.select_related("household", "household__group", "application")
            .prefetch_related("objections").order_by("rank", "id"))


def eligible_households(user, batch: Batch) -> QuerySet[Household]:
    """Households of the batch's village that may still enter it."""
    statuses = services.ELIGIBLE_STATUS.get(Procedure(batch.kind), set())
    scope = region_filter(user, "village_id")
    if scope is None:
        return Household.objects.none()
    taken = BatchHousehold.objects.filter(Q(batch=batch) | Q(state__in=[EntryState.PROPOSED, EntryState.SELECTED], batch__stage__in=[
        s for s in Stage.values if s != Stage.ANNOUNCED])).values("household_id")
    return (Household.objects.filter(scope, village_id=batch.village_id, status__in=statuses)
            .exclude(pk__in=taken).order_by("latest_income", "number"))


def exit_progress(user, year: int, *, today: datetime.date | None = None) -> list[dict]:
    """Open exit batches of the year in scope, with whether they are late: exits are done by
    the end of December of their year (DESIGN.md section 4)."""
    today = today or timezone.localdate()
    deadline = datetime.date(year, 12, 31)
    rows = batches_for(user, year=year, kind=Procedure.EXIT, stage="open")
    return [{"batch": b, "late": today > deadline, "days_left": (deadline - today).days} for b in rows]


def allocation_rows(user, year: int, *, which: str = "quota", parent: Region | None = None) -> dict:
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
    adjusted = set(model.objects.filter(region__in=children, year=year, adjusted=True).values_list("region_id", flat=True))
    used, used_total = {}, 0
    if which == "quota":
        rows = services.quota_entries(region.code, year).values_list("batch__village_id", "persons")
        for village, persons in rows:
            used_total += persons or 0
            for c in children:
                if village.startswith(c.code):
                    used[c.code] = used.get(c.code, 0) + (persons or 0)
    return {"region": region, "own": own, "children": [
        {"region": c, "persons": values.get(c.code), "used": used.get(c.code, 0), "adjusted": c.code in adjusted} for c in children
    ], "used_total": used_total}


def yearly_update_progress(user, year: int, *, region: str = "") -> dict:
    """Village by village: registered households, and how many still lack the year's income
    survey and 两不愁三保障 check, against the county's January/February deadlines."""
    scope = region_filter(user, "village_id")
    if scope is None:
        return {"rows": [], "deadlines": None}
    base = Household.objects.filter(scope, status__in=REGISTERED_STATUSES)
    if region:
        base = base.filter(in_region("village_id", region))
    totals = dict(base.values("village_id").annotate(n=Count("pk")).values_list("village_id", "n"))
    incomes = dict(IncomeRecord.objects.filter(year=year, household__in=base.values("pk"))
                   .values("household__village_id").annotate(n=Count("pk")).values_list("household__village_id", "n"))
    checks = dict(GuaranteeCheck.objects.filter(year=year, household__in=base.values("pk"))
                  .values("household__village_id").annotate(n=Count("pk")).values_list("household__village_id", "n"))
    profiles = set(VillageProfile.objects.filter(year=year, village_id__in=list(totals)).values_list("village_id", flat=True))
    names = dict(Region.objects.filter(code__in=list(totals)).values_list("code", "name"))
    townships = dict(Region.objects.filter(code__in={c[:9] for c in totals}).values_list("code", "name"))
    rows = []
    for village in sorted(totals):
        total = totals[village]
        rows.append({"code": village, "name": names.get(village, village), "township": townships.get(village[:9], ""),
                     "households": total, "income_missing": total - incomes.get(village, 0),
                     "guarantee_missing": total - checks.get(village, 0), "profile_missing": village not in profiles})
    cfg_code = region or (user.region_id if getattr(user, "region_id", None) else "")
    deadlines = None
    if len(cfg_code) >= 6:
        cfg = services.settings_for(cfg_code)
        deadlines = {"survey": cfg.deadline(year, "survey"), "update": cfg.deadline(year, "update")}
    return {"rows": rows, "deadlines": deadlines,
            "summary": {"households": sum(r["households"] for r in rows), "income_missing": sum(r["income_missing"] for r in rows),
                        "guarantee_missing": sum(r["guarantee_missing"] for r in rows),
                        "villages_incomplete": sum(1 for r in rows if r["income_missing"] or r["guarantee_missing"])}}


def village_profiles_for(user, year: int, *, region: str = "") -> QuerySet[VillageProfile]:
    scope = region_filter(user, "village_id")
    if scope is None:
        return VillageProfile.objects.none()
    qs = VillageProfile.objects.filter(scope, year=year).select_related("village")
    if region:
        qs = qs.filter(in_region("village_id", region))
    return qs.order_by("village_id")


def stage_counts(user, year: int) -> dict:
    """How many batches of each kind stand at each stage (the county's overview)."""
    out: dict = {}
    scope = region_filter(user, "village_id")
    if scope is None:
        return out
    for row in Batch.objects.filter(scope, year=year).values("kind", "stage").annotate(n=Count("id")).order_by():
        out.setdefault(row["kind"], {})[row["stage"]] = row["n"]
    return out
