"""What users do to the registry: plain functions, each in a transaction with its audit entry."""

import datetime
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext
from pypinyin import Style, lazy_pinyin

from fupin.accounts.models import User
from fupin.accounts.scope import ensure_can_edit
from fupin.audit.services import diff, record, record_many, snapshot
from fupin.audit.services import entry as audit_entry
from fupin.core import money, versions
from fupin.core.errors import ServiceError
from fupin.regions.models import Region, RegionLevel

from . import codes, validation
from .models import (
    GUARANTEES,
    MONEY_BELOW,
    GuaranteeCheck,
    Household,
    IncomeRecord,
    IncomeTooLarge,
    Member,
    per_capita_net_income,
)
from .permissions import may_load_registered
from .selectors import household_sequences


class RegistryError(ServiceError):
    """A refused change; `errors` maps field names to Chinese messages."""


class LockedError(RegistryError):
    """A direct edit of what only the procedures or a reviewed change request may change."""


# A household's key facts: who is poor, since when, until when, and of which type (which drives
# loans, quotas and assessment). They change only through the procedures (识别、退出、返贫, the
# 监测 steps, the yearly cycle) or an approved change request: see `apply_key_facts`.
KEY_FIELDS = ("status", "household_type", "registration_year", "exit_year")
PROCEDURES = "识别、退出、返贫程序或经审核的变更申请"
KEY_FIELD_MESSAGES = {
    "status": f"户状态只能通过{PROCEDURES}修改",
    "household_type": f"贫困户属性只能通过{PROCEDURES}修改",
    "registration_year": f"识别年度只能通过{PROCEDURES}修改",
    "exit_year": f"脱贫年度只能通过{PROCEDURES}修改",
}
# A household created directly (form, API) starts outside the registry.
UNREGISTERED_STATUSES = (codes.HouseholdStatus.UNREGISTERED, codes.HouseholdStatus.APPLICANT)
NEW_HOUSEHOLD_MESSAGE = "新建户只能为“未建档”或“申请中”：纳入建档立卡须经识别程序"
# Audit actions under which apply_key_facts changes key facts (labels: display.ACTIONS). The
# procedures' own bulk service writes procedure_<kind>, procedure_apply and procedure_withdraw.
KEY_FACT_ACTIONS = frozenset(
    {"initial_load", "monitoring_include", "monitoring_eliminate", "monitoring_exclude", "change_request"}
)


def change_request_url(household: Household) -> str:
    """The page proposing a change request for the household ("" while the changes app has none)."""
    try:
        return reverse("changes:propose") + f"?household={household.pk}"
    except NoReverseMatch:
        return ""


def change_request_hint(household: Household) -> str:
    """Where a refused direct edit of a registered household goes instead: the change request page."""
    url = change_request_url(household)
    return f"请提交变更申请（经乡镇审核后生效）：{url}" if url else "请通过“变更申请”办理（经乡镇审核后生效）"


def _locked_member_change(household: Household, what: str) -> LockedError:
    return LockedError(
        {"__all__": f"户 {household.number} 已建档立卡，不能直接{what}。{change_request_hint(household)}"}
    )


def initials(name: str) -> str:
    """Pinyin initials of a Chinese name, upper case: 张三丰 → ZSF."""
    return "".join(p[:1] for p in lazy_pinyin(name or "", style=Style.FIRST_LETTER, errors="ignore")).upper()[
        :20
    ]


def _village(code: str) -> Region:
    try:
        village = Region.objects.get(code=code)
    except Region.DoesNotExist:
        raise RegistryError({"village": gettext("行政村代码不存在：%(code)s") % {"code": code}}) from None
    if village.level != RegionLevel.VILLAGE:
        raise RegistryError({"village": gettext("%(name)s不是行政村") % {"name": village.name}})
    return village


