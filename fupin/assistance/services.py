"""What users do in assistance work: plain functions, each in a transaction with its audit entry.

Seeds: 000 四 (精选路子: 帮扶项目、完成时限、脱贫时间; 扶贫手册), 000 七(三) (监测 in June and
December), 001 篇1 四(三) (二类 households are 政策保障兜底), 001 篇8 (走访每年不少于三次).
"""

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from fupin.accounts.models import User
from fupin.accounts.scope import ScopeError, household_filter, households_in_scope_key
from fupin.audit.services import diff, record, snapshot
from fupin.core import images, money, versions
from fupin.core.batch import recall, remembered
from fupin.core.errors import ServiceError
from fupin.regions.models import Region, RegionLevel
from fupin.registry import codes
from fupin.registry.models import GUARANTEES, Household

from . import permissions, rules
from .models import (
    AssistanceSettings,
    BatchKind,
    BatchStatus,
    HandbookBatch,
    Helper,
    HelpMeasure,
    HelpPlan,
    MeasureCatalogue,
    MeasureStatus,
    MonitoringReport,
    Pairing,
    PlanClass,
    Visit,
    VisitKind,
    VisitPhoto,
)
from .selectors import settings_for

MAX_PHOTOS_PER_VISIT = 9
# A visit's refusals, in the words the web form, the API and the field app's phone all show (the phone's rules
# are made from these: fupin.field.selectors.rules)
DATE_REQUIRED = gettext_noop("请填写日期")
DATE_IN_FUTURE = gettext_noop("日期不能晚于今天")
EARLIEST_VISIT_YEAR = 2014
VISIT_MESSAGES = {
    "date_wrong": gettext_noop("走访日期有误"),
    "kind": gettext_noop("请选择走访方式"),
    "findings": gettext_noop("请填写走访情况"),
    "note": gettext_noop("未达标的项目须说明情况"),
    "note_long": gettext_noop("说明最多{limit}个字"),
    "photos": gettext_noop("每次走访最多上传{limit}张照片"),
}
NOTE_MAX_LENGTH = 200  # a guarantee not met, explained in a line
MAX_PHOTO_BYTES = 10 * 1024 * 1024


class AssistanceError(ServiceError):
    """A refused action; `errors` maps field names to Chinese messages."""


# ---------------------------------------------------------------- scope checks


def ensure_household(user: User, household: Household) -> None:
    """The household is readable by the user (a helper: paired to them); ScopeError otherwise."""
    if household.pk in recall(households_in_scope_key(user), ()):  # a batch read them through the same filter
        return
    scope = household_filter(user)
    if scope is None or not Household.objects.filter(scope, pk=household.pk).exists():
        raise ScopeError(gettext("不在您的帮扶或管辖范围内"))


def ensure_region(user: User, code: str) -> None:
    if not (getattr(user, "is_authenticated", False) and user.in_scope(code)):
        raise ScopeError(gettext("不在您的管辖范围内"))


def ensure_role(allowed: bool, message: str) -> None:
    if not allowed:
        raise ScopeError(message)


def region_of_levels(
    code: str,
    *,
    field: str = "region",
    levels: tuple[int, ...] = (RegionLevel.COUNTY, RegionLevel.TOWNSHIP, RegionLevel.VILLAGE),
) -> Region:
    region = Region.objects.filter(code=(code or "").strip()).first()
    if region is None:
        raise AssistanceError({field: gettext("区划代码不存在：%(code)s") % {"code": code}})
    if region.level not in levels:
        raise AssistanceError(
            {
                field: gettext("%(name)s是%(get_level_display)s，须为%(levels)s")
                % {
                    "name": region.name,
                    "get_level_display": region.get_level_display(),
                    "levels": "、".join(str(RegionLevel(lv).label) for lv in levels),
                }
            }
        )
    return region


def _money(value: object, field: str, errors: dict) -> Decimal:
    """The amount in yuan, or 0 with the refusal put in `errors` (a float is a TypeError)."""
    try:
        return money.parse_yuan(value, below=money.ASSISTANCE_BELOW, blank=Decimal("0.00"))
    except money.MoneyError as e:
        errors[field] = str(e)
        return Decimal("0.00")


# ---------------------------------------------------------------- county settings


