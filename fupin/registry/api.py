"""The registry in the JSON API: households, members, yearly incomes and guarantees, and their audit trail.

Thin by design: an endpoint checks the request's shape, then calls a selector (reads, always
scoped to the caller) or a service (writes: they validate, enforce scope and role, and audit).
The input and output schemas are derived from the models' fields, so lengths, choices and
money precision cannot drift from what the database holds.
"""

import datetime
import json
from typing import Annotated, Any, Literal

from django.db import models
from django.db.models import OuterRef, Subquery
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext
from ninja import Body, Field, Path, Query, Router, Schema
from ninja.errors import HttpError
from ninja.responses import NinjaJSONEncoder, Status

from fupin.audit.access import Channel
from fupin.audit.chain import opened_changes
from fupin.audit.models import AuditEntry
from fupin.core import fragments, idnumber, versions
from fupin.core.api import (
    VERSIONED,
    CursorQuery,
    bounded_text,
    entry_version,
    errors_for,
    expected_version,
    stale,
)
from fupin.core.pagination import keyset_page
from fupin.regions import selectors as region_selectors
from fupin.regions.api import RegionCode
from fupin.regions.models import RegionLevel

from . import codes, masking, person_export, reveal, selectors, services
from .api_fields import (
    Date,
    InputSchema,
    _description,
    _dump,
    _input_schema,
    _input_type,
    _output_schema,
)
from .models import GUARANTEES, GuaranteeCheck, Household, IncomeRecord, Member

MAX_ID = 2**63 - 1
MAX_LIMIT = 200


def _mask(values: dict, *, sees_identifiers: bool, revealed: frozenset[str] = frozenset()) -> dict:
    """ID numbers, phones and bank accounts masked, and no birth date (its digits are the masked ones):
    fupin.registry.masking. Masked for every role unless the request revealed them (`?reveal=…&purpose=…`, a
    role that works with identifiers, logged: fupin.registry.reveal)."""
    shown = reveal.unmasked(revealed) if sees_identifiers else set()
    birth_date = "birth_date" in values and "birth_date" not in shown
    reveal.mask_values(values, revealed if sees_identifiers else ())
    if birth_date:
        values["birth_date"] = None  # the schema's date; the year is in birth_year
    return values


class RevealQuery(Schema):
    reveal: str | None = Field(
        None,
        description="要显示全文的字段，逗号分隔：id_number、phone、bank_account（或 all）。默认全部遮蔽；"
        "仅录入和审核角色可用，须同时给出 purpose，每次都记入查看记录",
    )
    purpose: str | None = Field(
        None, description="查看用途：verify、casework、contact、cross_check、inspection、edit、other"
    )
    note: str | None = Field(None, max_length=200, description="用途说明（purpose 为 other 时必填）")


def _revealed(user, query: RevealQuery | None, members, household=None) -> frozenset[str]:
    """The fields this request reveals, logged; 403 for a role that may not see them, 422 without a
    purpose."""
    if query is None or not query.reveal:
        return frozenset()
    fields = reveal.parse_fields(query.reveal)
    return reveal.reveal(
        members,
        by=user,
        fields=fields,
        purpose=query.purpose or "",
        note=query.note or "",
        channel=Channel.API,
        household=household,
    )


HOUSEHOLD_INPUT_FIELDS = sorted(services.HOUSEHOLD_EDITABLE - {"group", "other_causes"})
MEMBER_INPUT_FIELDS = sorted(services.MEMBER_EDITABLE)
INCOME_COMPONENTS = (*IncomeRecord.INCOME_FIELDS, "productive_expenditure")

HOUSEHOLD_EXTRA_INPUT = {
    "other_causes": (
        list[Literal[tuple(codes.PovertyCause.values)]],
        Field(None, max_length=len(codes.PovertyCause.values), description="其他致贫原因（代码列表）"),
    ),
    "group": (RegionCode | None, Field(None, description="自然村（组）代码，15位；null 表示不属于任何组")),
}


