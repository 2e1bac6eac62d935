"""What users do to the registry: plain functions, each in a transaction with its audit entry."""
import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from pypinyin import Style, lazy_pinyin

from fupin.accounts.scope import ensure_can_edit
from fupin.audit.services import diff, record, snapshot
from fupin.regions.models import Region, RegionLevel

from . import codes, validation
from .models import CENT, GUARANTEES, GuaranteeCheck, Household, IncomeRecord, Member, per_capita_net_income


class RegistryError(ValueError):
    """A refused change; `errors` maps field names to Chinese messages."""

    def __init__(self, errors: dict | str):
        self.errors = errors if isinstance(errors, dict) else {"__all__": errors}
        super().__init__("；".join(f"{v}" for v in self.errors.values()))


def initials(name: str) -> str:
    """Pinyin initials of a Chinese name, upper case: 张三丰 → ZSF."""
    return "".join(p[:1] for p in lazy_pinyin(name or "", style=Style.FIRST_LETTER, errors="ignore")).upper()[:20]


def _village(code: str) -> Region:
    try:
        village = Region.objects.get(code=code)
    except Region.DoesNotExist:
        raise RegistryError({"village": f"行政村代码不存在：{code}"}) from None
    if village.level != RegionLevel.VILLAGE:
        raise RegistryError({"village": f"{village.name}不是行政村"})
    return village


def next_household_number(village_code: str) -> str:
    """户编号: the village's 12-digit code and a 4-digit sequence."""
    last = (
        Household.objects.filter(number__startswith=village_code).order_by("-number").values_list("number", flat=True).first()
    )
    seq = int(last[len(village_code):]) + 1 if last and last[len(village_code):].isdigit() else 1
    return f"{village_code}{seq:04d}"


HOUSEHOLD_EDITABLE = {
    f.name for f in Household._meta.concrete_fields
} - {"id", "number", "village", "head_name", "head_initials", "size", "latest_income", "created_at", "updated_at", "flags"}
MEMBER_EDITABLE = {f.name for f in Member._meta.concrete_fields} - {"id", "household", "village_code", "name_initials"}


def _check_household_fields(values: dict) -> None:
    errors = validation.check_household(
        status=values.get("status", ""),
        household_type=values.get("household_type", ""),
        primary_cause=values.get("primary_cause", ""),
        registration_year=values.get("registration_year"),
        exit_year=values.get("exit_year"),
    )
    bad_causes = [c for c in values.get("other_causes") or [] if c not in codes.PovertyCause.values]
    if bad_causes:
        errors["other_causes"] = f"未知的致贫原因：{'、'.join(bad_causes)}"
    if errors:
        raise RegistryError(errors)


@transaction.atomic
def create_household(*, by, village_code: str, group_code: str | None = None, **fields) -> Household:
    village = _village(village_code)
    ensure_can_edit(by, village.code)
    unknown = set(fields) - HOUSEHOLD_EDITABLE
    if unknown:
        raise RegistryError(f"未知字段：{', '.join(sorted(unknown))}")
    fields.setdefault("status", codes.HouseholdStatus.POOR)
    _check_household_fields(fields)
    group = None
    if group_code:
        group = Region.objects.filter(code=group_code, parent_id=village.code).first()
        if group is None:
            raise RegistryError({"group": f"{village.name}下没有代码为 {group_code} 的村民小组"})
    household = Household.objects.create(number=next_household_number(village.code), village=village, group=group, **fields)
    record(by=by, action="create", target=household, household=household, scope_code=village.code,
           changes={k: [None, v] for k, v in snapshot(household).items() if v not in (None, "", [], False)})
    return household


@transaction.atomic
def update_household(household: Household, *, by, **changes) -> Household:
    ensure_can_edit(by, household.village_id)
    unknown = set(changes) - HOUSEHOLD_EDITABLE
    if unknown:
        raise RegistryError(f"未知字段：{', '.join(sorted(unknown))}")
    household = Household.objects.select_for_update().get(pk=household.pk)
    before = snapshot(household)
    for k, v in changes.items():
        setattr(household, k, v)
    _check_household_fields(snapshot(household) | {"other_causes": household.other_causes})
    household.save()
    changed = diff(before, snapshot(household))
    changed.pop("updated_at", None)
    if changed:
        record(by=by, action="update", target=household, household=household, scope_code=household.village_id, changes=changed)
    return household