@transaction.atomic
def update_settings(
    *,
    by: User,
    county_code: str,
    load_cap: int,
    visit_interval_days: int,
    expected_version: int | None = None,
) -> AssistanceSettings:
    """`expected_version`: the version the edit was based on (0: the county had none yet); on another one
    nothing is saved (versions.VersionConflict). None: a caller inside the product."""
    ensure_role(permissions.can_configure(by), "只有县扶贫办可以设置帮扶参数")
    county = region_of_levels(county_code, field="county", levels=(RegionLevel.COUNTY,))
    ensure_region(by, county.code)
    errors = {}
    if not isinstance(load_cap, int) or not 1 <= load_cap <= 100:
        errors["load_cap"] = gettext("每名帮扶责任人结对户数上限应在1到100之间")
    if not isinstance(visit_interval_days, int) or not 7 <= visit_interval_days <= 366:
        errors["visit_interval_days"] = gettext("走访间隔应在7到366天之间")
    if errors:
        raise AssistanceError(errors)
    heavier = (
        Pairing.objects.filter(ended_on__isnull=True, household__village__code__startswith=county.code)
        .values("helper_id")
        .order_by()
        .annotate(n=Count("pk"))
        .filter(n__gt=load_cap)
        .count()
    )
    existing = AssistanceSettings.objects.select_for_update().filter(county=county).first()
    if existing is not None:
        versions.check(existing, expected_version, edit={})
    before = snapshot(existing) if existing else {}
    obj, _ = AssistanceSettings.objects.update_or_create(
        county=county, defaults={"load_cap": load_cap, "visit_interval_days": visit_interval_days}
    )
    changed = diff(before, snapshot(obj))
    changed.pop("updated_at", None)
    changed.pop("id", None)
    if changed:
        record(
            by=by,
            action="update_assistance_settings",
            target=obj,
            scope_code=county.code,
            changes=changed | ({"helpers_over_cap": [None, heavier]} if heavier else {}),
        )
    obj.helpers_over_cap = heavier  # type: ignore[attr-defined]  # for the page's note, not a field
    return obj


# ---------------------------------------------------------------- pairing (结对帮扶)


def _check_pairable(household: Household, helper: Helper, errors: dict) -> None:
    if household.status not in rules.NEEDS_HELPER:
        errors["household"] = gettext("该户状态为“%(value)s”，只有贫困户和监测户需要结对帮扶") % {
            "value": household.get_status_display()
        }
    if not helper.active:
        errors["helper"] = gettext("%(name)s已不在岗") % {"name": helper.name}
    if not household.village_id.startswith(helper.region_id):
        errors["helper"] = gettext("%(name)s的工作区域不包括该户所在村") % {"name": helper.name}


def _check_load(helper: Helper, household: Household, errors: dict) -> None:
    cap = settings_for(household.village_id).load_cap
    load = Pairing.objects.filter(helper=helper, ended_on__isnull=True).count()
    if load >= cap:
        errors["helper"] = gettext("%(name)s已结对%(load)s户，达到本县每人%(cap)s户的上限") % {
            "name": helper.name,
            "load": load,
            "cap": cap,
        }


def check_date(on: object, errors: dict, field: str = "started_on") -> None:
    if not isinstance(on, datetime.date):
        errors[field] = gettext(DATE_REQUIRED)
    elif on > timezone.localdate():
        errors[field] = gettext(DATE_IN_FUTURE)


@transaction.atomic
def pair_household(
    household: Household, helper: Helper, *, by: User, started_on: datetime.date, reason: str = ""
) -> Pairing:
    """Make `helper` responsible for an unpaired poor household (四定: 定户、定人、定时间、定责任)."""
    ensure_role(permissions.can_manage(by), "只有乡镇、县扶贫办可以安排结对帮扶")
    ensure_household(by, household)
    helper = Helper.objects.select_for_update().get(pk=helper.pk)  # serialises the load check per helper
    household = Household.objects.select_for_update().get(pk=household.pk)
    errors: dict = {}
    check_date(started_on, errors)
    _check_pairable(household, helper, errors)
    if Pairing.objects.filter(household=household, ended_on__isnull=True).exists():
        errors["household"] = gettext("该户已有帮扶责任人；如需更换请使用“调整帮扶责任人”")
    if "helper" not in errors:
        _check_load(helper, household, errors)
    if errors:
        raise AssistanceError(errors)
    pairing = Pairing.objects.create(
        household=household,
        helper=helper,
        started_on=started_on,
        start_reason=(reason or "").strip()[:200],
        started_by=by,
    )
    record(
        by=by,
        action="pair",
        target=pairing,
        household=household,
        scope_code=household.village_id,
        changes={
            "helper": [None, helper.name],
            "started_on": [None, str(started_on)],
            "reason": [None, pairing.start_reason],
        },
    )
    return pairing