def next_household_number(village_code: str) -> str:
    """户编号: the village's 12-digit code and a sequence of at least 4 digits (10000 after 9999)."""
    return f"{village_code}{household_sequences([village_code])[village_code] + 1:04d}"


HOUSEHOLD_EDITABLE = {f.name for f in Household._meta.concrete_fields} - {
    "id",
    "number",
    "village",
    "head_name",
    "head_initials",
    "size",
    "latest_income",
    "created_at",
    "updated_at",
    "flags",
    "version",
}
MEMBER_EDITABLE = {f.name for f in Member._meta.concrete_fields if f.editable} - {
    "id",
    "household",
    "village_code",
    "name_initials",
    "version",
}


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
        errors["other_causes"] = gettext("未知的致贫原因：%(value)s") % {"value": "、".join(bad_causes)}
    if errors:
        raise RegistryError(errors)


@transaction.atomic
def create_household(
    *, by: User, village_code: str, group_code: str | None = None, **fields: Any
) -> Household:
    """A new household, outside the registry (未建档 or 申请中): it enters the registry only through
    the identification procedure, or the county's import of the national system's data."""
    village = _village(village_code)
    ensure_can_edit(by, village.code)
    unknown = set(fields) - HOUSEHOLD_EDITABLE
    if unknown:
        raise RegistryError(gettext("未知字段：%(unknown)s") % {"unknown": ", ".join(sorted(unknown))})
    fields.setdefault("status", codes.HouseholdStatus.UNREGISTERED)
    locked = {}
    if fields["status"] not in UNREGISTERED_STATUSES:
        locked["status"] = NEW_HOUSEHOLD_MESSAGE
    locked |= {
        k: KEY_FIELD_MESSAGES[k]
        for k in ("household_type", "registration_year", "exit_year")
        if fields.get(k)
    }
    if locked:
        raise LockedError(locked)
    _check_household_fields(fields)
    group = None
    if group_code:
        group = Region.objects.filter(code=group_code, parent_id=village.code).first()
        if group is None:
            raise RegistryError(
                {
                    "group": gettext("%(name)s下没有代码为 %(group_code)s 的村民小组")
                    % {"name": village.name, "group_code": group_code}
                }
            )
    # One new number at a time per village: three 新建户 at once would otherwise all take the same next
    # number.
    list(
        Region.objects.select_for_update(no_key=True).filter(code=village.code).values_list("code", flat=True)
    )
    household = Household.objects.create(
        number=next_household_number(village.code), village=village, group=group, **fields
    )
    record(
        by=by,
        action="create",
        target=household,
        household=household,
        scope_code=village.code,
        changes={k: [None, v] for k, v in snapshot(household).items() if v not in (None, "", [], False)},
    )
    return household


@transaction.atomic
def update_household(
    household: Household,
    *,
    by: User,
    expected_version: int | None = None,
    base: dict | None = None,
    **changes: Any,
) -> Household:
    """A direct edit of a household's own fields. The key facts (KEY_FIELDS) are read-only here: a
    value other than the stored one is refused (the same value is no change and passes).

    `expected_version` is the version the edit was based on (a form's, an API client's If-Match); on
    another version the edit is refused with what changed meanwhile (versions.VersionConflict)."""
    ensure_can_edit(by, household.village_id)
    unknown = set(changes) - HOUSEHOLD_EDITABLE
    if unknown:
        raise RegistryError(gettext("未知字段：%(unknown)s") % {"unknown": ", ".join(sorted(unknown))})
    household = Household.objects.select_for_update().get(pk=household.pk)
    versions.check(household, expected_version, edit=changes, base=base)
    locked = {
        k: KEY_FIELD_MESSAGES[k] for k in KEY_FIELDS if k in changes and changes[k] != getattr(household, k)
    }
    if locked:
        raise LockedError(locked)
    before = snapshot(household)
    for k, v in changes.items():
        setattr(household, k, v)
    _check_household_fields(snapshot(household) | {"other_causes": household.other_causes})
    household.save()
    household.refresh_from_db(fields=["version"])  # raised by the database
    changed = diff(before, snapshot(household))
    changed.pop("updated_at", None)
    if changed:
        record(
            by=by,
            action="update",
            target=household,
            household=household,
            scope_code=household.village_id,
            changes=changed,
        )
    return household


