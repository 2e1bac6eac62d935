"""Procedures in the JSON API, under /api/v1/procedures/: batches (识别, 脱贫, 返贫, 贫困村) and their
entries, the
stages' actions (application, survey, appraisal, notices, objections, reviews, announcement), notices, quotas
and
reduction plans, village profiles. Thin: the same selectors and services as the pages, so every rule (stage,
level,
quota, notice period) is checked once, and refused in the same Chinese words."""

import datetime
import json
from functools import partial
from typing import Literal

from django.http import Http404, HttpResponse
from django.utils.translation import gettext
from ninja import Field, File, Form, Path, Query, Router, Schema, UploadedFile
from ninja.responses import Status

from fupin.core import versions
from fupin.core.api import (
    VERSIONED,
    CursorQuery,
    bounded_text,
    entry_version,
    errors_for,
    model_schema,
    page_schema,
    scoped_list,
    shown_fields,
    stale,
)
from fupin.regions.api import RegionCode
from fupin.registry import codes
from fupin.registry.api import MAX_ID, record_out
from fupin.registry.api_fields import InputSchema

from . import notices, quotas, selection, selectors, services, village_profiles
from .models import (
    AllocationBasis,
    Batch,
    BatchHousehold,
    Notice,
    NoticeKind,
    Objection,
    Procedure,
    Quota,
    RankingException,
    Stage,
    VillageProfile,
)
from .services import ProcedureError

router = Router(tags=["procedures"])
# A list's answer: the selector's rows, a cursor page, each row as record_out shows it to the caller.
_list = partial(scoped_list, out=record_out)
ERRORS = errors_for(409)
BatchId = Path(..., ge=1, le=MAX_ID, description="批次 id")

BATCH_FIELDS = shown_fields(Batch, exclude=("opened_by",))
ENTRY_FIELDS = shown_fields(BatchHousehold)
NOTICE_FIELDS = shown_fields(Notice, exclude=("posted_by",))
OBJECTION_FIELDS = shown_fields(Objection, exclude=("recorded_by", "resolved_by", "objector"))
ALLOCATION_FIELDS = shown_fields(Quota, exclude=("set_by",))
PROFILE_FIELDS = shown_fields(VillageProfile)

BatchOut = model_schema("BatchOut", Batch, BATCH_FIELDS)
EntryOut = model_schema("BatchEntryOut", BatchHousehold, ENTRY_FIELDS)
NoticeOut = model_schema("NoticeOut", Notice, NOTICE_FIELDS)
ObjectionOut = model_schema("ObjectionOut", Objection, OBJECTION_FIELDS)
AllocationOut = model_schema("AllocationOut", Quota, ALLOCATION_FIELDS)
ProfileOut = model_schema("VillageProfileOut", VillageProfile, PROFILE_FIELDS)


class BatchFilters(CursorQuery):
    year: int | None = Field(None, ge=1900, le=2100)
    kind: Literal[("", *Procedure.values)] = ""
    stage: Literal[("", "open", *Stage.values)] = Field("", description="环节；open 为尚未公告的")
    region: RegionCode | None = None


class NoticeFilters(CursorQuery):
    year: int | None = Field(None, ge=1900, le=2100)
    kind: Literal[("", *NoticeKind.values)] = ""
    region: RegionCode | None = None


class YearFilters(CursorQuery):
    year: int | None = Field(None, ge=1900, le=2100)
    region: RegionCode | None = None


class OpenBatchIn(InputSchema):
    village: RegionCode = Field(..., description="行政村代码（12位）；贫困村识别、出列为村本身")
    kind: Literal[tuple(Procedure.values)]
    year: int = Field(..., ge=2000, le=2100)


class AddHouseholdsIn(InputSchema):
    household_ids: list[int] = Field(..., min_length=1, max_length=500)
    statement: bounded_text(2000) = ""
    primary_cause: Literal[("", *codes.PovertyCause.values)] = ""
    proposed_type: Literal[("", *codes.HouseholdType.values)] = ""


class ConfirmIn(InputSchema):
    entry_ids: list[int] = Field(..., min_length=1, max_length=500)
    helper_name: bounded_text(50)


