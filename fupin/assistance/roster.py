"""The roster of assistance work: helper units and helpers (帮扶单位、帮扶责任人), their logins, and their
import from a spreadsheet; each verb in a transaction with its audit entry, like services.py."""

import secrets
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import File
from django.db import transaction
from django.db.models import Choices
from django.utils.translation import gettext
from openpyxl import load_workbook

from fupin.accounts.models import Role, User
from fupin.accounts.services import PasswordRefused, check_password_allowed
from fupin.audit.services import diff, record, snapshot
from fupin.core import files
from fupin.regions.models import Region, RegionLevel
from fupin.registry import codes

from . import permissions
from .models import (
    Helper,
    HelperKind,
    HelperUnit,
    UnitKind,
)
from .services import AssistanceError, ensure_region, ensure_role, region_of_levels


def _clean_phone(phone: str, errors: dict, field: str = "phone", required: bool = True) -> str:
    phone = (phone or "").strip().replace(" ", "").replace("-", "")
    if not phone:
        if required:
            errors[field] = gettext("请填写联系电话")
        return ""
    if not phone.isdigit() or not 7 <= len(phone) <= 12:
        errors[field] = gettext("联系电话应为7到12位数字（手机或座机）")
    return phone


@transaction.atomic
def create_unit(
    *,
    by: User,
    name: str,
    region_code: str,
    kind: str = UnitKind.PARTY_GOVERNMENT,
    contact_person: str = "",
    contact_phone: str = "",
    address: str = "",
) -> HelperUnit:
    ensure_role(permissions.can_manage(by), "只有乡镇、县扶贫办可以登记帮扶单位")
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = gettext("请填写单位名称")
    if kind not in UnitKind.values:
        errors["kind"] = gettext("请选择单位类型")
    contact_phone = _clean_phone(contact_phone, errors, "contact_phone", required=False)
    region = region_of_levels(region_code)
    ensure_region(by, region.code)
    if name and HelperUnit.objects.filter(region=region, name=name).exists():
        errors["name"] = gettext("%(name)s已登记名为“%(name2)s”的帮扶单位") % {
            "name": region.name,
            "name2": name,
        }
    if errors:
        raise AssistanceError(errors)
    unit = HelperUnit.objects.create(
        name=name,
        kind=kind,
        region=region,
        contact_person=(contact_person or "").strip(),
        contact_phone=contact_phone,
        address=(address or "").strip(),
    )
    record(
        by=by,
        action="create_helper_unit",
        target=unit,
        scope_code=region.code,
        changes={
            k: [None, v]
            for k, v in snapshot(unit).items()
            if v not in (None, "") and k not in ("id", "created_at")
        },
    )
    return unit


@transaction.atomic
def create_helper(
    *,
    by: User,
    unit: HelperUnit,
    name: str,
    phone: str,
    region_code: str,
    kind: str = HelperKind.CADRE,
    position: str = "",
) -> Helper:
    ensure_role(permissions.can_manage(by), "只有乡镇、县扶贫办可以登记帮扶责任人")
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = gettext("请填写姓名")
    if kind not in HelperKind.values:
        errors["kind"] = gettext("请选择帮扶身份")
    phone = _clean_phone(phone, errors)
    region = region_of_levels(region_code)
    ensure_region(by, region.code)
    if (
        kind in (HelperKind.FIRST_SECRETARY, HelperKind.WORK_TEAM, HelperKind.TEAM_LEADER)
        and region.level != RegionLevel.VILLAGE
    ):
        errors["region"] = gettext("%(value)s须驻在一个行政村") % {"value": HelperKind(kind).label}
    if name and phone and Helper.objects.filter(unit=unit, name=name, phone=phone).exists():
        errors["name"] = gettext("%(name)s已登记%(name2)s（%(phone)s）") % {
            "name": unit.name,
            "name2": name,
            "phone": phone,
        }
    if errors:
        raise AssistanceError(errors)
    helper = Helper.objects.create(
        unit=unit, name=name, kind=kind, position=(position or "").strip(), phone=phone, region=region
    )
    record(
        by=by,
        action="create_helper",
        target=helper,
        scope_code=region.code,
        changes={
            k: [None, v]
            for k, v in snapshot(helper).items()
            if v not in (None, "") and k not in ("id", "created_at")
        },
    )
    return helper


HELPER_EDITABLE = {"name", "kind", "position", "phone", "active", "unit"}