def _ensure_same_pairing(current: Pairing | None, expected: int | None) -> None:
    """Refuse a change based on another pairing than the household's current one (another office reassigned or
    ended it meanwhile): nothing is saved, and the message says who helps the household now. `expected`: the
    pairing the page showed (0: none); None, a caller inside the product."""
    if expected is None or expected == (current.pk if current else 0):
        return
    if current is None:
        now = "该户现已没有结对帮扶"
    else:
        now = f"现由{current.helper.name}自{current.started_on:%Y-%m-%d}起帮扶"
    raise AssistanceError(
        {
            "household": (
                gettext("保存前，该户的结对已被他人调整：%(now)s。您的修改未保存，请核对后重新提交")
                % {"now": now}
            )
        }
    )


@transaction.atomic
def reassign_household(
    household: Household,
    helper: Helper,
    *,
    by: User,
    on: datetime.date,
    reason: str,
    expected_pairing: int | None = None,
) -> Pairing:
    """Hand the household to another helper: the current pairing ends and a new one starts the same day.
    `expected_pairing`: the pairing the form was based on (see _ensure_same_pairing)."""
    ensure_role(permissions.can_manage(by), "只有乡镇、县扶贫办可以调整结对帮扶")
    ensure_household(by, household)
    helper = Helper.objects.select_for_update().get(pk=helper.pk)
    household = Household.objects.select_for_update().get(pk=household.pk)
    errors: dict = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = gettext("请填写调整原因（如帮扶责任人调离、退休）")
    check_date(on, errors, "on")
    current = Pairing.objects.select_for_update().filter(household=household, ended_on__isnull=True).first()
    _ensure_same_pairing(current, expected_pairing)
    if current is None:
        errors["household"] = gettext("该户尚未结对，请直接安排结对")
    elif current.helper_id == helper.pk:
        errors["helper"] = gettext("该户的帮扶责任人已是%(name)s") % {"name": helper.name}
    elif isinstance(on, datetime.date) and on < current.started_on:
        errors["on"] = gettext("调整日期不能早于原结对日期 %(started_on)s") % {
            "started_on": current.started_on
        }
    _check_pairable(household, helper, errors)
    if "helper" not in errors:
        _check_load(helper, household, errors)
    if errors:
        raise AssistanceError(errors)
    assert current is not None  # refused above when there is none
    current.ended_on, current.end_reason, current.ended_by = on, reason[:200], by
    current.save(update_fields=["ended_on", "end_reason", "ended_by"])
    pairing = Pairing.objects.create(
        household=household, helper=helper, started_on=on, start_reason=reason[:200], started_by=by
    )
    record(
        by=by,
        action="reassign",
        target=pairing,
        household=household,
        scope_code=household.village_id,
        changes={
            "helper": [current.helper.name, helper.name],
            "on": [None, str(on)],
            "reason": [None, reason],
        },
    )
    return pairing


@transaction.atomic
def end_pairing(
    household: Household, *, by: User, on: datetime.date, reason: str, expected_pairing: int | None = None
) -> Pairing:
    """End the pairing of a household that has left the registry's care (不脱贫不脱钩: never while poor).
    `expected_pairing`: the pairing the form was based on (see _ensure_same_pairing)."""
    ensure_role(permissions.can_manage(by), "只有乡镇、县扶贫办可以解除结对帮扶")
    ensure_household(by, household)
    household = Household.objects.select_for_update().get(pk=household.pk)
    errors: dict = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = gettext("请填写解除原因")
    check_date(on, errors, "on")
    if household.status in rules.NEEDS_HELPER:
        errors["household"] = gettext(
            "该户为%(value)s，脱贫前不能解除结对（不脱贫不脱钩）；如需更换帮扶责任人请使用“调整帮扶责任人”"
        ) % {"value": household.get_status_display()}
    current = Pairing.objects.select_for_update().filter(household=household, ended_on__isnull=True).first()
    _ensure_same_pairing(current, expected_pairing)
    if current is None:
        errors["household"] = gettext("该户当前没有结对帮扶")
    elif isinstance(on, datetime.date) and on < current.started_on:
        errors["on"] = gettext("解除日期不能早于结对日期 %(started_on)s") % {"started_on": current.started_on}
    if errors:
        raise AssistanceError(errors)
    assert current is not None  # refused above when there is none
    current.ended_on, current.end_reason, current.ended_by = on, reason[:200], by
    current.save(update_fields=["ended_on", "end_reason", "ended_by"])
    record(
        by=by,
        action="end_pairing",
        target=current,
        household=household,
        scope_code=household.village_id,
        changes={"ended_on": [None, str(on)], "reason": [None, reason]},
    )
    return current