class SurveyIn(InputSchema):
    exceptions: dict[str, tuple[Literal[tuple(RankingException.values)], bounded_text(300)]] = Field(
        default_factory=dict, description="{批次中户的 id: [例外情形, 说明]}：收入排序之外纳入的户"
    )


class AppraisalForm(Schema):
    held_on: datetime.date
    representatives: int = Field(..., ge=1, le=10000, description="村民代表人数")
    present: int = Field(..., ge=0, le=10000, description="到会人数")
    votes: bounded_text(100000) = Field(..., description='JSON：{"批次中户的 id": [赞成, 反对]}')


class OpinionIn(InputSchema):
    opinion: bounded_text(2000) = Field(..., description="意见")


class ReasonIn(InputSchema):
    reason: bounded_text(300)


class ObjectionIn(InputSchema):
    content: bounded_text(2000)
    entry: int | None = Field(None, ge=1, le=MAX_ID, description="针对的批次中户的 id")
    objector: bounded_text(50) = Field("", description="异议人（可匿名；不公开）")
    raised_on: datetime.date | None = None


class ResolveIn(InputSchema):
    upheld: bool = Field(..., description="true：异议成立，该户退出批次")
    resolution: bounded_text(2000)


class AllocationIn(InputSchema):
    persons: int = Field(..., ge=0, le=10**8)
    basis: Literal[tuple(AllocationBasis.values)]


class ProfileIn(InputSchema):
    households: int | None = Field(None, ge=0, le=10**7)
    population: int | None = Field(None, ge=0, le=10**8)
    rural_population: int | None = Field(None, ge=0, le=10**8)
    estimated_poor: int | None = Field(None, ge=0, le=10**8)


def _batch(user, pk: int) -> dict:
    return record_out(selectors.batch_for(user, pk), BATCH_FIELDS, user)


@router.get("/batches/", response={200: page_schema("BatchPage", BatchOut)} | ERRORS, summary="批次列表")
def list_batches(request, filters: Query[BatchFilters]):
    user = request.auth
    batches = selectors.batches_for(
        user, year=filters.year, kind=filters.kind, stage=filters.stage, region=filters.region or ""
    )
    return _list(request, batches, filters, BATCH_FIELDS, "batches")


@router.post("/batches/", response={201: BatchOut} | ERRORS, summary="发起一个批次（村）")
def open_batch(request, payload: OpenBatchIn):
    user = request.auth
    batch = services.open_batch(by=user, village_code=payload.village, kind=payload.kind, year=payload.year)
    return Status(201, _batch(user, batch.pk))


@router.get("/batches/{batch_id}/", response={200: BatchOut} | ERRORS, summary="一个批次")
def get_batch(request, batch_id: int = BatchId):
    return _batch(request.auth, batch_id)


@router.get(
    "/batches/{batch_id}/entries/",
    response={200: page_schema("BatchEntryPage", EntryOut)} | ERRORS,
    summary="批次中的户（收入排序、评议票数、结果与说明）",
)
def list_entries(request, params: Query[CursorQuery], batch_id: int = BatchId):
    user = request.auth
    entries = selectors.batch_entries(selectors.batch_for(user, batch_id))
    return _list(request, entries, params, ENTRY_FIELDS, f"entries:{batch_id}", order=("pk",))


@router.post(
    "/batches/{batch_id}/households/", response={200: list[EntryOut]} | ERRORS, summary="申请环节：纳入户"
)
def add_households(request, payload: AddHouseholdsIn, batch_id: int = BatchId):
    user = request.auth
    entries = services.add_households(selectors.batch_for(user, batch_id), by=user, **payload.model_dump())
    return [record_out(e, ENTRY_FIELDS, user) for e in entries]


@router.post(
    "/batches/{batch_id}/helper-confirmations/",
    response={200: BatchOut} | ERRORS,
    summary="脱贫：帮扶责任人确认",
)
def confirm_by_helper(request, payload: ConfirmIn, batch_id: int = BatchId):
    user = request.auth
    batch = selectors.batch_for(user, batch_id)
    services.confirm_by_helper(
        batch.entries.filter(pk__in=payload.entry_ids), by=user, helper_name=payload.helper_name
    )
    return _batch(user, batch_id)