@transaction.atomic
def update_helper(helper: Helper, *, by: User, **changes: Any) -> Helper:
    ensure_role(permissions.can_manage(by), "只有乡镇、县扶贫办可以修改帮扶责任人")
    ensure_region(by, helper.region_id)
    unknown = set(changes) - HELPER_EDITABLE
    if unknown:
        raise AssistanceError(gettext("未知字段：%(value)s") % {"value": ", ".join(sorted(unknown))})
    helper = Helper.objects.select_for_update().get(pk=helper.pk)
    before = snapshot(helper)
    errors: dict[str, str] = {}
    if "phone" in changes:
        changes["phone"] = _clean_phone(changes["phone"], errors)
    if "name" in changes and not (changes["name"] or "").strip():
        errors["name"] = gettext("请填写姓名")
    if changes.get("active") is False and helper.active:
        load = helper.pairings.filter(ended_on__isnull=True).count()
        if load:
            errors["active"] = gettext("%(name)s仍结对%(load)s户，请先将这些户调整给其他帮扶责任人") % {
                "name": helper.name,
                "load": load,
            }
    if errors:
        raise AssistanceError(errors)
    for k, v in changes.items():
        setattr(helper, k, v.strip() if isinstance(v, str) else v)
    helper.save()
    changed = diff(before, snapshot(helper))
    if changed:
        record(by=by, action="update_helper", target=helper, scope_code=helper.region_id, changes=changed)
    return helper


@transaction.atomic
def give_helper_login(helper: Helper, *, by: User, username: str, password: str) -> User:
    """A sign-in for the helper (role 帮扶责任人, bound to their work region): they see only their own
    households."""
    ensure_role(permissions.can_manage(by), "只有乡镇、县扶贫办可以为帮扶责任人开通账号")
    ensure_region(by, helper.region_id)
    username = (username or "").strip()
    errors = {}
    if helper.user is not None:
        errors["username"] = gettext("%(name)s已有登录账号 %(username)s") % {
            "name": helper.name,
            "username": helper.user.username,
        }
    if not username:
        errors["username"] = gettext("请填写登录名")
    elif User.objects.filter(username=username).exists():
        errors["username"] = gettext("登录名 %(username)s 已被使用") % {"username": username}
    user = User(username=username, role=Role.HELPER, region_id=helper.region_id, full_name=helper.name)
    try:
        check_password_allowed(password or "", user)  # Django's password validators, as for every password
    except PasswordRefused as e:
        errors["password"] = "；".join(e.messages)
    if errors:
        raise AssistanceError(errors)
    user.set_password(password)
    user.save()
    helper.user = user
    helper.save(update_fields=["user"])
    record(
        by=by,
        action="create_user",
        target=user,
        scope_code=helper.region_id,
        changes={
            "username": [None, username],
            "role": [None, Role.HELPER],
            "region": [None, helper.region_id],
            "helper": [None, helper.pk],
        },
    )
    return user


# ---------------------------------------------------------------- importing helpers from a spreadsheet

HELPER_COLUMNS = {
    "帮扶单位": "unit",
    "单位类型": "unit_kind",
    "姓名": "name",
    "帮扶身份": "kind",
    "职务": "position",
    "联系电话": "phone",
    "工作区划代码": "region_code",
    "登录名": "username",
}
REQUIRED_HELPER_COLUMNS = ("帮扶单位", "姓名", "联系电话", "工作区划代码")


@dataclass
class HelperImportResult:
    units_created: int = 0
    helpers_created: int = 0
    helpers_unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (row number, message)
    temporary_passwords: dict[str, str] = field(default_factory=dict)  # username -> password


def read_helper_sheet(file: File) -> list[dict]:
    """Rows of the helper template (.xlsx) as dicts keyed by field; row numbers as in Excel."""
    try:
        files.check_xlsx(file, files.small_sheet_limits())  # before openpyxl unpacks anything
    except files.FileRefused as e:
        raise AssistanceError({"file": str(e)}) from None
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception:
        raise AssistanceError(
            {"file": gettext("无法读取文件：请上传 Excel（.xlsx）格式的帮扶责任人名单")}
        ) from None
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    first = next(rows, None)
    if not first:
        raise AssistanceError({"file": gettext("文件是空的")})
    header = [str(h or "").strip() for h in first]
    missing = [c for c in REQUIRED_HELPER_COLUMNS if c not in header]
    if missing:
        raise AssistanceError(
            {"file": (gettext("缺少列：%(value)s（第一行须为列名）") % {"value": "、".join(missing)})}
        )
    out = []
    for number, values in enumerate(rows, start=2):
        if values is None or all(v in (None, "") for v in values):
            continue
        row: dict[str, object] = {"_row": number}
        # strict=False: a row may be shorter or longer than the heading row
        for title, value in zip(header, values, strict=False):
            if title in HELPER_COLUMNS:
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                row[HELPER_COLUMNS[title]] = "" if value is None else str(value).strip()
        out.append(row)
        if len(out) > 20000:
            raise AssistanceError({"file": gettext("一次最多导入20000行，请分批导入")})
    workbook.close()
    return out


def _lookup_choice(choices: type[Choices], text: str, default: str) -> str | None:
    text = (text or "").strip()
    if not text:
        return default
    return codes.lookup(choices, text)