def _key_fact(name: str, rule: str):
    """A key fact in a request body: accepted only as its stored value (422 otherwise, naming the
    procedure)."""
    field = Household._meta.get_field(name)
    return _input_type(field), Field(None, description=f"{_description(field)}。只读：{rule}")


HouseholdPatchIn = _input_schema(
    "HouseholdPatchIn",
    Household,
    HOUSEHOLD_INPUT_FIELDS,
    extra=HOUSEHOLD_EXTRA_INPUT
    | {
        name: _key_fact(name, services.KEY_FIELD_MESSAGES[name] + "，与现值不同即拒绝（422）")
        for name in services.KEY_FIELDS
    },
    doc="只修改请求中给出的字段。户状态、贫困户属性、识别年度、脱贫年度只读。",
)
HouseholdCreateIn = _input_schema(
    "HouseholdCreateIn",
    Household,
    HOUSEHOLD_INPUT_FIELDS,
    extra=HOUSEHOLD_EXTRA_INPUT
    | {"village": (RegionCode, Field(..., description="行政村代码，12位"))}
    | {
        name: _key_fact(
            name, services.NEW_HOUSEHOLD_MESSAGE + "（status 只能为 unregistered 或 applicant，其余留空）"
        )
        for name in services.KEY_FIELDS
    },
    doc="新建一户（未建档）；户编号由系统按行政村生成，成员另行添加。",
)
# The ID number's length is left to the registry's own check, whose message says what is wrong with it.
MEMBER_TYPES = {"id_number": bounded_text(64)}
MemberPatchIn = _input_schema(
    "MemberPatchIn", Member, MEMBER_INPUT_FIELDS, types=MEMBER_TYPES, doc="只修改请求中给出的字段。"
)
MemberCreateIn = _input_schema(
    "MemberCreateIn",
    Member,
    MEMBER_INPUT_FIELDS,
    required=("name", "id_number", "relation"),
    types=MEMBER_TYPES,
    doc="性别和出生日期可省略，由身份证号推出；如填写须与身份证号一致。",
)
IncomeIn = _input_schema(
    "IncomeIn",
    IncomeRecord,
    INCOME_COMPONENTS,
    extra={
        "household_size": (
            Annotated[int, Field(ge=1, le=99)] | None,
            Field(None, description="家庭人口数；省略时取当前成员数"),
        )
    },
    doc="一年的收入与生产经营性支出（元）。省略的项目按 0 计；人均纯收入由系统计算。",
)


class GuaranteesIn(InputSchema):
    """两不愁三保障及饮水安全：每项是否达标；未达标的项须在 notes 中说明。"""

    checked_on: Date = Field(..., description="核查日期")
    food: bool = Field(..., description="不愁吃")
    clothing: bool = Field(..., description="不愁穿")
    education: bool = Field(..., description="义务教育有保障")
    medical: bool = Field(..., description="基本医疗有保障")
    housing: bool = Field(..., description="住房安全有保障")
    water: bool = Field(..., description="饮水安全有保障")
    notes: dict[Literal[GUARANTEES], bounded_text(500)] = Field(
        default_factory=dict, description="{项目: 说明}"
    )


class RemoveMemberIn(InputSchema):
    reason: bounded_text(200) = Field(..., description="减员原因（死亡、婚出、迁出……）")


class HouseholdFilters(CursorQuery):
    region: RegionCode | None = Field(None, description="只看此区划（代码前缀）下的户")
    q: bounded_text(50) = Field(
        "",
        description="户主或成员姓名的开头、姓名拼音首字母的开头、户编号的开头，或身份证号（完整18位；"
        "能查看完整身份证号的角色也可给出其中连续6位以上）",
    )
    status: Literal[("", *codes.HouseholdStatus.values)] = ""
    household_type: Literal[("", *codes.HouseholdType.values)] = ""
    cause: Literal[("", *codes.PovertyCause.values)] = Field("", description="主要致贫原因")
    income_band: Literal[("", *selectors.INCOME_BANDS)] = Field("", description="最近年人均纯收入区间（元）")
    offset: int = Field(0, ge=0, le=2**31 - 1, description="（旧参数）第一页从第几条开始；翻页请用 cursor")