@router.post(
    "/batches/{batch_id}/application/complete/", response={200: BatchOut} | ERRORS, summary="完成申请环节"
)
def complete_application(request, batch_id: int = BatchId):
    user = request.auth
    services.complete_application(selectors.batch_for(user, batch_id), by=user)
    return _batch(user, batch_id)


@router.post(
    "/batches/{batch_id}/survey/complete/",
    response={200: BatchOut} | ERRORS,
    summary="完成调查：收入排序与初选",
)
def complete_survey(request, payload: SurveyIn, batch_id: int = BatchId):
    user = request.auth
    exceptions = {}
    for key, value in payload.exceptions.items():
        if not key.isdigit():
            raise ProcedureError({"exceptions": (gettext("“%(key)s”不是批次中户的 id") % {"key": key})})
        exceptions[int(key)] = tuple(value)
    selection.complete_survey(selectors.batch_for(user, batch_id), by=user, exceptions=exceptions)
    return _batch(user, batch_id)


@router.post(
    "/batches/{batch_id}/appraisal/",
    response={200: BatchOut} | ERRORS,
    summary="民主评议：会议、票数和会议记录（multipart）",
)
def record_appraisal(
    request, form: Form[AppraisalForm], minutes: File[UploadedFile] = None, batch_id: int = BatchId
):
    user = request.auth
    try:
        raw = json.loads(form.votes)
        parsed = {int(k): (int(v[0]), int(v[1])) for k, v in raw.items()}
    except (ValueError, TypeError, AttributeError, IndexError, KeyError):
        raise ProcedureError({"votes": gettext('票数应为 JSON：{"批次中户的 id": [赞成, 反对]}')}) from None
    selection.record_appraisal(
        selectors.batch_for(user, batch_id),
        by=user,
        held_on=form.held_on,
        representatives=form.representatives,
        present=form.present,
        votes=parsed,
        minutes=minutes,
    )
    return _batch(user, batch_id)


@router.post(
    "/batches/{batch_id}/notice/",
    response={201: NoticeOut} | ERRORS,
    summary="生成并张贴本环节的公示（可附张贴照片，multipart）",
)
def post_notice(request, batch_id: int = BatchId, photo: File[UploadedFile] = None):
    user = request.auth
    notice = notices.post_notice(selectors.batch_for(user, batch_id), by=user, photo=photo)
    return Status(201, record_out(notice, NOTICE_FIELDS, user))


@router.post(
    "/batches/{batch_id}/notice/photo/",
    response={200: BatchOut} | ERRORS,
    summary="补传公示张贴照片（multipart）",
)
def add_notice_photo(request, batch_id: int = BatchId, photo: File[UploadedFile] = None):
    user = request.auth
    notices.add_notice_photo(selectors.batch_for(user, batch_id), by=user, photo=photo)
    return _batch(user, batch_id)


@router.post(
    "/batches/{batch_id}/notice/close/", response={200: BatchOut} | ERRORS, summary="公示期满，结束公示"
)
def close_notice(request, batch_id: int = BatchId):
    user = request.auth
    notices.close_notice(selectors.batch_for(user, batch_id), by=user)
    return _batch(user, batch_id)


@router.get(
    "/batches/{batch_id}/objections/",
    response={200: page_schema("ObjectionPage", ObjectionOut)} | ERRORS,
    summary="批次的异议",
)
def list_objections(request, params: Query[CursorQuery], batch_id: int = BatchId):
    user = request.auth
    batch = selectors.batch_for(user, batch_id)
    return _list(request, batch.objections.all(), params, OBJECTION_FIELDS, f"objections:{batch_id}")