def _refresh_household_summary(household: Household) -> None:
    """Keep the head's name, initials and the size on the household row."""
    members = list(household.members.values_list("relation", "name", "name_initials"))
    head = next((m for m in members if m[0] == codes.Relation.HEAD), None)
    Household.objects.filter(pk=household.pk).update(
        head_name=head[1] if head else "", head_initials=head[2] if head else "", size=len(members)
    )
    household.refresh_from_db(fields=["head_name", "head_initials", "size"])


def _check_member_fields(values: dict, *, household: Household, member_id: int | None, by=None) -> None:
    errors, parsed = validation.check_identity(
        id_number=values.get("id_number", ""), sex=values.get("sex"), birth_date=values.get("birth_date")
    )
    if parsed:
        values["id_number"] = parsed.number
        values.setdefault("sex", parsed.sex)
        values["sex"] = values["sex"] or parsed.sex
        values["birth_date"] = values.get("birth_date") or parsed.birth_date
    errors |= validation.check_member(
        relation=values.get("relation", ""), birth_date=values.get("birth_date"), schooling=values.get("schooling"),
        work_months=values.get("work_months"), disability_category=values.get("disability_category", ""),
        disability_level=values.get("disability_level", ""),
    )
    if not (values.get("name") or "").strip():
        errors["name"] = "姓名不能为空"
    if values.get("relation") not in codes.Relation.values:
        errors["relation"] = "请选择与户主关系"
    if parsed and "id_number" not in errors:
        other = Member.objects.filter(id_number=parsed.number).exclude(pk=member_id).select_related("household").first()
        if other:
            # Name the other household only to someone who may see it: a number outside
            # the user's scope would tell them that a person lives there.
            where = f"户 {other.household.number}" if by is not None and by.in_scope(other.village_code) else "其他户"
            errors["id_number"] = f"此身份证号已登记在{where}（一人只能在一户）"
    relations = list(household.members.exclude(pk=member_id).values_list("relation", flat=True))
    if values.get("relation") == codes.Relation.HEAD and codes.Relation.HEAD in relations:
        errors["relation"] = "该户已有户主，每户只能有一名户主"
    if errors:
        raise RegistryError(errors)


@transaction.atomic
def add_member(household: Household, *, by, **fields) -> Member:
    ensure_can_edit(by, household.village_id)
    unknown = set(fields) - MEMBER_EDITABLE
    if unknown:
        raise RegistryError(f"未知字段：{', '.join(sorted(unknown))}")
    _check_member_fields(fields, household=household, member_id=None, by=by)
    member = Member.objects.create(
        household=household, village_code=household.village_id, name_initials=initials(fields["name"]), **fields
    )
    _refresh_household_summary(household)
    record(by=by, action="add_member", target=member, household=household, scope_code=household.village_id,
           changes={k: [None, v] for k, v in snapshot(member, MEMBER_EDITABLE).items() if v not in (None, "", False)})
    return member


@transaction.atomic
def update_member(member: Member, *, by, **changes) -> Member:
    ensure_can_edit(by, member.village_code)
    unknown = set(changes) - MEMBER_EDITABLE
    if unknown:
        raise RegistryError(f"未知字段：{', '.join(sorted(unknown))}")
    member = Member.objects.select_for_update().select_related("household").get(pk=member.pk)
    before = snapshot(member, MEMBER_EDITABLE)
    values = {name: getattr(member, name) for name in MEMBER_EDITABLE} | changes
    _check_member_fields(values, household=member.household, member_id=member.pk, by=by)
    for k in MEMBER_EDITABLE:
        if k in values:
            setattr(member, k, values[k])
    member.name_initials = initials(member.name)
    member.save()
    _refresh_household_summary(member.household)
    changed = diff(before, snapshot(member, MEMBER_EDITABLE))
    if changed:
        record(by=by, action="update_member", target=member, household=member.household,
               scope_code=member.village_code, changes=changed)
    return member