@transaction.atomic
def apply_key_facts(household: Household, *, by: User, action: str, **changes: Any) -> Household:
    """Change a household's key facts for a procedure step or an approved change request.

    Not for a route that takes a user's edit directly: callers are the monitoring steps
    (纳入监测, 风险消除, 清退), the change requests' approval and the county's initial load;
    `action` (one of KEY_FACT_ACTIONS) is what the audit trail records, so a procedure's change
    is never mistaken for an ordinary update. The identification, exit and relapse procedures
    change many households at once through `set_household_statuses`.
    """
    if action not in KEY_FACT_ACTIONS:
        raise ValueError(f"unknown key-fact action {action!r}")
    ensure_can_edit(by, household.village_id)
    allowed = set(KEY_FIELDS) | {"primary_cause", "other_causes"}
    unknown = set(changes) - allowed
    if unknown:
        raise RegistryError(gettext("未知字段：%(unknown)s") % {"unknown": ", ".join(sorted(unknown))})
    if action == "initial_load" and not may_load_registered(by):
        raise LockedError({"status": gettext("只有县扶贫办或系统管理员可以导入建档立卡数据")})
    household = Household.objects.select_for_update().get(pk=household.pk)
    before = snapshot(household)
    for k, v in changes.items():
        setattr(household, k, v)
    _check_household_fields(snapshot(household) | {"other_causes": household.other_causes})
    household.save()
    household.refresh_from_db(fields=["version"])
    changed = diff(before, snapshot(household))
    changed.pop("updated_at", None)
    if changed:
        record(
            by=by,
            action=action,
            target=household,
            household=household,
            scope_code=household.village_id,
            changes=changed,
        )
    return household


PROCEDURE_FIELDS = {
    "status",
    "household_type",
    "primary_cause",
    "other_causes",
    "registration_year",
    "exit_year",
}


@transaction.atomic
def set_household_statuses(
    *, by: User, changes: dict[int, dict], action: str, batch_id: int | None = None
) -> int:
    """Change status, type, causes and years of many households at once for a procedure's
    announcement or withdrawal, validated and audited in bulk (one audit entry per household
    changed, recording `batch_id`).

    `changes` maps household id to {field: value}. Only those fields are written, so the
    registry's denormalised fields (head name, size, latest income) stay as they are. The
    procedures have checked the actor's scope and the batch's stage.
    """
    if not changes:
        return 0
    fields = sorted({f for c in changes.values() for f in c})
    if set(fields) - PROCEDURE_FIELDS:
        raise RegistryError(
            gettext("程序不能修改这些字段：%(PROCEDURE_FIELDS)s")
            % {"PROCEDURE_FIELDS": ", ".join(sorted(set(fields) - PROCEDURE_FIELDS))}
        )
    households = list(
        Household.objects.filter(pk__in=list(changes)).only(
            "pk", "number", "head_name", "village_id", *PROCEDURE_FIELDS
        )
    )
    audits, touched = [], []
    for h in households:
        before = {f: getattr(h, f) for f in fields}
        for f, v in changes[h.pk].items():
            setattr(h, f, v)
        errors = validation.check_household(
            status=h.status,
            household_type=h.household_type,
            primary_cause=h.primary_cause,
            registration_year=h.registration_year,
            exit_year=h.exit_year,
        )
        if errors:
            raise RegistryError(
                gettext("户 %(number)s（%(head_name)s）：%(values)s")
                % {"number": h.number, "head_name": h.head_name, "values": "；".join(errors.values())}
            )
        delta = {f: [before[f], getattr(h, f)] for f in fields if before[f] != getattr(h, f)}
        if not delta:
            continue
        touched.append(h)
        audits.append(
            audit_entry(
                by=by,
                action=action,
                target_type="household",
                target_id=h.pk,
                target_label=f"{h.number} {h.head_name}",
                household_id=h.pk,
                scope_code=h.village_id,
                changes=delta | ({"batch": [None, batch_id]} if batch_id else {}),
            )
        )
    now = timezone.now()
    for h in touched:
        h.updated_at = now
    Household.objects.bulk_update(touched, fields + ["updated_at"], batch_size=2000)
    record_many(audits, batch_size=2000)
    return len(touched)