# ---------------------------------------------------------------- help plans and measures


def default_plan_class(household: Household) -> str:
    """二类 (政策保障兜底) for dibao/wubao households with nobody able to work; 一类 for the others (seed 001
    篇1 四(三))."""
    if household.household_type in (codes.HouseholdType.DIBAO, codes.HouseholdType.WUBAO):
        able = household.members.filter(
            labour_skill__in=(codes.LabourSkill.ORDINARY, codes.LabourSkill.SKILLED)
        ).exists()
        if not able:
            return PlanClass.SAFETY_NET
    return PlanClass.DEVELOPMENT


@transaction.atomic
def save_plan(
    household: Household,
    *,
    by: User,
    target_exit_year: int,
    plan_class: str | None = None,
    goals: str = "",
    expected_version: int | None = None,
) -> HelpPlan:
    """Create or change the household's plan; a new plan's class defaults from the household
    (default_plan_class).
    `expected_version`: the plan's version the edit was based on (0: none yet), as fupin.core.versions."""
    ensure_role(permissions.can_plan(by), "您的角色不能制定帮扶计划")
    ensure_household(by, household)
    errors = {}
    this_year = timezone.localdate().year
    existing = HelpPlan.objects.select_for_update().filter(household=household).first()
    if existing is not None:
        versions.check(existing, expected_version, edit={})
    if plan_class in (None, ""):
        plan_class = existing.plan_class if existing else default_plan_class(household)
    if plan_class not in PlanClass.values:
        errors["plan_class"] = gettext("请选择帮扶类别")
    if not isinstance(target_exit_year, int) or not 2014 <= target_exit_year <= this_year + 10:
        errors["target_exit_year"] = gettext("计划脱贫年度应在2014到%(value)s之间") % {
            "value": this_year + 10
        }
    elif household.registration_year and target_exit_year < household.registration_year:
        errors["target_exit_year"] = gettext("计划脱贫年度不能早于识别年度 %(registration_year)s") % {
            "registration_year": household.registration_year
        }
    if errors:
        raise AssistanceError(errors)
    before = snapshot(existing) if existing else {}
    plan, created = HelpPlan.objects.update_or_create(
        household=household,
        defaults={
            "plan_class": plan_class,
            "target_exit_year": target_exit_year,
            "goals": (goals or "").strip(),
        },
        create_defaults={
            "plan_class": plan_class,
            "target_exit_year": target_exit_year,
            "goals": (goals or "").strip(),
            "created_by": by,
        },
    )
    changed = diff(before, snapshot(plan, {"plan_class", "target_exit_year", "goals"}))
    if changed:
        record(
            by=by,
            action="create_plan" if created else "update_plan",
            target=plan,
            household=household,
            scope_code=household.village_id,
            changes=changed,
        )
    return plan


MEASURE_FIELDS = {"catalogue", "content", "year", "deadline", "planned_amount", "funding_source", "helper"}
MEASURE_PROGRESS_FIELDS = {"status", "actual_amount", "result", "income_increase", "completed_on"}