def _check_helper_row(
    row: dict, *, by: User, regions: dict, taken: set, seen: set
) -> tuple[list[str], tuple]:
    """One row of the helper sheet: its problems, and (row, region, kind, unit kind, phone, login) to plan."""
    problems = []
    region = regions.get(row.get("region_code", ""))
    if region is None:
        problems.append(f"工作区划代码不存在：{row.get('region_code', '')}")
    elif region.level not in (RegionLevel.COUNTY, RegionLevel.TOWNSHIP, RegionLevel.VILLAGE):
        problems.append(f"{region.name}不是县、乡或村")
    elif not by.in_scope(region.code):
        problems.append(f"{region.name}不在您的管辖范围内")
    kind = _lookup_choice(HelperKind, row.get("kind", ""), HelperKind.CADRE)
    if kind is None:
        problems.append(f"帮扶身份应为：{'、'.join(str(k.label) for k in HelperKind)}")
    elif region is not None and kind != HelperKind.CADRE and region.level != RegionLevel.VILLAGE:
        problems.append(f"{HelperKind(kind).label}的工作区划须为行政村")
    unit_kind = _lookup_choice(UnitKind, row.get("unit_kind", ""), UnitKind.PARTY_GOVERNMENT)
    if unit_kind is None:
        problems.append(f"单位类型应为：{'、'.join(str(k.label) for k in UnitKind)}")
    if not row.get("unit"):
        problems.append("帮扶单位不能为空")
    if not row.get("name"):
        problems.append("姓名不能为空")
    errs: dict = {}
    phone = _clean_phone(row.get("phone", ""), errs)
    problems.extend(errs.values())
    username = row.get("username", "")
    if username:
        if username in taken or username in seen:
            problems.append(f"登录名 {username} 已被使用")
        seen.add(username)
    return problems, (row, region, kind, unit_kind, phone, username)


def _import_unit(
    by: User, unit_region: str, name: str, unit_kind: str, result: HelperImportResult
) -> HelperUnit:
    """The unit of that name at the county, created (and audited) when the import is its first mention."""
    unit = HelperUnit.objects.filter(region_id=unit_region, name=name).first()
    if unit is None:
        unit = HelperUnit.objects.create(name=name, kind=unit_kind, region_id=unit_region)
        record(
            by=by,
            action="create_helper_unit",
            target=unit,
            scope_code=unit_region,
            changes={"name": [None, unit.name], "import": [None, True]},
        )
        result.units_created += 1
    return unit


def import_helpers(*, by: User, rows: list[dict]) -> HelperImportResult:
    """Units and helpers from the template's rows: every row checked first; nothing saved if any row is wrong.

    A row whose helper (same unit, name and phone) already exists is left as it is, so the
    same list may be imported twice. A 登录名 gives the helper a sign-in with a temporary password.
    """
    ensure_role(permissions.can_manage(by), "只有乡镇、县扶贫办可以导入帮扶责任人")
    result = HelperImportResult()
    regions = {r.code: r for r in Region.objects.filter(code__in={r.get("region_code", "") for r in rows})}
    usernames = [r.get("username") for r in rows if r.get("username")]
    taken = set(User.objects.filter(username__in=usernames).values_list("username", flat=True))
    seen_usernames: set[str] = set()
    plan = []
    for row in rows:
        problems, planned = _check_helper_row(row, by=by, regions=regions, taken=taken, seen=seen_usernames)
        if problems:
            result.errors.append((row["_row"], "；".join(problems)))
        else:
            plan.append(planned)
    if result.errors:
        return result
    with transaction.atomic():
        units: dict[tuple[str, str], HelperUnit] = {}
        for row, region, kind, unit_kind, phone, username in plan:
            # A unit is registered at the county it works in, whatever level its helpers are bound to.
            unit_region = region.code[:6]
            key = (unit_region, row["unit"])
            unit = units.get(key) or _import_unit(by, unit_region, row["unit"], unit_kind, result)
            units[key] = unit
            if Helper.objects.filter(unit=unit, name=row["name"], phone=phone).exists():
                result.helpers_unchanged += 1
                continue
            helper = Helper.objects.create(
                unit=unit,
                name=row["name"],
                kind=kind,
                position=row.get("position", ""),
                phone=phone,
                region=region,
            )
            record(
                by=by,
                action="create_helper",
                target=helper,
                scope_code=region.code,
                changes={
                    "name": [None, helper.name],
                    "unit": [None, unit.name],
                    "region": [None, region.code],
                    "import": [None, True],
                },
            )
            result.helpers_created += 1
            if username:
                password = secrets.token_urlsafe(9)
                give_helper_login(helper, by=by, username=username, password=password)
                result.temporary_passwords[username] = password
    return result