def _lock(household: Household) -> Household:
    """Lock the household's row: its members, incomes and checks change one request at a time (PostgreSQL)."""
    return Household.objects.select_for_update().only("pk", "size").get(pk=household.pk)


def refresh_household_summary(household: Household) -> None:
    """Keep the head's name, initials and the size on the household row."""
    members = list(household.members.values_list("relation", "name", "name_initials"))
    head = next((m for m in members if m[0] == codes.Relation.HEAD), None)
    Household.objects.filter(pk=household.pk).update(
        head_name=head[1] if head else "", head_initials=head[2] if head else "", size=len(members)
    )
    household.refresh_from_db(fields=["head_name", "head_initials", "size"])


def check_member_fields(
    values: dict, *, household: Household, member_id: int | None, by: User | None = None
) -> None:
    errors, parsed = validation.check_identity(
        id_number=values.get("id_number", ""), sex=values.get("sex"), birth_date=values.get("birth_date")
    )
    if parsed:
        values["id_number"] = parsed.number
        values.setdefault("sex", parsed.sex)
        values["sex"] = values["sex"] or parsed.sex
        values["birth_date"] = values.get("birth_date") or parsed.birth_date
    errors |= validation.check_member(
        relation=values.get("relation", ""),
        birth_date=values.get("birth_date"),
        schooling=values.get("schooling"),
        work_months=values.get("work_months"),
        disability_category=values.get("disability_category", ""),
        disability_level=values.get("disability_level", ""),
    )
    if not (values.get("name") or "").strip():
        errors["name"] = validation.NAME_REQUIRED
    if values.get("relation") not in codes.Relation.values:
        errors["relation"] = validation.RELATION_REQUIRED
    if parsed and "id_number" not in errors:
        other = (
            Member.objects.filter(id_number=parsed.number)
            .exclude(pk=member_id or 0)
            .select_related("household")
            .first()
        )
        if other:
            # Name the other household only to someone who may see it: a number outside
            # the user's scope would tell them that a person lives there.
            where = (
                f"户 {other.household.number}"
                if by is not None and by.in_scope(other.village_code)
                else "其他户"
            )
            errors["id_number"] = gettext("此身份证号已登记在%(where)s（一人只能在一户）") % {"where": where}
    relations = list(household.members.exclude(pk=member_id or 0).values_list("relation", flat=True))
    if values.get("relation") == codes.Relation.HEAD and codes.Relation.HEAD in relations:
        errors["relation"] = validation.SECOND_HEAD
    if errors:
        raise RegistryError(errors)


@transaction.atomic
def add_member(household: Household, *, by: User, **fields: Any) -> Member:
    ensure_can_edit(by, household.village_id)
    unknown = set(fields) - MEMBER_EDITABLE
    if unknown:
        raise RegistryError(gettext("未知字段：%(unknown)s") % {"unknown": ", ".join(sorted(unknown))})
    if Household.objects.select_for_update().get(pk=household.pk).is_registered:
        raise _locked_member_change(household, gettext("增加家庭成员"))
    check_member_fields(fields, household=household, member_id=None, by=by)
    member = Member.objects.create(
        household=household,
        village_code=household.village_id,
        name_initials=initials(fields["name"]),
        **fields,
    )
    refresh_household_summary(household)
    record(
        by=by,
        action="add_member",
        target=member,
        household=household,
        scope_code=household.village_id,
        changes={
            k: [None, v] for k, v in snapshot(member, MEMBER_EDITABLE).items() if v not in (None, "", False)
        },
    )
    return member


