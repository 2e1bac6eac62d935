"""Quotas (贫困人口规模) and reduction plans (年度减贫计划): set for a county, cascaded down to its villages
by weight (allocation.largest_remainder), adjusted level by level."""

from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext, gettext_lazy

from fupin.accounts.models import User
from fupin.audit.services import record
from fupin.core import versions
from fupin.regions.models import CODE_LENGTHS, Region, RegionLevel, in_region
from fupin.registry import codes
from fupin.registry.models import Household

from . import allocation
from .models import Allocation, AllocationBasis, Quota, ReductionPlan, VillageProfile
from .permissions import ensure_level
from .services import ProcedureError

# ---------------------------------------------------------------- quotas and reduction plans

AllocationModel = type[Quota] | type[ReductionPlan]


def _children(code: str) -> list[str]:
    return list(Region.objects.filter(parent_id=code).order_by("code").values_list("code", flat=True))


def village_weights(county: str, year: int, basis: str) -> dict[str, Decimal]:
    """Each village's weight under a county for the basis (villages with no data weigh zero)."""
    villages = list(
        Region.objects.filter(in_region("code", county), level=RegionLevel.VILLAGE).values_list(
            "code", flat=True
        )
    )
    weights = dict.fromkeys(villages, Decimal("0"))
    if basis == AllocationBasis.REGISTERED:
        rows = (
            Household.objects.filter(in_region("village_id", county), status=codes.HouseholdStatus.POOR)
            .values("village_id")
            .annotate(n=Sum("size"))
        )
        for r in rows:
            weights[r["village_id"]] = Decimal(r["n"] or 0)
        return weights
    latest: dict[str, VillageProfile] = {}
    for p in VillageProfile.objects.filter(in_region("village_id", county), year__lte=year).order_by(
        "village_id", "year"
    ):
        latest[p.village_id] = p
    for code, p in latest.items():
        if basis == AllocationBasis.ESTIMATED_POOR:
            weights[code] = Decimal(p.estimated_poor)
        else:
            weights[code] = Decimal(p.rural_population) * p.estimated_incidence / 100
    return weights


def _subtree_weight(code: str, weights: dict[str, Decimal]) -> Decimal:
    return sum((w for v, w in weights.items() if v.startswith(code)), Decimal("0"))


def _write_allocations(
    model: AllocationModel,
    year: int,
    values: dict[str, int],
    weights: dict[str, Decimal],
    *,
    basis: str,
    by: User,
    adjusted: Iterable[str] = (),
) -> None:
    adjusted = set(adjusted)
    existing = {a.region_id: a for a in model.objects.filter(year=year, region_id__in=list(values))}
    create: list = []  # of `model`'s instances (Quota or ReductionPlan)
    update: list = []
    for code, persons in values.items():
        obj = existing.get(code) or model(region_id=code, year=year)
        obj.persons, obj.basis, obj.weight, obj.adjusted = (
            persons,
            basis,
            _subtree_weight(code, weights),
            code in adjusted,
        )
        obj.set_by = by if getattr(by, "pk", None) else None
        (update if obj.pk else create).append(obj)
    model.objects.bulk_create(create)
    model.objects.bulk_update(update, ["persons", "basis", "weight", "adjusted", "set_by", "set_at"])


def _cascade(
    model: AllocationModel,
    code: str,
    persons: int,
    year: int,
    weights: dict[str, Decimal],
    *,
    basis: str,
    by: User,
) -> None:
    """Allocate `persons` of region `code` down to every level below it."""
    children = _children(code)
    if not children:
        return
    shares = allocation.largest_remainder(persons, {c: _subtree_weight(c, weights) for c in children})
    _write_allocations(model, year, shares, weights, basis=basis, by=by)
    for child, share in shares.items():
        if len(child) < CODE_LENGTHS[RegionLevel.VILLAGE]:
            _cascade(model, child, share, year, weights, basis=basis, by=by)


ALLOCATION_MODELS: dict[str, AllocationModel] = {"quota": Quota, "plan": ReductionPlan}
ALLOCATION_NAMES = {"quota": gettext_lazy("贫困人口规模"), "plan": gettext_lazy("年度减贫计划")}


