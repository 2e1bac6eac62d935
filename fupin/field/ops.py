"""Each kind of change a phone sends, applied through the service that owns it (the same rules and Chinese
messages as the web): a visit (assistance), a look-back checklist (monitoring), a declaration's verification
(declarations), a help measure's progress (assistance), a member's or household's own fields (registry, merged
field by field), a change request (changes: a member born, died, married out or moved in; incomes)."""

import base64
import binascii
import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.base import ContentFile
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext

from fupin.accounts.models import User
from fupin.accounts.scope import household_filter
from fupin.assistance import services as assistance
from fupin.assistance.models import HelpMeasure
from fupin.changes import services as changes
from fupin.declarations import cases
from fupin.declarations import services as declarations
from fupin.declarations.models import Declaration
from fupin.declarations.permissions import can_verify
from fupin.monitoring import services as monitoring
from fupin.monitoring.models import CHECK_ITEMS, LookBackItem
from fupin.procedures.models import BatchHousehold, EntryState, Stage
from fupin.registry import services as registry
from fupin.registry.models import Household, Member

from .merge import Merge, three_way, typed
from .models import Device, PhotoTrace, VisitTrace
from .services import FieldError
from .traces import dhash

# What a phone may change of a household and a member directly (the rest goes through a change request).
HOUSEHOLD_FIELDS = frozenset({"phone", "address", "is_dangerous_house", "water_safe", "has_sanitary_toilet"})
MEMBER_FIELDS = frozenset({"phone", "health", "schooling", "work_status", "work_months"})
MEASURE_FIELDS = frozenset({"status", "actual_amount", "result", "income_increase", "completed_on"})
CHANGE_KINDS = ("member_join", "member_leave", "income_correction")
NOTICE_STAGES = (Stage.FIRST_NOTICE, Stage.SECOND_NOTICE)
DATE_FORMAT = "须为日期，格式 YYYY-MM-DD"  # a visit's or a checklist's date the phone sent empty or malformed


@dataclass
class Context:
    by: User
    device: Device
    household: Household | None
    data: dict
    device_time: datetime.datetime | None
    later: list[models.Model] = field(
        default_factory=list
    )  # rows the sync writes in bulk once the change held


@dataclass
class Applied:
    message: str
    record: tuple[str, int] | None = None
    merge: Merge | None = None
    model: type[models.Model] | None = None
    label: str = ""
    extra: dict = field(default_factory=dict)


def _need_household(ctx: Context) -> Household:
    if ctx.household is None:
        raise FieldError({"household": gettext("必填")})
    return ctx.household


def ensure_not_locked(household: Household) -> None:
    """A household on a running 7-day notice takes no edit from a phone: the list posted must stay what it
    is."""
    entry = (
        BatchHousehold.objects.filter(
            household=household,
            state__in=[EntryState.PROPOSED, EntryState.SELECTED],
            batch__stage__in=NOTICE_STAGES,
        )
        .select_related("batch")
        .first()
    )
    if entry is not None:
        batch = entry.batch
        raise FieldError(
            gettext(
                "该户正在%(year)s年%(kind)s的%(stage)s期间（7天），公示期间不能修改户的信息，请公示结束后再提交"
            )
            % {"year": batch.year, "kind": batch.get_kind_display(), "stage": batch.get_stage_display()}
        )