@router.post("/batches/{batch_id}/objections/", response={201: ObjectionOut} | ERRORS, summary="登记异议")
def record_objection(request, payload: ObjectionIn, batch_id: int = BatchId):
    user = request.auth
    batch = selectors.batch_for(user, batch_id)
    entry = batch.entries.get(pk=payload.entry) if payload.entry else None
    objection = notices.record_objection(
        batch,
        by=user,
        content=payload.content,
        entry=entry,
        objector=payload.objector,
        raised_on=payload.raised_on,
    )
    return Status(201, record_out(objection, OBJECTION_FIELDS, user))


@router.post(
    "/objections/{objection_id}/resolve/", response={200: ObjectionOut} | ERRORS, summary="处理异议（核查后）"
)
def resolve_objection(request, payload: ResolveIn, objection_id: int = Path(..., ge=1, le=MAX_ID)):
    user = request.auth
    objection = notices.resolve_objection(
        selectors.objection_for(user, objection_id),
        by=user,
        upheld=payload.upheld,
        resolution=payload.resolution,
    )
    return record_out(objection, OBJECTION_FIELDS, user)


@router.post("/batches/{batch_id}/review/approve/", response={200: BatchOut} | ERRORS, summary="乡镇审核通过")
def approve_review(request, payload: OpinionIn, batch_id: int = BatchId):
    user = request.auth
    services.approve_review(selectors.batch_for(user, batch_id), by=user, opinion=payload.opinion)
    return _batch(user, batch_id)


@router.post(
    "/batches/{batch_id}/review/send-back/",
    response={200: BatchOut} | ERRORS,
    summary="审核退回（须说明理由）",
)
def send_back(request, payload: ReasonIn, batch_id: int = BatchId):
    user = request.auth
    services.send_back(selectors.batch_for(user, batch_id), by=user, reason=payload.reason)
    return _batch(user, batch_id)


@router.post(
    "/batches/{batch_id}/announce/", response={201: NoticeOut} | ERRORS, summary="县级复审通过并公告"
)
def announce(request, payload: OpinionIn, batch_id: int = BatchId):
    user = request.auth
    notice = services.announce(selectors.batch_for(user, batch_id), by=user, opinion=payload.opinion)
    return Status(201, record_out(notice, NOTICE_FIELDS, user))


@router.get(
    "/notices/",
    response={200: page_schema("NoticePage", NoticeOut)} | ERRORS,
    summary="公示和公告（管辖范围内）",
)
def list_notices(request, filters: Query[NoticeFilters]):
    user = request.auth
    rows = selectors.notices_for(user, kind=filters.kind, region=filters.region or "", year=filters.year)
    return _list(request, rows, filters, NOTICE_FIELDS, "notices")


def _allocations(request, which: str, filters: YearFilters) -> dict:
    user = request.auth
    rows = selectors.allocations_for(user, which, year=filters.year, region=filters.region or "")
    return _list(request, rows, filters, ALLOCATION_FIELDS, which)


AllocationPage = page_schema("AllocationPage", AllocationOut)


@router.get("/quotas/", response={200: AllocationPage} | ERRORS, summary="贫困人口规模（各级分解）")
def list_quotas(request, filters: Query[YearFilters]):
    return _allocations(request, "quota", filters)


@router.get("/plans/", response={200: AllocationPage} | ERRORS, summary="年度减贫计划（各级分解）")
def list_plans(request, filters: Query[YearFilters]):
    return _allocations(request, "plan", filters)


def _set_allocation(request, response, which: str, county: str, year: int, payload: AllocationIn):
    """The county's row once it exists is changed only with If-Match naming its version (the ETag of the last
    PUT, or `version` in the list): 428 without it, 412 when another user changed it since."""
    user = request.auth
    existing = selectors.allocations_for(user, which, year=year).filter(region_id=county).first()
    expected = entry_version(request, existing)
    try:
        allocation = quotas.set_county_allocation(
            by=user,
            county_code=county,
            year=year,
            persons=payload.persons,
            basis=payload.basis,
            which=which,
            expected_version=expected,
        )
    except versions.VersionConflict as e:
        return stale(response, e, record_out(e.record, ALLOCATION_FIELDS, user))
    response["ETag"] = versions.etag(allocation)
    return record_out(allocation, ALLOCATION_FIELDS, user)