class Page(CursorQuery):
    offset: int = Field(0, ge=0, le=2**31 - 1, description="（旧参数）第一页从第几条开始；翻页请用 cursor")


# ---------------------------------------------------------------- output schemas

HOUSEHOLD_LIST_FIELDS = (
    "id",
    "number",
    "village",
    "group",
    "status",
    "household_type",
    "primary_cause",
    "head_name",
    "size",
    "latest_income",
    "phone",
    "registration_year",
    "exit_year",
    "flags",
)
HOUSEHOLD_DETAIL_FIELDS = (
    "id",
    "number",
    "village",
    "group",
    "head_name",
    "head_initials",
    "size",
    "latest_income",
    *HOUSEHOLD_INPUT_FIELDS,
    "other_causes",
    "flags",
    "created_at",
    "updated_at",
    "version",
)
MEMBER_FIELDS = ("id", "household", *MEMBER_INPUT_FIELDS, "version")
INCOME_FIELDS = (
    "year",
    *INCOME_COMPONENTS,
    "household_size",
    "per_capita_net_income",
    "recorded_at",
    "version",
)
GUARANTEE_FIELDS = ("year", "checked_on", *GUARANTEES, "notes", "version")
AUDIT_FIELDS = (
    "id",
    "at",
    "username",
    "role",
    "region_code",
    "action",
    "target_type",
    "target_id",
    "target_label",
    "changes",
)

MemberOut = _output_schema(
    "MemberOut",
    Member,
    MEMBER_FIELDS,
    extra={
        "birth_date": (
            datetime.date | None,
            Field(..., description="出生日期；不能查看完整身份证号的角色为 null（见 birth_year）"),
        ),
        "birth_year": (int | None, Field(..., description="出生年份")),
    },
)
IncomeOut = _output_schema(
    "IncomeOut",
    IncomeRecord,
    INCOME_FIELDS,
    extra={
        "total_income": (str, Field(..., description="收入合计（元）")),
    },
)
GuaranteeOut = _output_schema(
    "GuaranteeOut",
    GuaranteeCheck,
    GUARANTEE_FIELDS,
    extra={
        "all_met": (bool, Field(..., description="全部达标")),
        "unmet": (list[str], Field(..., description="未达标的项目")),
        "has_evidence": (bool, Field(..., description="是否已上传佐证材料")),
    },
)
HouseholdListItem = _output_schema(
    "HouseholdListItem",
    Household,
    HOUSEHOLD_LIST_FIELDS,
    extra={
        "village_name": (str, ...),
        "head_id_number": (str, Field(..., description="户主身份证号（列表中总是脱敏）")),
    },
)
HouseholdDetail = _output_schema(
    "HouseholdDetail",
    Household,
    HOUSEHOLD_DETAIL_FIELDS,
    extra={
        "village_name": (str, ...),
        "group_name": (str | None, ...),
        "members": (list[MemberOut], ...),
        "incomes": (list[IncomeOut], ...),
        "guarantees": (list[GuaranteeOut], ...),
    },
)
AuditOut = _output_schema(
    "AuditOut",
    AuditEntry,
    AUDIT_FIELDS,
    extra={
        "changes": (
            dict[str, Any],
            Field(
                ..., description="{字段: [原值, 新值]}；身份证号、电话、银行账号按角色脱敏，出生日期只给年份"
            ),
        ),
    },
)


class HouseholdPage(Schema):
    count: int
    limit: int
    offset: int
    next: str | None = Field(..., description="下一页的游标（作为 cursor 传回）；最后一页为 null")
    results: list[HouseholdListItem]


