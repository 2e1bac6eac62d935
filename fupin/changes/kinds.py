"""What each kind of change request checks, remembers and writes.

`prepare(kind, household, payload, by=)` checks a proposal against the registry as it is now and
returns a `Plan`: the cleaned payload (plain JSON), the targets it touches and `before`, the state
it was made against. Approval prepares again and compares `before`, so a request made against a
household that has changed since is refused. `apply(request, by=)` writes the registry rows,
keeping the household's derived values (head, size, latest income) with the registry's own
functions, and audits every row it writes naming the request.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import models
from django.db.models import ProtectedError
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from fupin.audit.services import diff, record, snapshot
from fupin.core import money
from fupin.core.errors import TOO_LONG
from fupin.registry import codes, validation
from fupin.registry.models import (
    GUARANTEES,
    GuaranteeCheck,
    Household,
    IncomeRecord,
    Member,
    per_capita_net_income,
)
from fupin.registry.services import (
    MEMBER_EDITABLE,
    RegistryError,
    apply_key_facts,
    check_member_fields,
    initials,
    next_household_number,
    refresh_household_summary,
)

from .models import ChangeKind, JoinCause, LeaveCause

INCOME_COMPONENTS = (*IncomeRecord.INCOME_FIELDS, "productive_expenditure")
MAX_ID = 2**63 - 1


class ChangeError(RegistryError):
    """A refused change request; `errors` maps field names to Chinese messages."""


class ChangeConflict(ChangeError):
    """Another open request touches the same household, member or ID number."""


@dataclass
class Plan:
    payload: dict
    before: dict
    households: list[Household]
    members: list[int] = field(default_factory=list)
    id_numbers: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- reading the registry as it is


def household_state(household: Household) -> dict:
    """The facts of a household a request may be made against: status, type, years, members and their
    relations."""
    return {
        "number": household.number,
        "status": household.status,
        "household_type": household.household_type,
        "registration_year": household.registration_year,
        "exit_year": household.exit_year,
        "members": [
            {"id": pk, "name": name, "relation": relation}
            for pk, name, relation in Member.objects.filter(household=household)
            .order_by("pk")
            .values_list("pk", "name", "relation")
        ],
    }


def _pk(value, *, key: str, message: str) -> int:
    if isinstance(value, bool):
        raise ChangeError({key: message})
    try:
        pk = int(value)
    except (TypeError, ValueError, OverflowError):
        raise ChangeError({key: message}) from None
    if not 1 <= pk <= MAX_ID:
        raise ChangeError({key: message})
    return pk


def _member_in(household: Household, member_id, *, key: str) -> Member:
    member_id = _pk(member_id, key=key, message="请选择家庭成员")
    member = Member.objects.filter(pk=member_id, household=household).first()
    if member is None:
        raise ChangeError({key: gettext("所选成员不在户 %(number)s 中") % {"number": household.number}})
    return member


def _relation(value, *, key: str, allow_head: bool = False) -> str:
    if (
        not isinstance(value, str)
        or value not in codes.Relation.values
        or (value == codes.Relation.HEAD and not allow_head)
    ):
        raise ChangeError(
            {
                key: gettext("请选择与户主关系")
                if value != codes.Relation.HEAD
                else gettext("此处不能选择“户主”")
            }
        )
    return value


def _other_household(household: Household, pk, *, key: str, by) -> Household:
    pk = _pk(pk, key=key, message="请选择另一户")
    other = Household.objects.filter(pk=pk).first()
    if other is None or other.pk == household.pk or not by.in_scope(other.village_id):
        raise ChangeError({key: gettext("所选户不存在、不在您的管辖范围内，或就是本户")})
    if other.status == codes.HouseholdStatus.REMOVED:
        raise ChangeError({key: gettext("户 %(number)s 已清退") % {"number": other.number}})
    return other


# A new member's values checked as the model holds them: the refusals the field app's phone also gives
ID_NUMBER_MAX_LENGTH = 64  # longer is no ID number at all (the column holds the sealed value)
ID_NUMBER_TOO_LONG = "身份证号过长"


def _typed_member_fields(fields: dict) -> dict:
    """The new member's values checked for type and length as the model holds them (the API passes JSON
    through)."""
    errors = {}
    for name, value in fields.items():
        field = Member._meta.get_field(name)
        if name == "sex" and value in (None, ""):
            continue  # read from the ID number
        if name == "birth_date":
            if value not in (None, "") and not isinstance(value, (str, datetime.date)):
                errors[name] = gettext("出生日期格式应为 YYYY-MM-DD")
        elif isinstance(field, models.BooleanField):
            if not isinstance(value, bool):
                errors[name] = gettext("须为 true 或 false")
        elif isinstance(field, models.PositiveSmallIntegerField):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 32767:
                errors[name] = gettext("须为整数")
        elif not isinstance(value, str):
            errors[name] = gettext("须为字符串")
        elif (
            field.choices
            and value not in [v for v, _label in field.flatchoices]
            and not (field.blank and value == "")
        ):
            errors[name] = gettext("%(verbose_name)s取值无效") % {"verbose_name": field.verbose_name}
        elif name != "id_number" and len(value) > field.max_length:
            errors[name] = TOO_LONG.format(max_length=field.max_length)
        elif name == "id_number" and len(value) > ID_NUMBER_MAX_LENGTH:
            errors[name] = ID_NUMBER_TOO_LONG
    if errors:
        raise ChangeError(errors)
    return fields


def _plain_member(values: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, datetime.date) else v for k, v in values.items()}


# ---------------------------------------------------------------- preparing, one function per kind


def _prepare_member_join(household, payload, by) -> Plan:
    if payload.get("cause") not in JoinCause.values:
        raise ChangeError({"cause": gettext("请选择增员原因（出生、婚入、迁入）")})
    fields = payload.get("member") or {}
    if not isinstance(fields, dict):
        raise ChangeError({"member": gettext("新成员的信息须为 JSON 对象")})
    unknown = set(fields) - MEMBER_EDITABLE
    if unknown:
        raise ChangeError(
            gettext("未知字段：%(unknown)s") % {"unknown": ", ".join(sorted(str(k) for k in unknown))}
        )
    fields = _typed_member_fields(dict(fields))
    if isinstance(fields.get("birth_date"), str) and fields["birth_date"]:
        try:
            fields["birth_date"] = datetime.date.fromisoformat(fields["birth_date"])
        except ValueError:
            raise ChangeError({"birth_date": gettext("出生日期格式应为 YYYY-MM-DD")}) from None
    fields.setdefault("id_number", "")
    check_member_fields(
        fields, household=household, member_id=None, by=by
    )  # the registry's own rules, same messages
    member = _plain_member(fields)
    return Plan(
        {"cause": payload["cause"], "member": member},
        {"household": household_state(household)},
        [household],
        id_numbers=[fields["id_number"]],
    )


def leave_messages() -> dict[str, str]:
    """A head leaving a household of several: the refusals, in the current language (the field app's phone
    gives them offline, knowing the household's members)."""
    return {"new_head": gettext("减员的是户主：请指定新户主"), "same_head": gettext("新户主不能是减员的成员")}


def _prepare_member_leave(household, payload, by) -> Plan:
    if payload.get("cause") not in LeaveCause.values:
        raise ChangeError({"cause": gettext("请选择减员原因（死亡、婚出、迁出）")})
    member = _member_in(household, payload.get("member_id"), key="member_id")
    out = {"cause": payload["cause"], "member_id": member.pk, "new_head_id": None}
    others = household.members.exclude(pk=member.pk)
    if member.relation == codes.Relation.HEAD and others.exists():
        if not payload.get("new_head_id"):
            raise ChangeError({"new_head_id": leave_messages()["new_head"]})
        new_head = _member_in(household, payload["new_head_id"], key="new_head_id")
        if new_head.pk == member.pk:
            raise ChangeError({"new_head_id": leave_messages()["same_head"]})
        out["new_head_id"] = new_head.pk
    return Plan(out, {"household": household_state(household)}, [household], members=[member.pk])


def _prepare_change_head(household, payload, by) -> Plan:
    new_head = _member_in(household, payload.get("new_head_id"), key="new_head_id")
    if new_head.relation == codes.Relation.HEAD:
        raise ChangeError({"new_head_id": gettext("%(name)s已是户主") % {"name": new_head.name}})
    old_head = household.members.filter(relation=codes.Relation.HEAD).first()
    relation = None
    if old_head is not None:
        relation = _relation(payload.get("former_head_relation"), key="former_head_relation")
    members = [new_head.pk] + ([old_head.pk] if old_head else [])
    return Plan(
        {"new_head_id": new_head.pk, "former_head_relation": relation},
        {"household": household_state(household)},
        [household],
        members=members,
    )


def _prepare_move_member(household, payload, by) -> Plan:
    member = _member_in(household, payload.get("member_id"), key="member_id")
    target = _other_household(household, payload.get("target_household_id"), key="target_household_id", by=by)
    target_has_head = target.members.filter(relation=codes.Relation.HEAD).exists()
    relation = _relation(payload.get("relation"), key="relation", allow_head=not target_has_head)
    if member.relation == codes.Relation.HEAD and household.members.count() > 1:
        raise ChangeError({"member_id": gettext("所选成员是本户户主：请先变更户主，再转出")})
    return Plan(
        {"member_id": member.pk, "target_household_id": target.pk, "relation": relation},
        {"household": household_state(household), "target": household_state(target)},
        [household, target],
        members=[member.pk],
    )


def _prepare_split_household(household, payload, by) -> Plan:
    relations = payload.get("relations") or {}
    if not isinstance(relations, dict) or not relations:
        raise ChangeError({"relations": gettext("请选择分出的成员及其与新户主的关系")})
    members = {str(m.pk): m for m in household.members.all()}
    moved = {}
    for key, relation in relations.items():
        member = members.get(str(key))
        if member is None:
            raise ChangeError(
                {"relations": gettext("所选成员不在户 %(number)s 中") % {"number": household.number}}
            )
        moved[member.pk] = _relation(relation, key="relations", allow_head=True)
    heads = [pk for pk, r in moved.items() if r == codes.Relation.HEAD]
    if len(heads) != 1:
        raise ChangeError({"relations": gettext("分出的成员中须有且只有一名新户主")})
    if len(moved) == len(members):
        raise ChangeError({"relations": gettext("原户须至少留下一名成员")})
    if any(members[str(pk)].relation == codes.Relation.HEAD for pk in moved):
        raise ChangeError({"relations": gettext("原户主须留在原户：如需原户主分出，请先变更户主")})
    return Plan(
        {"relations": {str(pk): r for pk, r in sorted(moved.items())}},
        {"household": household_state(household)},
        [household],
        members=sorted(moved),
    )


def _prepare_merge_households(household, payload, by) -> Plan:
    other = _other_household(household, payload.get("other_household_id"), key="other_household_id", by=by)
    if not household.members.filter(relation=codes.Relation.HEAD).exists():
        raise ChangeError({"other_household_id": gettext("本户尚无户主，不能并入他户")})
    relation = _relation(payload.get("absorbed_head_relation"), key="absorbed_head_relation")
    return Plan(
        {"other_household_id": other.pk, "absorbed_head_relation": relation},
        {"household": household_state(household), "other": household_state(other)},
        [household, other],
        members=list(other.members.values_list("pk", flat=True)),
    )


def _check_facts(household, **changes) -> None:
    values = {
        k: getattr(household, k)
        for k in ("status", "household_type", "primary_cause", "registration_year", "exit_year")
    }
    errors = validation.check_household(**(values | changes))
    if errors:
        raise ChangeError(errors)


YEARS = (2000, 2100)  # the years a correction may name
YEAR_RANGE = gettext_noop("年度应在2000到2100之间")


def _year_or_none(value, key):
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise ChangeError({key: gettext("年度须为整数")})
    try:
        year = int(value)
    except (TypeError, ValueError, OverflowError):
        raise ChangeError({key: gettext("年度须为整数")}) from None
    if not 0 <= year <= 9999:
        raise ChangeError({key: gettext(YEAR_RANGE)})
    return year


def _prepare_type_change(household, payload, by) -> Plan:
    new = payload.get("household_type")
    if new not in codes.HouseholdType.values:
        raise ChangeError({"household_type": gettext("请选择贫困户属性")})
    if new == household.household_type:
        raise ChangeError({"household_type": gettext("与现在的属性相同")})
    _check_facts(household, household_type=new)
    return Plan({"household_type": new}, {"household": household_state(household)}, [household])


def _prepare_status_correction(household, payload, by) -> Plan:
    status = payload.get("status")
    if status not in codes.HouseholdStatus.values:
        raise ChangeError({"status": gettext("请选择更正后的户状态")})
    changes = {
        "status": status,
        "registration_year": _year_or_none(payload.get("registration_year"), "registration_year"),
        "exit_year": _year_or_none(payload.get("exit_year"), "exit_year"),
    }
    if all(getattr(household, k) == v for k, v in changes.items()):
        raise ChangeError({"status": gettext("与现在的户状态和年度相同")})
    _check_facts(household, **changes)
    return Plan(changes, {"household": household_state(household)}, [household])


def _money(value, key):
    if isinstance(value, float):  # only from a Python caller: a JSON body's numbers arrive as Decimal
        value = repr(value)
    try:
        return money.parse_yuan(value, below=money.CHANGE_INCOME_BELOW, blank=Decimal("0.00"))
    except money.MoneyError as e:
        raise ChangeError({key: str(e)}) from None


def income_values(record: IncomeRecord) -> dict:
    return {f: f"{getattr(record, f):.2f}" for f in INCOME_COMPONENTS} | {
        "household_size": record.household_size,
        "per_capita_net_income": f"{record.per_capita_net_income:.2f}",
    }


HOUSEHOLD_SIZE_LIMITS = (1, 99)


def income_messages() -> dict[str, str]:
    """An income correction's refusals that need no registry, in the current language (the field app's phone
    gives them offline; the amounts' are money.parse_yuan's)."""
    return {
        "no_year": gettext("该户这一年尚无收入记录：请选择已录入的年度"),
        "size": gettext("家庭人口数应在1到99之间"),
        "year_range": gettext(YEAR_RANGE),
    }


def _prepare_income_correction(household, payload, by) -> Plan:
    year = _year_or_none(payload.get("year"), "year")
    income = (
        IncomeRecord.objects.filter(household=household, year=year).first()
        if year and YEARS[0] <= year <= YEARS[1]
        else None
    )
    words = income_messages()
    if income is None:
        raise ChangeError({"year": words["no_year"]})
    values = {f: _money(payload.get(f), f) for f in INCOME_COMPONENTS}
    size = payload.get("household_size") or income.household_size
    try:
        size = int(size)
    except (TypeError, ValueError, OverflowError):
        raise ChangeError({"household_size": gettext("家庭人口数须为整数")}) from None
    if not HOUSEHOLD_SIZE_LIMITS[0] <= size <= HOUSEHOLD_SIZE_LIMITS[1]:
        raise ChangeError({"household_size": words["size"]})
    per_capita = per_capita_net_income(
        incomes=[values[f] for f in IncomeRecord.INCOME_FIELDS],
        productive_expenditure=values["productive_expenditure"],
        household_size=size,
    )
    after = {f: f"{v:.2f}" for f, v in values.items()} | {
        "household_size": size,
        "per_capita_net_income": f"{per_capita:.2f}",
    }
    if after == income_values(income):
        raise ChangeError({"year": gettext("与已录入的收入相同")})
    return Plan(
        {"year": year} | after,
        {"household": household_state(household), "income": income_values(income)},
        [household],
    )


def _prepare_member_identity(household, payload, by) -> Plan:
    """更正成员身份信息: a member's ID number and name as the documents give them. The new number is checked
    by the registry's own rules (GB 11643, one person in one household, the age-bound fields), and sex and
    birth date are read from it."""
    member = _member_in(household, payload.get("member_id"), key="member_id")
    id_number, name = payload.get("id_number"), payload.get("name")
    if not isinstance(id_number, str) or not id_number.strip():
        raise ChangeError({"id_number": gettext("请填写更正后的身份证号")})
    if not isinstance(name, str) or not name.strip():
        raise ChangeError({"name": gettext("请填写更正后的姓名")})
    name = name.strip()
    if len(name) > Member._meta.get_field("name").max_length:
        raise ChangeError(
            {
                "name": gettext("最多%(max_length)s个字符")
                % {"max_length": Member._meta.get_field("name").max_length}
            }
        )
    if len(id_number) > 64:
        raise ChangeError({"id_number": gettext("身份证号过长")})
    values = {field: getattr(member, field) for field in MEMBER_EDITABLE}
    values |= {"id_number": id_number.strip(), "name": name, "sex": "", "birth_date": None}
    check_member_fields(values, household=household, member_id=member.pk, by=by)  # normalises the number
    if values["id_number"] == member.id_number and name == member.name:
        raise ChangeError({"id_number": gettext("与登记的身份证号和姓名相同")})
    identity = {"id": member.pk, "name": member.name, "id_number": member.id_number}
    new_ids = [values["id_number"]] if values["id_number"] != member.id_number else []
    return Plan(
        {"member_id": member.pk, "id_number": values["id_number"], "name": name},
        {"household": household_state(household), "member": identity},
        [household],
        members=[member.pk],
        id_numbers=new_ids,
    )


def guarantee_values(check: GuaranteeCheck) -> dict:
    return {
        "items": {g: getattr(check, g) for g in GUARANTEES},
        "checked_on": check.checked_on.isoformat(),
        "notes": dict(check.notes or {}),
    }


def _prepare_guarantee_correction(household, payload, by) -> Plan:
    """更正两不愁三保障: a year's checklist corrected (e.g. one an exit procedure used), checked as
    record_guarantees checks it: an unmet item needs a note, the check date is not in the future."""
    year = _year_or_none(payload.get("year"), "year")
    check = (
        GuaranteeCheck.objects.filter(household=household, year=year).first()
        if year and 2000 <= year <= 2100
        else None
    )
    if check is None:
        raise ChangeError({"year": gettext("该户这一年尚无两不愁三保障核查：请选择已核查的年度")})
    items = payload.get("items")
    if (
        not isinstance(items, dict)
        or set(items) - set(GUARANTEES)
        or not all(isinstance(items.get(g, True), bool) for g in GUARANTEES)
    ):
        raise ChangeError(
            {
                "items": gettext(
                    "保障项须为 food、clothing、education、medical、housing、water 的 true 或 false"
                )
            }
        )
    notes = payload.get("notes") or {}
    if not isinstance(notes, dict) or not all(isinstance(v, str) for v in notes.values()):
        raise ChangeError({"notes": gettext("说明须为 {保障项: 文字}")})
    notes = {
        g: notes[g].strip()[:300] for g in GUARANTEES if isinstance(notes.get(g), str) and notes[g].strip()
    }
    met = {g: items.get(g, True) for g in GUARANTEES}
    missing = [g for g in GUARANTEES if not met[g] and not notes.get(g)]
    if missing:
        raise ChangeError({g: gettext("未达标的项目须说明情况") for g in missing})
    checked_on = payload.get("checked_on") or check.checked_on.isoformat()
    try:
        checked_on = datetime.date.fromisoformat(checked_on) if isinstance(checked_on, str) else None
    except ValueError:
        checked_on = None
    if checked_on is None:
        raise ChangeError({"checked_on": gettext("核查日期格式应为 YYYY-MM-DD")})
    if checked_on > timezone.localdate():
        raise ChangeError({"checked_on": gettext("核查日期不能晚于今天")})
    after = {"items": met, "checked_on": checked_on.isoformat(), "notes": notes}
    if after == guarantee_values(check):
        raise ChangeError({"year": gettext("与已录入的核查相同")})
    return Plan(
        {"year": year} | after,
        {"household": household_state(household), "guarantees": guarantee_values(check)},
        [household],
    )


PREPARE = {
    ChangeKind.MEMBER_JOIN: _prepare_member_join,
    ChangeKind.MEMBER_LEAVE: _prepare_member_leave,
    ChangeKind.CHANGE_HEAD: _prepare_change_head,
    ChangeKind.MOVE_MEMBER: _prepare_move_member,
    ChangeKind.SPLIT_HOUSEHOLD: _prepare_split_household,
    ChangeKind.MERGE_HOUSEHOLDS: _prepare_merge_households,
    ChangeKind.TYPE_CHANGE: _prepare_type_change,
    ChangeKind.STATUS_CORRECTION: _prepare_status_correction,
    ChangeKind.INCOME_CORRECTION: _prepare_income_correction,
    ChangeKind.MEMBER_IDENTITY: _prepare_member_identity,
    ChangeKind.GUARANTEE_CORRECTION: _prepare_guarantee_correction,
}


def prepare(kind: str, household: Household, payload: dict, *, by) -> Plan:
    if kind not in PREPARE:
        raise ChangeError({"kind": gettext("请选择变更类型")})
    if not isinstance(payload, dict):
        raise ChangeError({"payload": gettext("变更内容须为 JSON 对象")})
    if household.status == codes.HouseholdStatus.REMOVED and kind != ChangeKind.STATUS_CORRECTION:
        raise ChangeError(
            {"household": gettext("户 %(number)s 已清退，只能更正户状态") % {"number": household.number}}
        )
    try:
        return PREPARE[kind](household, payload, by)
    except ChangeError:
        raise
    except RegistryError as e:  # the registry's own checks, e.g. the new member's ID number
        raise ChangeError(e.errors) from None


# ---------------------------------------------------------------- applying


def _label(choices, value) -> str:
    """A choice's label as the audit trail keeps it: in Chinese, whatever the page's language."""
    with translation.override("zh-hans"):
        return str(choices(value).label)


def _audit(by, action, target, household, changes, request):
    record(
        by=by,
        action=action,
        target=target,
        household=household,
        scope_code=household.village_id,
        changes=changes | {"change_request": [None, f"#{request.pk} {request.get_kind_display()}"]},
    )


def _set_relation(member: Member, relation: str, *, by, request, household: Household | None = None) -> None:
    before = snapshot(member, {"relation", "household"})
    member.relation = relation
    if household is not None:
        member.household = household
        member.village_code = household.village_id
    member.save(update_fields=["relation", "household", "village_code"])
    _audit(
        by,
        "update_member",
        member,
        member.household,
        diff(before, snapshot(member, {"relation", "household"})),
        request,
    )


def _apply_member_join(request, by):
    household = request.household
    fields = dict(request.payload["member"])
    if fields.get("birth_date"):
        fields["birth_date"] = datetime.date.fromisoformat(fields["birth_date"])
    member = Member.objects.create(
        household=household,
        village_code=household.village_id,
        name_initials=initials(fields["name"]),
        **fields,
    )
    cause = _label(JoinCause, request.payload["cause"])
    _audit(
        by,
        "add_member",
        member,
        household,
        {k: [None, v] for k, v in snapshot(member, MEMBER_EDITABLE).items() if v not in (None, "", False)}
        | {"join_cause": [None, cause]},
        request,
    )
    refresh_household_summary(household)


def _apply_member_leave(request, by):
    household = request.household
    member = Member.objects.get(pk=request.payload["member_id"])
    before = snapshot(member, MEMBER_EDITABLE)
    cause = _label(LeaveCause, request.payload["cause"])
    _audit(
        by,
        "remove_member",
        member,
        household,
        {k: [v, None] for k, v in before.items() if v not in (None, "", False)}
        | {"reason": [None, str(cause)]},
        request,
    )
    try:
        member.delete()
    except ProtectedError:
        raise ChangeError(
            {"member_id": gettext("%(name)s仍有关联记录，不能减员") % {"name": member.name}}
        ) from None
    # after the old head has left: the database holds one head per household at every statement
    if request.payload.get("new_head_id"):
        _set_relation(
            Member.objects.get(pk=request.payload["new_head_id"]), codes.Relation.HEAD, by=by, request=request
        )
    refresh_household_summary(household)


def _apply_change_head(request, by):
    household = request.household
    old_head = household.members.filter(relation=codes.Relation.HEAD).first()
    if old_head is not None:
        _set_relation(old_head, request.payload["former_head_relation"], by=by, request=request)
    _set_relation(
        Member.objects.get(pk=request.payload["new_head_id"]), codes.Relation.HEAD, by=by, request=request
    )
    refresh_household_summary(household)


def _apply_move_member(request, by):
    target = Household.objects.get(pk=request.payload["target_household_id"])
    member = Member.objects.get(pk=request.payload["member_id"])
    _set_relation(member, request.payload["relation"], by=by, request=request, household=target)
    refresh_household_summary(request.household)
    refresh_household_summary(target)


def _apply_split_household(request, by):
    origin = request.household
    copied = (
        "group",
        "status",
        "household_type",
        "identification_standard",
        "primary_cause",
        "registration_year",
        "exit_year",
        "address",
    )
    new = Household.objects.create(
        number=next_household_number(origin.village_id),
        village=origin.village,
        **{name: getattr(origin, name) for name in copied},
    )
    _audit(
        by,
        "create",
        new,
        new,
        {k: [None, v] for k, v in snapshot(new).items() if v not in (None, "", [], False)}
        | {"split_from": [None, origin.number]},
        request,
    )
    for pk, relation in request.payload["relations"].items():
        _set_relation(Member.objects.get(pk=int(pk)), relation, by=by, request=request, household=new)
    refresh_household_summary(origin)
    refresh_household_summary(new)
    request.created_household = new


def _apply_merge_households(request, by):
    household = request.household
    other = Household.objects.get(pk=request.payload["other_household_id"])
    for member in list(other.members.order_by("pk")):
        relation = (
            request.payload["absorbed_head_relation"]
            if member.relation == codes.Relation.HEAD
            else member.relation
        )
        _set_relation(member, relation, by=by, request=request, household=household)
    refresh_household_summary(household)
    refresh_household_summary(other)
    _set_key_facts(other, {"status": codes.HouseholdStatus.REMOVED}, by=by)


def _set_key_facts(household: Household, changes: dict, *, by) -> None:
    """Status, type and years through the registry's one door for them, audited as a change request's."""
    apply_key_facts(household, by=by, action="change_request", **changes)


def _apply_type_change(request, by):
    _set_key_facts(request.household, {"household_type": request.payload["household_type"]}, by=by)


def _apply_status_correction(request, by):
    _set_key_facts(request.household, dict(request.payload), by=by)


def _apply_income_correction(request, by):
    household = request.household
    payload = request.payload
    income = IncomeRecord.objects.get(household=household, year=payload["year"])
    before = snapshot(income)
    values = {f: Decimal(payload[f]) for f in INCOME_COMPONENTS}
    for name, value in values.items():
        setattr(income, name, value)
    income.household_size = payload["household_size"]
    income.per_capita_net_income = per_capita_net_income(
        incomes=[values[f] for f in IncomeRecord.INCOME_FIELDS],
        productive_expenditure=values["productive_expenditure"],
        household_size=income.household_size,
    )
    income.save()
    latest = household.incomes.order_by("-year").values_list("per_capita_net_income", flat=True).first()
    Household.objects.filter(pk=household.pk).update(latest_income=latest, updated_at=timezone.now())
    changed = diff(before, snapshot(income))
    changed.pop("recorded_at", None)
    _audit(by, "record_income", income, household, changed, request)


def _apply_member_identity(request, by):
    household = request.household
    member = Member.objects.get(pk=request.payload["member_id"])
    values = {field: getattr(member, field) for field in MEMBER_EDITABLE}
    values |= {
        "id_number": request.payload["id_number"],
        "name": request.payload["name"],
        "sex": "",
        "birth_date": None,
    }
    check_member_fields(
        values, household=household, member_id=member.pk, by=by
    )  # sex and birth date from the number
    before = snapshot(member, MEMBER_EDITABLE)
    for name in ("id_number", "name", "sex", "birth_date"):
        setattr(member, name, values[name])
    member.name_initials = initials(member.name)
    member.save(update_fields=["id_number", "name", "sex", "birth_date", "name_initials"])
    _audit(by, "update_member", member, household, diff(before, snapshot(member, MEMBER_EDITABLE)), request)
    refresh_household_summary(household)


def _apply_guarantee_correction(request, by):
    household = request.household
    payload = request.payload
    check = GuaranteeCheck.objects.get(household=household, year=payload["year"])
    before = snapshot(check)
    for g in GUARANTEES:
        setattr(check, g, payload["items"][g])
    check.checked_on = datetime.date.fromisoformat(payload["checked_on"])
    check.notes = payload["notes"]
    check.save()
    changed = diff(before, snapshot(check))
    changed.pop("id", None)
    _audit(by, "record_guarantees", check, household, changed, request)


APPLY = {
    ChangeKind.MEMBER_JOIN: _apply_member_join,
    ChangeKind.MEMBER_LEAVE: _apply_member_leave,
    ChangeKind.CHANGE_HEAD: _apply_change_head,
    ChangeKind.MOVE_MEMBER: _apply_move_member,
    ChangeKind.SPLIT_HOUSEHOLD: _apply_split_household,
    ChangeKind.MERGE_HOUSEHOLDS: _apply_merge_households,
    ChangeKind.TYPE_CHANGE: _apply_type_change,
    ChangeKind.STATUS_CORRECTION: _apply_status_correction,
    ChangeKind.INCOME_CORRECTION: _apply_income_correction,
    ChangeKind.MEMBER_IDENTITY: _apply_member_identity,
    ChangeKind.GUARANTEE_CORRECTION: _apply_guarantee_correction,
}


def apply(request, *, by) -> None:
    APPLY[request.kind](request, by)