def _allocation(request, response, which: str, county: str, year: int) -> dict:
    user = request.auth
    allocation = selectors.allocations_for(user, which, year=year).filter(region_id=county).first()
    if allocation is None:
        raise Http404(gettext("没有找到该年度的分解，或不在您的管辖范围内"))
    response["ETag"] = versions.etag(allocation)
    return record_out(allocation, ALLOCATION_FIELDS, user)


@router.get("/quotas/{county}/{year}/", response={200: AllocationOut} | ERRORS, summary="一个区划一年的规模")
def get_quota(
    request, response: HttpResponse, county: Path[RegionCode], year: int = Path(..., ge=2000, le=2100)
):
    """响应头 ETag 为其版本，修改（PUT）时放在 If-Match 中。"""
    return _allocation(request, response, "quota", county, year)


@router.get(
    "/plans/{county}/{year}/", response={200: AllocationOut} | ERRORS, summary="一个区划一年的减贫计划"
)
def get_plan(
    request, response: HttpResponse, county: Path[RegionCode], year: int = Path(..., ge=2000, le=2100)
):
    """响应头 ETag 为其版本，修改（PUT）时放在 If-Match 中。"""
    return _allocation(request, response, "plan", county, year)


@router.put(
    "/quotas/{county}/{year}/",
    response={200: AllocationOut} | VERSIONED,
    summary="县下达规模并按最大余额法分解到村",
)
def set_quota(
    request,
    response: HttpResponse,
    payload: AllocationIn,
    county: Path[RegionCode],
    year: int = Path(..., ge=2000, le=2100),
):
    """县的规模已下达时须带 If-Match（上次所得的 ETag，或列表中的 version）：
    缺少答 428，此后他人已修改答 412。"""
    return _set_allocation(request, response, "quota", county, year, payload)


@router.put(
    "/plans/{county}/{year}/",
    response={200: AllocationOut} | VERSIONED,
    summary="县下达减贫计划并按最大余额法分解到村",
)
def set_plan(
    request,
    response: HttpResponse,
    payload: AllocationIn,
    county: Path[RegionCode],
    year: int = Path(..., ge=2000, le=2100),
):
    """县的计划已下达时须带 If-Match（上次所得的 ETag，或列表中的 version）：
    缺少答 428，此后他人已修改答 412。"""
    return _set_allocation(request, response, "plan", county, year, payload)


class ProfileFilters(CursorQuery):
    year: int = Field(..., ge=1900, le=2100)
    region: RegionCode | None = None


@router.get(
    "/village-profiles/",
    response={200: page_schema("VillageProfilePage", ProfileOut)} | ERRORS,
    summary="行政村年度基本情况",
)
def list_village_profiles(request, filters: Query[ProfileFilters]):
    user = request.auth
    rows = selectors.village_profiles_for(user, filters.year, region=filters.region or "")
    return _list(request, rows, filters, PROFILE_FIELDS, "village-profiles")


@router.put(
    "/village-profiles/{village}/{year}/",
    response={200: ProfileOut} | VERSIONED,
    summary="录入或更正行政村年度基本情况",
)
def save_village_profile(
    request,
    response: HttpResponse,
    payload: ProfileIn,
    village: Path[RegionCode],
    year: int = Path(..., ge=2000, le=2100),
):
    """该年已有记录时须带 If-Match（上次所得的 ETag，或列表中的 version）：
    缺少答 428，此后他人已修改答 412。"""
    user = request.auth
    if not user.in_scope(village):
        raise ProcedureError({"village": (gettext("行政村代码不存在：%(village)s") % {"village": village})})
    existing = VillageProfile.objects.filter(village_id=village, year=year).first()
    expected = entry_version(request, existing)
    try:
        profile = village_profiles.save_village_profile(
            by=user,
            village_code=village,
            year=year,
            expected_version=expected,
            **payload.model_dump(exclude_none=True),
        )
    except versions.VersionConflict as e:
        return stale(response, e, record_out(e.record, PROFILE_FIELDS, user))
    response["ETag"] = versions.etag(profile)
    return record_out(profile, PROFILE_FIELDS, user)