# Who a member of a registered household is: the ID number (sex and birth date follow from it) and the
# name. Changing them in effect swaps the person, so they change only by a reviewed change request.
IDENTITY_FIELDS = ("id_number", "name", "sex", "birth_date")
IDENTITY_KIND = "更正成员身份信息"


def _ensure_identity_kept(member: Member, changes: dict) -> None:
    """Refuse a direct change of a registered household's member's ID number or name (the same value,
    or an empty sex or birth date the service would read from the ID number, is no change)."""
    locked = {}
    new_id = changes.get("id_number")
    if new_id is not None and str(new_id).strip().upper() != member.id_number:
        locked["id_number"] = "身份证号"
    new_name = changes.get("name")
    if new_name is not None and str(new_name).strip() != member.name:
        locked["name"] = "姓名"
    for name, label in (("sex", "性别"), ("birth_date", "出生日期")):
        if changes.get(name) not in (None, "") and changes[name] != getattr(member, name):
            locked[name] = label
    if locked:
        hint = change_request_hint(member.household)
        raise LockedError(
            {
                name: gettext(
                    "户 %(number)s 已建档立卡，成员的%(label)s不能直接修改（身份证号、姓名确定此人是谁）：请"
                    "提交“%(IDENTITY_KIND)s”变更申请。%(hint)s"
                )
                % {
                    "number": member.household.number,
                    "label": label,
                    "IDENTITY_KIND": IDENTITY_KIND,
                    "hint": hint,
                }
                for name, label in locked.items()
            }
        )


@transaction.atomic
def update_member(
    member: Member, *, by: User, expected_version: int | None = None, base: dict | None = None, **changes: Any
) -> Member:
    """A member's fields; `expected_version` and `base` as for update_household."""
    ensure_can_edit(by, member.village_code)
    unknown = set(changes) - MEMBER_EDITABLE
    if unknown:
        raise RegistryError(gettext("未知字段：%(unknown)s") % {"unknown": ", ".join(sorted(unknown))})
    member = Member.objects.select_for_update().select_related("household").get(pk=member.pk)
    versions.check(member, expected_version, edit=changes, base=base)
    heads = codes.Relation.HEAD
    if (
        "relation" in changes
        and (changes["relation"] == heads) != (member.relation == heads)
        and member.household.is_registered
    ):
        raise _locked_member_change(member.household, gettext("更换户主"))
    if member.household.is_registered:
        _ensure_identity_kept(member, changes)
    before = snapshot(member, MEMBER_EDITABLE)
    values = {name: getattr(member, name) for name in MEMBER_EDITABLE} | changes
    check_member_fields(values, household=member.household, member_id=member.pk, by=by)
    for k in MEMBER_EDITABLE:
        if k in values:
            setattr(member, k, values[k])
    member.name_initials = initials(member.name)
    member.save()
    member.refresh_from_db(fields=["version"])  # raised by the database
    refresh_household_summary(member.household)
    changed = diff(before, snapshot(member, MEMBER_EDITABLE))
    if changed:
        record(
            by=by,
            action="update_member",
            target=member,
            household=member.household,
            scope_code=member.village_code,
            changes=changed,
        )
    return member