class AuditPage(Schema):
    count: int
    limit: int
    offset: int
    next: str | None = Field(..., description="下一页的游标（作为 cursor 传回）；最后一页为 null")
    results: list[AuditOut]


def record_out(obj: models.Model, fields, user) -> dict:
    """A record's fields as the API shows them to `user`: identifiers masked for the roles that may not see
    them."""
    return _mask(_dump(obj, fields), sees_identifiers=user.sees_identifiers)


def member_out(member: Member, user, revealed: frozenset[str] = frozenset()) -> dict:
    out = _dump(member, MEMBER_FIELDS) | {"birth_year": member.birth_date.year if member.birth_date else None}
    return _mask(out, sees_identifiers=user.sees_identifiers, revealed=revealed)


def income_out(income: IncomeRecord) -> dict:
    return _dump(income, INCOME_FIELDS) | {"total_income": f"{income.total_income:.2f}"}


def guarantee_out(check: GuaranteeCheck) -> dict:
    return _dump(check, GUARANTEE_FIELDS) | {
        "all_met": check.all_met,
        "unmet": check.unmet,
        "has_evidence": bool(check.evidence),
    }


def household_detail(user, pk: int, query: RevealQuery | None = None) -> dict:
    household = selectors.household_for(user, pk)
    members = list(household.members.all())
    revealed = _revealed(user, query, members, household)
    out = _mask(
        _dump(household, HOUSEHOLD_DETAIL_FIELDS), sees_identifiers=user.sees_identifiers, revealed=revealed
    )
    return out | {
        "village_name": household.village.name,
        "group_name": household.group.name if household.group_id else None,
        "members": [member_out(m, user, revealed) for m in members],
        "incomes": [income_out(i) for i in household.incomes.all()],
        "guarantees": [guarantee_out(g) for g in household.guarantee_checks.all()],
    }


def _ensure_can_edit(user) -> None:
    """Read-only roles get 403; called after the record was found in scope, so it reveals nothing."""
    if not user.can_edit_registry:
        raise HttpError(403, gettext("您的角色只能查看，不能修改"))


def _group_in(user, household_village: str, code: str | None):
    if code is None:
        return None
    group = (
        region_selectors.regions_for(user)
        .filter(code=code, parent_id=household_village, level=RegionLevel.GROUP)
        .first()
    )
    if group is None:
        raise services.RegistryError(
            {
                "group": (
                    gettext("行政村 %(household_village)s 下没有代码为 %(code)s 的村民小组")
                    % {"household_village": household_village, "code": code}
                )
            }
        )
    return group


# ---------------------------------------------------------------- endpoints

router = Router(tags=["registry"])
ERRORS = errors_for(409)
# An edit names the version it was based on in If-Match (the ETag of a GET): 428 without it, 412 on another
# version.


HouseholdId = Path(..., ge=1, le=MAX_ID, description="户 id")
MemberId = Path(..., ge=1, le=MAX_ID, description="成员 id")


@router.get(
    "/households/", response={200: HouseholdPage} | ERRORS, summary="户列表（管辖范围内，可筛选，分页）"
)
def list_households(request, filters: Query[HouseholdFilters]):
    """身份证号和电话在列表中总是脱敏。"""
    user = request.auth
    params = filters.model_dump(exclude={"limit", "offset", "cursor"})
    # A village's list without a name or ID search is cached under the version of its data, as the list's
    # page is (registry.views.household_list): the version is read before the rows, so a write meanwhile
    # changes the key.
    _region, version = selectors.list_region(user, filters.region or "") if not filters.q else (None, None)
    key = version and fragments.key(
        "api-households", user.scope_prefix, version, filters.model_dump_json(), MAX_LIMIT
    )
    cached = fragments.get(key) if key else None
    if cached is not None:
        return HttpResponse(cached, content_type="application/json; charset=utf-8")
    answer = _household_page(selectors.households_for(user, **params), filters)
    if key:
        text = json.dumps(
            HouseholdPage.model_validate(answer).model_dump(), cls=NinjaJSONEncoder, ensure_ascii=False
        )
        fragments.put(key, text)
        return HttpResponse(text, content_type="application/json; charset=utf-8")
    return answer