def _check_measure(values: dict, errors: dict) -> None:
    this_year = timezone.localdate().year
    catalogue = values.get("catalogue")
    if not isinstance(catalogue, MeasureCatalogue):
        errors["catalogue"] = gettext("请从帮扶措施目录中选择措施")
    elif not catalogue.active and values.get("_new"):
        errors["catalogue"] = gettext("“%(name)s”已停用") % {"name": catalogue.name}
    if not (values.get("content") or "").strip():
        errors["content"] = gettext("请填写具体内容（如：发展脐橙种植5亩）")
    year = values.get("year")
    if not isinstance(year, int) or not 2014 <= year <= this_year + 10:
        errors["year"] = gettext("年度应在2014到%(value)s之间") % {"value": this_year + 10}
    deadline = values.get("deadline")
    if not isinstance(deadline, datetime.date):
        errors["deadline"] = gettext("请填写完成时限")
    elif isinstance(year, int) and deadline.year < year:
        errors["deadline"] = gettext("完成时限不能早于措施所在年度")
    status = values.get("status", MeasureStatus.PLANNED)
    if status not in MeasureStatus.values:
        errors["status"] = gettext("请选择状态")
    completed_on = values.get("completed_on")
    if status == MeasureStatus.DONE:
        if not isinstance(completed_on, datetime.date):
            errors["completed_on"] = gettext("已完成的措施须填写完成日期")
        elif completed_on > timezone.localdate():
            errors["completed_on"] = gettext("完成日期不能晚于今天")
        if not (values.get("result") or "").strip():
            errors["result"] = gettext("已完成的措施须填写帮扶成效")


@transaction.atomic
def add_measure(
    household: Household,
    *,
    by: User,
    catalogue: MeasureCatalogue,
    content: str,
    year: int,
    deadline: datetime.date,
    planned_amount: object = Decimal("0"),
    funding_source: str = "",
    helper: Helper | None = None,
) -> HelpMeasure:
    """Add a measure to the household's plan; its helper is the household's current helper unless named."""
    ensure_role(permissions.can_plan(by), "您的角色不能制定帮扶措施")
    ensure_household(by, household)
    plan = HelpPlan.objects.filter(household=household).first()
    errors: dict = {}
    if plan is None:
        raise AssistanceError({"__all__": gettext("请先制定帮扶计划（帮扶类别与计划脱贫年度），再添加措施")})
    amount = _money(planned_amount, "planned_amount", errors)
    if helper is None:
        current = (
            Pairing.objects.filter(household=household, ended_on__isnull=True)
            .select_related("helper")
            .first()
        )
        helper = current.helper if current else None
    _check_measure(
        {"catalogue": catalogue, "content": content, "year": year, "deadline": deadline, "_new": True}, errors
    )
    if errors:
        raise AssistanceError(errors)
    measure = HelpMeasure.objects.create(
        plan=plan,
        village_code=household.village_id,
        catalogue=catalogue,
        helper=helper,
        year=year,
        content=content.strip()[:300],
        deadline=deadline,
        planned_amount=amount,
        funding_source=(funding_source or "").strip()[:100],
    )
    record(
        by=by,
        action="add_measure",
        target=measure,
        household=household,
        scope_code=household.village_id,
        changes={
            k: [None, v]
            for k, v in snapshot(measure).items()
            if v not in (None, "", "0.00")
            and k not in ("id", "created_at", "updated_at", "village_code", "plan")
        },
    )
    return measure


@transaction.atomic
def update_measure(
    measure: HelpMeasure, *, by: User, expected_version: int | None = None, **changes: Any
) -> HelpMeasure:
    """Change a measure's plan or progress: status, money spent, result, income increase, completion date."""
    ensure_role(permissions.can_plan(by), "您的角色不能修改帮扶措施")
    household = measure.plan.household
    ensure_household(by, household)
    unknown = set(changes) - MEASURE_FIELDS - MEASURE_PROGRESS_FIELDS
    if unknown:
        raise AssistanceError(gettext("未知字段：%(unknown)s") % {"unknown": ", ".join(sorted(unknown))})
    measure = HelpMeasure.objects.select_for_update().select_related("catalogue").get(pk=measure.pk)
    versions.check(measure, expected_version, edit={})
    before = snapshot(measure)
    errors: dict = {}
    for name in ("planned_amount", "actual_amount", "income_increase"):
        if name in changes:
            changes[name] = _money(changes[name], name, errors)
    values = {name: getattr(measure, name) for name in MEASURE_FIELDS | MEASURE_PROGRESS_FIELDS} | changes
    if values.get("status") == MeasureStatus.DONE and not values.get("completed_on"):
        values["completed_on"] = changes["completed_on"] = timezone.localdate()
    if values.get("status") != MeasureStatus.DONE and "status" in changes:
        values["completed_on"] = changes["completed_on"] = None
    _check_measure(values, errors)
    if errors:
        raise AssistanceError(errors)
    for name, value in changes.items():
        setattr(measure, name, value.strip() if isinstance(value, str) else value)
    measure.save()
    changed = diff(before, snapshot(measure))
    changed.pop("updated_at", None)
    if changed:
        record(
            by=by,
            action="update_measure",
            target=measure,
            household=household,
            scope_code=household.village_id,
            changes=changed,
        )
    return measure