@transaction.atomic
def remove_member(member: Member, *, by: User, reason: str) -> None:
    """Take a member off the household (death, marriage out, moving away), with the reason."""
    ensure_can_edit(by, member.village_code)
    if not (reason or "").strip():
        raise RegistryError({"reason": gettext("请填写减员原因")})
    household = Household.objects.select_for_update().get(pk=member.household_id)
    if household.is_registered:
        raise _locked_member_change(household, gettext("减员"))
    if member.relation == codes.Relation.HEAD and household.members.count() > 1:
        raise RegistryError({"relation": gettext("请先指定新的户主，再移除原户主")})
    before = snapshot(member, MEMBER_EDITABLE)
    record(
        by=by,
        action="remove_member",
        target=member,
        household=household,
        scope_code=member.village_code,
        changes={k: [v, None] for k, v in before.items() if v not in (None, "", False)}
        | {"reason": [None, reason]},
    )
    member.delete()
    refresh_household_summary(household)


@transaction.atomic
def record_income(
    household: Household,
    *,
    by: User,
    year: int,
    household_size: int | None = None,
    expected_version: int | None = None,
    **components: Any,
) -> IncomeRecord:
    """Enter or correct a year's incomes; the per-capita net income is derived, never typed.

    `expected_version` is the version of the year's record the entry was based on (0: there was none); a
    record at another version is not overwritten (versions.VersionConflict)."""
    ensure_can_edit(by, household.village_id)
    allowed = set(IncomeRecord.INCOME_FIELDS) | {"productive_expenditure"}
    unknown = set(components) - allowed
    if unknown:
        raise RegistryError(gettext("未知字段：%(unknown)s") % {"unknown": ", ".join(sorted(unknown))})
    this_year = timezone.localdate().year
    if not 2000 <= year <= this_year:
        raise RegistryError({"year": gettext("年度应在2000到%(this_year)s之间") % {"this_year": this_year}})
    # The household row first: two years entered at once must not leave the older one as latest_income.
    locked = _lock(household)
    size = household_size or locked.size or household.members.count()
    if size < 1:
        raise RegistryError({"household_size": gettext("家庭人口数须至少为1")})
    errors = {}
    values = {}
    for f in allowed:
        try:
            values[f] = money.parse_yuan(components.get(f), blank=Decimal("0.00"), below=MONEY_BELOW)
        except money.MoneyError as e:
            errors[f] = str(e)
    if errors:
        raise RegistryError(errors)
    try:
        per_capita = per_capita_net_income(
            incomes=[values[f] for f in IncomeRecord.INCOME_FIELDS],
            productive_expenditure=values["productive_expenditure"],
            household_size=size,
        )
    except IncomeTooLarge as e:
        raise RegistryError({"__all__": str(e)}) from None
    existing = IncomeRecord.objects.filter(household=household, year=year).first()
    if existing is not None:  # under the household's lock, which every writer of the year's record takes
        versions.check(existing, expected_version, edit=values | {"household_size": size})
    corrects = existing is not None and (
        existing.household_size != size or any(getattr(existing, f) != values[f] for f in allowed)
    )
    if corrects and year in procedure_income_years([household.pk]).get(household.pk, ()):
        raise LockedError(
            {
                "year": gettext(
                    "%(year)s年收入已用于识别、退出或返贫程序的收入调查，不能直接更正。%(household)s"
                )
                % {"year": year, "household": change_request_hint(household)}
            }
        )
    before = snapshot(existing) if existing else {}
    income, _ = IncomeRecord.objects.update_or_create(
        household=household,
        year=year,
        defaults=values | {"household_size": size, "per_capita_net_income": per_capita},
    )
    income.refresh_from_db(fields=["version"])  # raised by the database
    latest = household.incomes.order_by("-year").values_list("per_capita_net_income", flat=True).first()
    Household.objects.filter(pk=household.pk).update(latest_income=latest)
    household.latest_income = latest
    changed = diff(before, snapshot(income))
    changed.pop("recorded_at", None)
    changed.pop("id", None)
    record(
        by=by,
        action="record_income",
        target=income,
        household=household,
        scope_code=household.village_id,
        changes=changed,
    )
    return income