def _household_page(households, filters: HouseholdFilters) -> dict:
    head_id = Member.objects.filter(household_id=OuterRef("pk"), relation=codes.Relation.HEAD).values(
        "id_number"
    )[:1]
    page, following = keyset_page(
        households.select_related("village")
        .only(*HOUSEHOLD_LIST_FIELDS, "village__name")
        .annotate(head_id_number=Subquery(head_id)),
        cursor=filters.cursor,
        limit=filters.limit,
        offset=filters.offset,
        order=("village_id", "number", "pk"),
        where="households",
    )
    results = [
        _mask(_dump(h, HOUSEHOLD_LIST_FIELDS), sees_identifiers=False)
        | {"village_name": h.village.name, "head_id_number": idnumber.mask(h.head_id_number)}
        for h in page
    ]
    return {
        "count": households.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "next": following,
        "results": results,
    }


@router.post("/households/", response={201: HouseholdDetail} | ERRORS, summary="新建一户")
def create_household(request, payload: HouseholdCreateIn):
    user = request.auth
    _ensure_can_edit(user)
    fields = payload.model_dump(exclude_unset=True)
    village = fields.pop("village")
    group = fields.pop("group", None)
    if not user.in_scope(village):
        # Same answer as for a code that does not exist: the caller learns nothing about other regions.
        raise services.RegistryError(
            {"village": (gettext("行政村代码不存在：%(village)s") % {"village": village})}
        )
    household = services.create_household(by=user, village_code=village, group_code=group, **fields)
    return Status(201, household_detail(user, household.pk))


@router.get(
    "/households/{household_id}/", response={200: HouseholdDetail} | ERRORS, summary="一户：成员、收入、保障"
)
def get_household(
    request, response: HttpResponse, query: Query[RevealQuery], household_id: int = HouseholdId
):
    """身份证号、电话、银行账号默认遮蔽；录入和审核角色（村、乡、县）可用 reveal 和 purpose 参数查看全文，
    每次都记入查看记录。响应头 ETag 是户的版本，修改时放在 If-Match 中。"""
    out = household_detail(request.auth, household_id, query)
    response["ETag"] = f'"{out["version"]}"'
    return out


@router.patch(
    "/households/{household_id}/", response={200: HouseholdDetail} | VERSIONED, summary="修改一户的信息"
)
def update_household(
    request, response: HttpResponse, payload: HouseholdPatchIn, household_id: int = HouseholdId
):
    """须带 If-Match（GET 所得的 ETag）：缺少答 428；此后他人已修改答 412，附改动的字段和当前内容。"""
    user = request.auth
    household = selectors.household_for(user, household_id)
    _ensure_can_edit(user)
    expected = expected_version(request)
    changes = payload.model_dump(exclude_unset=True)
    if "group" in changes:
        changes["group"] = _group_in(user, household.village_id, changes["group"])
    try:
        household = services.update_household(household, by=user, expected_version=expected, **changes)
    except versions.VersionConflict as e:
        return stale(response, e, household_detail(user, household.pk))
    response["ETag"] = versions.etag(household)
    return household_detail(user, household.pk)


@router.post(
    "/households/{household_id}/members/", response={201: MemberOut} | ERRORS, summary="添加家庭成员"
)
def add_member(request, payload: MemberCreateIn, household_id: int = HouseholdId):
    user = request.auth
    household = selectors.household_for(user, household_id)
    _ensure_can_edit(user)
    member = services.add_member(household, by=user, **payload.model_dump(exclude_unset=True))
    return Status(201, member_out(member, user))