# ---------------------------------------------------------------- visits (走访)


def _clean_photo(photo: File, errors: dict) -> ContentFile | None:
    """The photo re-encoded as a metadata-free JPEG (fupin.core.images), or None with the reason in
    `errors`."""
    try:
        return images.clean_photo(photo, max_bytes=MAX_PHOTO_BYTES)
    except images.ImageRefused as e:
        errors["photos"] = str(e)
        return None


def _visiting_helper(by: User, household: Household, helper: Helper | None, errors: dict) -> Helper | None:
    """Who went: the helper themself, else the one named, else the household's current pair."""
    if permissions.is_helper(by):
        own = remembered(("own_helper", by.pk), lambda: Helper.objects.filter(user=by).first())
        if own is None:
            raise ScopeError(gettext("您的账号未关联帮扶责任人"))
        if helper is not None and helper.pk != own.pk:
            errors["helper"] = gettext("帮扶责任人只能录入本人的走访")
        helper = own
    if helper is None:
        current = (
            Pairing.objects.filter(household=household, ended_on__isnull=True)
            .select_related("helper")
            .first()
        )
        helper = current.helper if current else None
    if helper is None:
        errors["helper"] = gettext("该户尚未结对，请选择走访人")
    elif not household.village_id.startswith(helper.region_id):
        errors["helper"] = gettext("%(name)s的工作区域不包括该户所在村") % {"name": helper.name}
    return helper


@transaction.atomic
def record_visit(
    household: Household,
    *,
    by: User,
    visited_on: datetime.date,
    findings: str,
    helper: Helper | None = None,
    kind: str = VisitKind.HOME,
    problems: str = "",
    guarantees: dict[str, bool] | None = None,
    guarantee_notes: dict[str, str] | None = None,
    photos: Iterable[File] = (),
) -> Visit:
    """Record a visit. A helper records their own visits; others name the helper who went (default: the paired
    one)."""
    ensure_role(permissions.can_visit(by), "您的角色不能录入走访记录")
    ensure_household(by, household)
    errors: dict = {}
    helper = _visiting_helper(by, household, helper, errors)
    check_date(visited_on, errors, "visited_on")
    if isinstance(visited_on, datetime.date) and visited_on.year < EARLIEST_VISIT_YEAR:
        errors["visited_on"] = gettext(VISIT_MESSAGES["date_wrong"])
    if kind not in VisitKind.values:
        errors["kind"] = gettext(VISIT_MESSAGES["kind"])
    findings = (findings or "").strip()
    if not findings:
        errors["findings"] = gettext(VISIT_MESSAGES["findings"])
    guarantees = {k: bool(v) for k, v in (guarantees or {}).items() if v is not None}
    unknown = set(guarantees) - set(GUARANTEES)
    if unknown:
        errors["guarantees"] = gettext("未知的保障项：%(value)s") % {"value": ", ".join(sorted(unknown))}
    notes = {k: v.strip() for k, v in (guarantee_notes or {}).items() if k in GUARANTEES and v and v.strip()}
    for item, met in guarantees.items():
        if met is False and not notes.get(item):
            errors[f"note_{item}"] = gettext(VISIT_MESSAGES["note"])
        elif met is False and len(notes[item]) > NOTE_MAX_LENGTH:
            errors[f"note_{item}"] = gettext(VISIT_MESSAGES["note_long"]).format(limit=NOTE_MAX_LENGTH)
    uploads = list(photos or [])
    cleaned: list[ContentFile | None] = []
    if len(uploads) > MAX_PHOTOS_PER_VISIT:
        errors["photos"] = gettext(VISIT_MESSAGES["photos"]).format(limit=MAX_PHOTOS_PER_VISIT)
    else:
        cleaned = [_clean_photo(photo, errors) for photo in uploads]
    if errors:
        raise AssistanceError(errors)
    assert helper is not None  # _visiting_helper refuses a visit without one
    visit = Visit.objects.create(
        household=household,
        helper=helper,
        visited_on=visited_on,
        kind=kind,
        findings=findings,
        problems=(problems or "").strip(),
        guarantees=guarantees,
        guarantee_notes={k: v for k, v in notes.items() if guarantees.get(k) is False},
        recorded_by=by,
    )
    names = []
    for photo in cleaned:  # all of them cleaned: a refused one is in `errors`
        saved = VisitPhoto.objects.create(visit=visit, image=photo)
        names.append(saved.image.name)
    record(
        by=by,
        action="record_visit",
        target=visit,
        household=household,
        scope_code=household.village_id,
        changes={
            "visited_on": [None, str(visited_on)],
            "helper": [None, helper.name],
            "kind": [None, kind],
            "findings": [None, findings],
            "guarantees": [None, guarantees],
            "photos": [None, names],
        }
        | ({"problems": [None, visit.problems]} if visit.problems else {}),
    )
    return visit