# Which years' income and guarantee check a procedure has used is read from the procedures' batches, and the
# procedures sit above the registry (tests/test_layers.py): ProceduresConfig.ready() hands the two readers
# over through provide_procedure_years at start-up (fupin.procedures.selectors.income_years_used,
# guarantee_years_used).
_procedure_years: dict = {}


# {household id: {year, …}} for the households named: what procedures hand over (provide_procedure_years).
YearsUsed = Callable[[Iterable[int]], dict[int, set[int]]]


def provide_procedure_years(*, income: YearsUsed, guarantees: YearsUsed) -> None:
    """Register `income(household_ids)` and `guarantees(household_ids)`: {household id: {year, …}}."""
    _procedure_years.update(income=income, guarantees=guarantees)


def procedure_income_years(household_ids: Iterable[int]) -> dict[int, set[int]]:
    """The years whose income a procedure has used, per household
    (fupin.procedures.selectors.income_years_used):
    such an income is corrected only through a change request."""
    return _procedure_years["income"](household_ids)


def procedure_guarantee_years(household_ids: Iterable[int]) -> dict[int, set[int]]:
    """The years whose guarantee check (两不愁三保障) an exit procedure has used, per household
    (fupin.procedures.selectors.guarantee_years_used)."""
    return _procedure_years["guarantees"](household_ids)


@transaction.atomic
def record_guarantees(
    household: Household,
    *,
    by: User,
    year: int,
    checked_on: datetime.date,
    items: dict[str, bool],
    notes: dict[str, str] | None = None,
    expected_version: int | None = None,
) -> GuaranteeCheck:
    """Enter or correct a year's check; `expected_version` as for `record_income`."""
    ensure_can_edit(by, household.village_id)
    this_year = timezone.localdate().year
    if not 2000 <= year <= this_year:
        raise RegistryError({"year": gettext("年度应在2000到%(this_year)s之间") % {"this_year": this_year}})
    unknown = set(items) - set(GUARANTEES)
    if unknown:
        raise RegistryError(gettext("未知的保障项：%(unknown)s") % {"unknown": ", ".join(sorted(unknown))})
    notes = {k: v.strip() for k, v in (notes or {}).items() if k in GUARANTEES and v and v.strip()}
    missing_notes = [g for g in GUARANTEES if items.get(g) is False and not notes.get(g)]
    if missing_notes:
        raise RegistryError({g: gettext("未达标的项目须说明情况") for g in missing_notes})
    if checked_on > timezone.localdate():
        raise RegistryError({"checked_on": gettext("核查日期不能晚于今天")})
    _lock(household)
    existing = GuaranteeCheck.objects.filter(household=household, year=year).first()
    if existing is not None:
        edit = {g: bool(items.get(g, True)) for g in GUARANTEES} | {"checked_on": checked_on, "notes": notes}
        versions.check(existing, expected_version, edit=edit)
    if (
        existing is not None
        and year in procedure_guarantee_years([household.pk]).get(household.pk, ())
        and (
            any(getattr(existing, g) != bool(items.get(g, True)) for g in GUARANTEES)
            or existing.notes != notes
            or existing.checked_on != checked_on
        )
    ):
        raise LockedError(
            {
                "year": gettext(
                    "%(year)s年两不愁三保障核查已用于退出程序，不能直接更正：请提交“更正两不愁三保障”变更申请"
                    "。%(household)s"
                )
                % {"year": year, "household": change_request_hint(household)}
            }
        )
    before = snapshot(existing) if existing else {}
    check, _ = GuaranteeCheck.objects.update_or_create(
        household=household,
        year=year,
        defaults={g: bool(items.get(g, True)) for g in GUARANTEES}
        | {"checked_on": checked_on, "notes": notes},
    )
    check.refresh_from_db(fields=["version"])
    changed = diff(before, snapshot(check))
    changed.pop("id", None)
    record(
        by=by,
        action="record_guarantees",
        target=check,
        household=household,
        scope_code=household.village_id,
        changes=changed,
    )
    return check