def _date(value: Any, key: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(str(value))
    except (TypeError, ValueError):
        raise FieldError({key: DATE_FORMAT}) from None


def _pk(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldError({key: gettext("须为整数")})
    return value


def _photos(data: dict) -> tuple[list[ContentFile], list[datetime.datetime | None]]:
    raw = data.get("photos") or []
    if not isinstance(raw, list):
        raise FieldError({"photos": gettext("须为列表")})
    files, times = [], []
    for i, photo in enumerate(raw, 1):
        try:
            content = base64.b64decode(str(photo.get("data", "")).split(",")[-1], validate=True)
        except (binascii.Error, ValueError, AttributeError):
            raise FieldError({"photos": gettext("第%(number)s张照片的数据无效") % {"number": i}}) from None
        files.append(ContentFile(content, name=f"field-{i}.jpg"))
        times.append(_moment(photo.get("taken_at")))
    return files, times


def _moment(value: Any) -> datetime.datetime | None:
    if not value:
        return None
    try:
        moment = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _coordinate(value: Any, limit: int) -> Decimal | None:
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        return None
    return number if abs(number) <= limit else None


def visit(ctx: Context) -> Applied:
    household = _need_household(ctx)
    data = ctx.data
    files, times = _photos(data)
    recorded = assistance.record_visit(
        household,
        by=ctx.by,
        visited_on=_date(data.get("visited_on"), "visited_on"),
        findings=str(data.get("findings") or ""),
        kind=str(data.get("kind") or "home"),
        problems=str(data.get("problems") or ""),
        guarantees=data.get("guarantees") if isinstance(data.get("guarantees"), dict) else None,
        guarantee_notes=data.get("guarantee_notes")
        if isinstance(data.get("guarantee_notes"), dict)
        else None,
        photos=files,
    )
    accuracy = data.get("accuracy")
    ctx.later.append(
        VisitTrace(
            visit=recorded,
            device=ctx.device,
            device_time=ctx.device_time or timezone.now(),
            latitude=_coordinate(data.get("latitude"), 90) if data.get("latitude") is not None else None,
            longitude=_coordinate(data.get("longitude"), 180) if data.get("longitude") is not None else None,
            accuracy_m=int(accuracy)
            if isinstance(accuracy, (int, float)) and 0 <= accuracy < 10**6
            else None,
        )
    )
    for photo, taken in zip(recorded.photos.all() if times else (), times, strict=False):
        with photo.image.open("rb") as f:
            ctx.later.append(PhotoTrace(photo=photo, taken_at=taken, dhash=dhash(f)))
    return Applied("走访记录已保存", ("visit", recorded.pk))


def lookback(ctx: Context) -> Applied:
    household = _need_household(ctx)
    data = ctx.data
    item = LookBackItem.objects.get(pk=_pk(data.get("item"), "item"), household=household)
    results = data.get("results")
    if not isinstance(results, dict) or set(results) - set(CHECK_ITEMS):
        raise FieldError({"results": gettext("须为核查项目到 true/false 的对象")})
    current = {i: getattr(item, i) for i in CHECK_ITEMS}
    base = data.get("base") if isinstance(data.get("base"), dict) else {}
    merge = three_way(current, base, results, stale=item.checked_on is not None)
    final = current | merge.apply
    sent = data.get("notes")
    sent = sent if isinstance(sent, dict) else {}
    notes = dict(item.notes or {}) | {k: str(v) for k, v in sent.items() if k in merge.apply}
    monitoring.record_lookback_item(
        item,
        by=ctx.by,
        results=final,
        notes=notes,
        checked_on=_date(data.get("checked_on"), "checked_on"),
    )
    return Applied("回头看核查已保存", ("lookback_item", item.pk), merge, LookBackItem, str(item.campaign))


def declaration(ctx: Context) -> Applied:
    data = ctx.data
    # only a declaration of the user's own scope, as the work set lists them: another's is "not found", never
    # a refusal that confirms it exists
    scope = household_filter(ctx.by, "household__", region_field="village_id")
    if scope is None:
        raise Declaration.DoesNotExist
    found = Declaration.objects.filter(scope).get(pk=_pk(data.get("declaration"), "declaration"))
    findings = str(data.get("findings") or "")
    if can_verify(ctx.by, found):
        cases.verify(found, by=ctx.by, findings=findings)
        return Applied("已入户核实，进入评议审核", ("declaration", found.pk))
    declarations.record_visit(found, by=ctx.by, findings=findings)
    return Applied("入户核实情况已记录，待村里确认", ("declaration", found.pk))


def measure(ctx: Context) -> Applied:
    household = _need_household(ctx)
    ensure_not_locked(household)
    data = ctx.data
    found = HelpMeasure.objects.select_related("plan").get(
        pk=_pk(data.get("measure"), "measure"), plan__household=household
    )
    mine = typed(HelpMeasure, set(MEASURE_FIELDS), data.get("changes"), key="changes")
    current = {name: getattr(found, name) for name in MEASURE_FIELDS}
    merge = three_way(current, data.get("base") if isinstance(data.get("base"), dict) else None, mine)
    if merge.apply:
        assistance.update_measure(found, by=ctx.by, **merge.apply)
    return Applied("帮扶措施已更新", ("measure", found.pk), merge, HelpMeasure, str(found.content))


def _edit(ctx: Context, record: Any, allowed: frozenset, save: Callable[[dict], object]) -> Merge:
    data = ctx.data
    mine = typed(type(record), set(allowed), data.get("changes"), key="changes")
    version = data.get("version")
    stale = not isinstance(version, int) or version != record.version
    current = {name: getattr(record, name) for name in allowed}
    merge = three_way(
        current, data.get("base") if isinstance(data.get("base"), dict) else None, mine, stale=stale
    )
    if merge.apply:
        save(merge.apply)
    return merge


def member(ctx: Context) -> Applied:
    household = _need_household(ctx)
    ensure_not_locked(household)
    found = Member.objects.select_for_update().get(
        pk=_pk(ctx.data.get("member"), "member"), household=household
    )
    merge = _edit(
        ctx, found, MEMBER_FIELDS, lambda values: registry.update_member(found, by=ctx.by, **values)
    )
    return Applied("成员信息已更新", ("member", found.pk), merge, Member, found.name)


def household_fields(ctx: Context) -> Applied:
    household = _need_household(ctx)
    ensure_not_locked(household)
    locked = Household.objects.select_for_update().get(pk=household.pk)
    merge = _edit(
        ctx, locked, HOUSEHOLD_FIELDS, lambda values: registry.update_household(locked, by=ctx.by, **values)
    )
    return Applied("户信息已更新", ("household", locked.pk), merge, Household, f"户{locked.number}")


def change_request(ctx: Context) -> Applied:
    household = _need_household(ctx)
    ensure_not_locked(household)
    data = ctx.data
    kind = data.get("change_kind")
    if kind not in CHANGE_KINDS:
        raise FieldError(
            {"change_kind": gettext("取值无效，可选：%(choices)s") % {"choices": ", ".join(CHANGE_KINDS)}}
        )
    payload = data.get("payload")
    if not isinstance(payload, dict):
        raise FieldError({"payload": gettext("须为 JSON 对象")})
    request = changes.propose(
        household,
        by=ctx.by,
        kind=kind,
        payload=payload,
        reason=str(data.get("reason") or ""),
        evidence_reference=str(data.get("evidence_reference") or ""),
    )
    return Applied("变更申请已提交，待乡镇审核", ("change_request", request.pk))


KINDS = {
    "visit": visit,
    "lookback": lookback,
    "declaration": declaration,
    "measure": measure,
    "member": member,
    "household": household_fields,
    "change_request": change_request,
}