# ---------------------------------------------------------------- handbook batches and monitoring reports


def start_handbook_batch(*, by: User, village_code: str, kind: str = BatchKind.HANDBOOK) -> HandbookBatch:
    """Queue the handbooks (or the registration forms, ID numbers masked) of every registered household of a
    village; the page polls the batch's progress."""
    # Cycle breaker: the task module imports the handbook builder, which reads through selectors importing
    # services.
    from .tasks import build_village_handbooks
    from .work import settle as work_settle

    village = region_of_levels(village_code, field="village", levels=(RegionLevel.VILLAGE,))
    ensure_region(by, village.code)
    ensure_role(permissions.can_print_handbooks(by), "您的角色不能批量生成扶贫手册")
    if kind not in BatchKind.values:
        raise AssistanceError({"kind": gettext("请选择生成内容")})
    running = HandbookBatch.objects.filter(
        village=village, kind=kind, status__in=(BatchStatus.PENDING, BatchStatus.RUNNING)
    ).first()
    if running and running.status == BatchStatus.RUNNING and work_settle(running.pk):
        running = None  # its process had died: now failed, it no longer holds the village
    if running:
        raise AssistanceError(
            {
                "village": gettext("%(name)s的手册正在生成中（已完成%(done)s/%(total)s户），请稍候")
                % {"name": village.name, "done": running.done, "total": running.total}
            }
        )
    with transaction.atomic():
        batch = HandbookBatch.objects.create(village=village, requested_by=by, kind=kind)
        record(
            by=by,
            action="start_handbook_batch",
            target=batch,
            scope_code=village.code,
            changes={"village": [None, village.code], "kind": [None, kind]},
        )
    result = build_village_handbooks.enqueue(batch.pk)
    HandbookBatch.objects.filter(pk=batch.pk, task_id="").update(task_id=str(result.id)[:64])
    batch.refresh_from_db()
    return batch


@transaction.atomic
def submit_monitoring(*, by: User, region_code: str, year: int, month: int) -> MonitoringReport:
    """Report the June or December helper monitoring of a township (or county) up to the county office."""
    from .selectors import helper_monitoring  # cycle breaker: the selectors import these services

    ensure_role(permissions.can_report_monitoring(by), "只有乡镇、县扶贫办可以上报帮扶监测结果")
    region = region_of_levels(region_code, levels=(RegionLevel.COUNTY, RegionLevel.TOWNSHIP))
    ensure_region(by, region.code)
    if month not in (6, 12):
        raise AssistanceError({"month": gettext("监测在每年6月和12月各开展一次")})
    report = helper_monitoring(by, year=year, month=month, region=region.code)
    rows = [{k: (str(v) if isinstance(v, Decimal) else v) for k, v in row.items()} for row in report["rows"]]
    totals = {k: (str(v) if isinstance(v, Decimal) else v) for k, v in report["totals"].items()}
    existing = MonitoringReport.objects.filter(region=region, year=year, month=month).first()
    obj, created = MonitoringReport.objects.update_or_create(
        region=region, year=year, month=month, defaults={"totals": totals, "rows": rows, "submitted_by": by}
    )
    record(
        by=by,
        action="submit_monitoring",
        target=obj,
        scope_code=region.code,
        changes={"totals": [existing.totals if existing else None, totals]},
    )
    return obj