@router.get("/members/{member_id}/", response={200: MemberOut} | ERRORS, summary="一名家庭成员")
def get_member(request, response: HttpResponse, query: Query[RevealQuery], member_id: int = MemberId):
    """身份证号、电话默认遮蔽，reveal 和 purpose 参数同户详情。
    响应头 ETag 是成员的版本，修改时放在 If-Match 中。"""
    member = selectors.member_for(request.auth, member_id)
    revealed = _revealed(request.auth, query, [member])
    response["ETag"] = versions.etag(member)
    return member_out(member, request.auth, revealed)


@router.patch("/members/{member_id}/", response={200: MemberOut} | VERSIONED, summary="修改家庭成员")
def update_member(request, response: HttpResponse, payload: MemberPatchIn, member_id: int = MemberId):
    """须带 If-Match（GET 所得的 ETag）：缺少答 428；此后他人已修改答 412，附改动的字段和当前内容。"""
    user = request.auth
    member = selectors.member_for(user, member_id)
    _ensure_can_edit(user)
    expected = expected_version(request)
    try:
        member = services.update_member(
            member, by=user, expected_version=expected, **payload.model_dump(exclude_unset=True)
        )
    except versions.VersionConflict as e:
        return stale(response, e, member_out(e.record, user))
    response["ETag"] = versions.etag(member)
    return member_out(member, user)


@router.delete("/members/{member_id}/", response={204: None} | ERRORS, summary="减员（须填写原因）")
def remove_member(
    request,
    member_id: int = MemberId,
    reason: Query[bounded_text(200) | None] = None,
    payload: Body[RemoveMemberIn | None] = None,
):
    """原因可放在 JSON 请求体 {"reason": "…"} 中，或作为查询参数 ?reason=…。"""
    user = request.auth
    member = selectors.member_for(user, member_id)
    _ensure_can_edit(user)
    services.remove_member(member, by=user, reason=(payload.reason if payload else None) or reason or "")
    return Status(204, None)


@router.get(
    "/households/{household_id}/incomes/{year}/", response={200: IncomeOut} | ERRORS, summary="一年的收入"
)
def get_income(
    request,
    response: HttpResponse,
    household_id: int = HouseholdId,
    year: int = Path(..., ge=0, le=9999, description="年度"),
):
    """响应头 ETag 是该年记录的版本，更正时放在 If-Match 中。"""
    household = selectors.household_for(request.auth, household_id)
    income = get_object_or_404(household.incomes, year=year)
    response["ETag"] = versions.etag(income)
    return income_out(income)


@router.get(
    "/households/{household_id}/guarantees/{year}/",
    response={200: GuaranteeOut} | ERRORS,
    summary="一年的两不愁三保障核查",
)
def get_guarantees(
    request,
    response: HttpResponse,
    household_id: int = HouseholdId,
    year: int = Path(..., ge=0, le=9999, description="年度"),
):
    """响应头 ETag 是该年核查的版本，更正时放在 If-Match 中。"""
    household = selectors.household_for(request.auth, household_id)
    check = get_object_or_404(household.guarantee_checks, year=year)
    response["ETag"] = versions.etag(check)
    return guarantee_out(check)


@router.put(
    "/households/{household_id}/incomes/{year}/",
    response={200: IncomeOut} | VERSIONED,
    summary="录入或更正一年的收入",
)
def put_income(
    request,
    response: HttpResponse,
    payload: IncomeIn,
    household_id: int = HouseholdId,
    year: int = Path(..., ge=0, le=9999, description="年度"),
):
    """一年已有记录时须带 If-Match（GET 户所得 incomes 中该年的 version）：缺少答 428，此后他人已修改答 412；
    没有记录时不带 If-Match 即新建，期间他人已录入则答 412。"""
    user = request.auth
    household = selectors.household_for(user, household_id)
    _ensure_can_edit(user)
    expected = entry_version(request, household.incomes.filter(year=year).first())
    values = payload.model_dump(exclude_unset=True)
    size = values.pop("household_size", None)
    try:
        income = services.record_income(
            household, by=user, year=year, household_size=size, expected_version=expected, **values
        )
    except versions.VersionConflict as e:
        return stale(response, e, income_out(e.record))
    response["ETag"] = versions.etag(income)
    return income_out(income)