@transaction.atomic
def remove_member(member: Member, *, by, reason: str) -> None:
    """Take a member off the household (death, marriage out, moving away), with the reason."""
    ensure_can_edit(by, member.village_code)
    if not (reason or "").strip():
        raise RegistryError({"reason": "请填写减员原因"})
    household = member.household
    if member.relation == codes.Relation.HEAD and household.members.count() > 1:
        raise RegistryError({"relation": "请先指定新的户主，再移除原户主"})
    before = snapshot(member, MEMBER_EDITABLE)
    record(by=by, action="remove_member", target=member, household=household, scope_code=member.village_code,
           changes={k: [v, None] for k, v in before.items() if v not in (None, "", False)} | {"reason": [None, reason]})
    member.delete()
    _refresh_household_summary(household)


@transaction.atomic
def record_income(household: Household, *, by, year: int, household_size: int | None = None, **components) -> IncomeRecord:
    """Enter or correct a year's incomes; the per-capita net income is derived, never typed."""
    ensure_can_edit(by, household.village_id)
    allowed = set(IncomeRecord.INCOME_FIELDS) | {"productive_expenditure"}
    unknown = set(components) - allowed
    if unknown:
        raise RegistryError(f"未知字段：{', '.join(sorted(unknown))}")
    this_year = timezone.localdate().year
    if not 2000 <= year <= this_year:
        raise RegistryError({"year": f"年度应在2000到{this_year}之间"})
    size = household_size or household.size or household.members.count()
    if size < 1:
        raise RegistryError({"household_size": "家庭人口数须至少为1"})
    errors = {}
    values = {}
    for f in allowed:
        v = components.get(f, Decimal("0"))
        if isinstance(v, float):
            raise TypeError("money must not be float")
        try:
            v = Decimal(str(v)) if v is not None and v != "" else Decimal("0")
        except Exception:
            errors[f] = "请输入金额（元）"
            continue
        if v < 0:
            errors[f] = "金额不能为负数"
        elif v != v.quantize(CENT):
            errors[f] = "金额最多保留两位小数"
        values[f] = v.quantize(CENT)
    if errors:
        raise RegistryError(errors)
    pcni = per_capita_net_income(
        incomes=[values[f] for f in IncomeRecord.INCOME_FIELDS],
        productive_expenditure=values["productive_expenditure"], household_size=size,
    )
    existing = IncomeRecord.objects.filter(household=household, year=year).first()
    before = snapshot(existing) if existing else {}
    income, _ = IncomeRecord.objects.update_or_create(
        household=household, year=year, defaults=values | {"household_size": size, "per_capita_net_income": pcni}
    )
    latest = household.incomes.order_by("-year").values_list("per_capita_net_income", flat=True).first()
    Household.objects.filter(pk=household.pk).update(latest_income=latest)
    household.latest_income = latest
    changed = diff(before, snapshot(income))
    changed.pop("recorded_at", None)
    changed.pop("id", None)
    record(by=by, action="record_income", target=income, household=household, scope_code=household.village_id, changes=changed)
    return income


@transaction.atomic
def record_guarantees(household: Household, *, by, year: int, checked_on: datetime.date, items: dict[str, bool],
                      notes: dict[str, str] | None = None) -> GuaranteeCheck:
    ensure_can_edit(by, household.village_id)
    this_year = timezone.localdate().year
    if not 2000 <= year <= this_year:
        raise RegistryError({"year": f"年度应在2000到{this_year}之间"})
    unknown = set(items) - set(GUARANTEES)
    if unknown:
        raise RegistryError(f"未知的保障项：{', '.join(sorted(unknown))}")
    notes = {k: v.strip() for k, v in (notes or {}).items() if k in GUARANTEES and v and v.strip()}
    missing_notes = [g for g in GUARANTEES if items.get(g) is False and not notes.get(g)]
    if missing_notes:
        raise RegistryError({g: "未达标的项目须说明情况" for g in missing_notes})
    if checked_on > timezone.localdate():
        raise RegistryError({"checked_on": "核查日期不能晚于今天"})
    existing = GuaranteeCheck.objects.filter(household=household, year=year).first()
    before = snapshot(existing) if existing else {}
    check, _ = GuaranteeCheck.objects.update_or_create(
        household=household, year=year,
        defaults={g: bool(items.get(g, True)) for g in GUARANTEES} | {"checked_on": checked_on, "notes": notes},
    )
    changed = diff(before, snapshot(check))
    changed.pop("id", None)
    record(by=by, action="record_guarantees", target=check, household=household, scope_code=household.village_id, changes=changed)
    return check