@transaction.atomic
def set_county_allocation(
    *,
    by: User,
    county_code: str,
    year: int,
    persons: int,
    basis: str,
    which: str = "quota",
    expected_version: int | None = None,
    seen: dict | None = None,
) -> Allocation:
    """The county sets its quota (规模控制) or reduction plan for the year and allocates it to
    townships and villages by the largest-remainder method on the chosen basis.

    `expected_version`: the version of the county's row the edit was based on (0: none yet), `seen` the values
    the form showed; a row at another version is not overwritten (versions.VersionConflict)."""
    model = ALLOCATION_MODELS[which]
    county = Region.objects.filter(code=county_code, level=RegionLevel.COUNTY).first()
    if county is None:
        raise ProcedureError(gettext("规模由县扶贫办下达，请选择一个县"))
    ensure_level(by, county.code, "county")
    if basis not in AllocationBasis.values:
        raise ProcedureError(gettext("未知的分解依据"))
    if persons is None or persons < 0:
        raise ProcedureError(gettext("人数不能为负"))
    current = model.objects.select_for_update().filter(region=county, year=year).first()
    if current is not None:
        versions.check(current, expected_version, edit={"persons": persons, "basis": basis}, base=seen)
    weights = village_weights(county.code, year, basis)
    if not weights:
        raise ProcedureError(gettext("%(name)s下没有行政村，无法分解") % {"name": county.name})
    _write_allocations(model, year, {county.code: persons}, weights, basis=basis, by=by)
    _cascade(model, county.code, persons, year, weights, basis=basis, by=by)
    obj = model.objects.get(region=county, year=year)
    record(
        by=by,
        action=f"set_{which}",
        target=obj,
        scope_code=county.code,
        changes={"persons": [None, persons], "basis": [None, basis]},
    )
    return obj


@transaction.atomic
def adjust_allocation(
    *,
    by: User,
    parent_code: str,
    year: int,
    values: dict[str, int],
    which: str = "quota",
    expected_version: int | None = None,
    seen: dict | None = None,
) -> None:
    """Manually adjust the shares of a region's children; the total must stay equal to the
    parent's, and each changed child's own subtree is re-allocated to match.

    `expected_version` and `seen`: the parent's version and the children's values the form showed; when
    another user changed either meanwhile, nothing is saved (versions.VersionConflict, listing each
    change)."""
    model = ALLOCATION_MODELS[which]
    parent = model.objects.select_for_update().filter(region_id=parent_code, year=year).first()
    if parent is None:
        raise ProcedureError(
            gettext("上级尚未下达%(year)s年%(which)s") % {"year": year, "which": ALLOCATION_NAMES[which]}
        )
    if expected_version is not None:
        _check_children(model, parent, year, values, expected_version, seen)
    level = "county" if len(parent_code) == CODE_LENGTHS[RegionLevel.COUNTY] else "township"
    if len(parent_code) not in (CODE_LENGTHS[RegionLevel.COUNTY], CODE_LENGTHS[RegionLevel.TOWNSHIP]):
        raise ProcedureError(gettext("只能调整县对乡镇、乡镇对村的分解"))
    ensure_level(by, parent_code, level)
    children = set(_children(parent_code))
    if set(values) != children:
        raise ProcedureError(gettext("请为每个下级区划填写人数"))
    if any(v is None or v < 0 for v in values.values()):
        raise ProcedureError(gettext("人数不能为负"))
    total = sum(values.values())
    if total != parent.persons:
        raise ProcedureError(
            gettext("调整后合计 %(total)s 人，与上级下达的 %(persons)s 人不等（差 %(total2)s 人）")
            % {"total": total, "persons": parent.persons, "total2": format(parent.persons - total, "+d")}
        )
    before = dict(
        model.objects.filter(region_id__in=list(children), year=year).values_list("region_id", "persons")
    )
    weights = village_weights(parent_code[:6], year, parent.basis)
    changed = [c for c in values if before.get(c) != values[c]]
    _write_allocations(model, year, values, weights, basis=parent.basis, by=by, adjusted=changed)
    for child in changed:
        if len(child) < CODE_LENGTHS[RegionLevel.VILLAGE]:
            _cascade(model, child, values[child], year, weights, basis=parent.basis, by=by)
    record(
        by=by,
        action=f"adjust_{which}",
        target=parent,
        scope_code=parent_code,
        changes={c: [before.get(c), values[c]] for c in changed},
    )


def _check_children(
    model: AllocationModel,
    parent: Allocation,
    year: int,
    values: dict[str, int],
    expected: int,
    seen: dict | None,
) -> None:
    """Refuse an adjustment based on other figures than those now in force: the parent's total (its version)
    or any child's share changed since the form was shown. The conflict lists each, the other user's and this
    one's."""
    seen = {str(k): v for k, v in (seen or {}).items()}
    now = dict(
        model.objects.filter(region__parent_id=parent.region_id, year=year).values_list(
            "region_id", "persons"
        )
    )
    moved = [code for code in sorted(set(now) | set(seen)) if now.get(code) != seen.get(code)]
    if expected == parent.version and not moved:
        return
    names = dict(Region.objects.filter(code__in=moved).values_list("code", "name"))
    changes = []
    if expected != parent.version:
        label = gettext("上级下达人数")
        changes.append(versions.Change("persons", label, str(parent.persons), "", "theirs"))
    for code in moved:
        mine = values.get(code)
        changes.append(
            versions.Change(
                f"child_{code}",
                names.get(code, code),
                str(now.get(code, versions.EMPTY)),
                str(mine if mine is not None else versions.EMPTY),
                "mine" if mine != seen.get(code) else "theirs",
            )
        )
    conflict = versions.VersionConflict(parent, changes, [])
    conflict.current = {code: now.get(code) for code in now}
    raise conflict