@router.put(
    "/households/{household_id}/guarantees/{year}/",
    response={200: GuaranteeOut} | VERSIONED,
    summary="录入或更正一年的两不愁三保障核查",
)
def put_guarantees(
    request,
    response: HttpResponse,
    payload: GuaranteesIn,
    household_id: int = HouseholdId,
    year: int = Path(..., ge=0, le=9999, description="年度"),
):
    """一年已有核查时须带 If-Match，同收入。"""
    user = request.auth
    household = selectors.household_for(user, household_id)
    _ensure_can_edit(user)
    this_year = timezone.localdate().year
    if not 2000 <= year <= this_year:
        raise services.RegistryError(
            {"year": (gettext("年度应在2000到%(this_year)s之间") % {"this_year": this_year})}
        )
    expected = entry_version(request, household.guarantee_checks.filter(year=year).first())
    try:
        check = services.record_guarantees(
            household,
            by=user,
            year=year,
            checked_on=payload.checked_on,
            items={g: getattr(payload, g) for g in GUARANTEES},
            notes=payload.notes,
            expected_version=expected,
        )
    except versions.VersionConflict as e:
        return stale(response, e, guarantee_out(e.record))
    response["ETag"] = versions.etag(check)
    return guarantee_out(check)


@router.get("/households/{household_id}/audit/", response={200: AuditPage} | ERRORS, summary="一户的变更记录")
def household_audit(request, page: Query[Page], household_id: int = HouseholdId):
    user = request.auth
    entries = selectors.household_history(selectors.household_for(user, household_id))
    rows, following = keyset_page(
        entries,
        cursor=page.cursor,
        limit=page.limit,
        offset=page.offset,
        order=("-at", "-pk"),
        where=f"audit:{household_id}",
    )
    results = []
    for entry in rows:
        out = _dump(entry, AUDIT_FIELDS)
        # stored with personal values encrypted (audit.chain); masked for every role (issue 17)
        out["changes"] = masking.mask_changes(opened_changes(entry.changes))
        results.append(out)
    return {
        "count": entries.count(),
        "limit": page.limit,
        "offset": page.offset,
        "next": following,
        "results": results,
    }


class ExportQuery(Schema):
    after: int = Field(
        0, ge=0, le=MAX_ID, description="从此 id 之后开始（断点续传：上次收到的最后一人的 id）"
    )
    region: RegionCode | None = Field(None, description="只导出此区划（代码前缀）下的人")
    layout: Literal[person_export.OBJECTS, person_export.ARRAYS] = Field(
        person_export.OBJECTS,
        description="objects：每行一个对象；arrays：首行为字段名数组，其后每行一人的值数组（同序，字节数不到一半）",
    )


@router.get(
    "/members/export.jsonl",
    response=errors_for(),
    summary="导出管辖范围内的全部人员（JSON Lines，按 id 顺序，流式）",
    openapi_extra={
        "responses": {
            200: {
                "description": "每行一人：" + "、".join(person_export.COLUMNS) + "（不含身份证号和电话）；"
                "layout=arrays 时首行为这些字段名",
                "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
            }
        }
    },
)
def export_members(request, query: Query[ExportQuery]):
    """按 id 游标分块读取，一次请求导出全部；连接中断后以 after=最后收到的 id 续传。"""
    lines = person_export.person_lines(
        request.auth, after=query.after, region=query.region or "", layout=query.layout
    )
    return StreamingHttpResponse(lines, content_type="application/x-ndjson; charset=utf-8")
