"""Monitoring in the JSON API, under /api/v1/monitoring/: thresholds, risk events and sweeps, risk signals,
monitored
households (监测户) with their steps and measures up to 风险消除, look-back campaigns (回头看) and their
items, department
cross-checks and their findings (疑点数据), and the problem ledger. The pages' selectors and services: the
same scope,
roles, stages and Chinese refusals."""

import datetime
from decimal import Decimal
from functools import partial
from typing import Literal

from django.http import HttpResponse
from django.utils.translation import gettext
from ninja import Field, File, Form, Path, Query, Router, Schema, UploadedFile
from ninja.responses import Status

from fupin.core import versions
from fupin.core.api import (
    VERSIONED,
    CursorQuery,
    YearQuery,
    bounded_text,
    entry_version,
    errors_for,
    expected_version,
    model_schema,
    page_schema,
    scoped_list,
    shown_fields,
    stale,
)
from fupin.regions.api import RegionCode
from fupin.registry import selectors as registry_selectors
from fupin.registry.api import MAX_ID, record_out
from fupin.registry.api_fields import InputSchema, Money

from . import cross_checks, problems, selectors, services, sweeps
from .matching import DepartmentFileError
from .models import (
    CrossCheck,
    Decision,
    Department,
    Finding,
    LookBack,
    LookBackItem,
    MonitoredHousehold,
    MonitoringKind,
    MonitoringMeasure,
    MonitoringSource,
    MonitoringStage,
    MonitoringStep,
    MonitoringThreshold,
    Problem,
    ProblemSource,
    ProblemStatus,
    RiskEvent,
    RiskSignal,
    SignalState,
    Sweep,
)

router = Router(tags=["monitoring"])
ERRORS = errors_for(409)
Id = Path(..., ge=1, le=MAX_ID)

THRESHOLD_FIELDS = shown_fields(MonitoringThreshold)
EVENT_FIELDS = shown_fields(RiskEvent)
SWEEP_FIELDS = shown_fields(Sweep)
SIGNAL_FIELDS = shown_fields(RiskSignal)
CASE_FIELDS = shown_fields(MonitoredHousehold)
STEP_FIELDS = shown_fields(MonitoringStep)
MEASURE_FIELDS = shown_fields(MonitoringMeasure)
LOOKBACK_FIELDS = shown_fields(LookBack)
ITEM_FIELDS = shown_fields(LookBackItem)
CHECK_FIELDS = shown_fields(CrossCheck, exclude=("stored_name", "sha256"))
FINDING_FIELDS = shown_fields(Finding)
PROBLEM_FIELDS = shown_fields(Problem)

ThresholdOut = model_schema("ThresholdOut", MonitoringThreshold, THRESHOLD_FIELDS)
EventOut = model_schema("RiskEventOut", RiskEvent, EVENT_FIELDS)
SweepOut = model_schema("SweepOut", Sweep, SWEEP_FIELDS)
SignalOut = model_schema("RiskSignalOut", RiskSignal, SIGNAL_FIELDS)
CaseOut = model_schema("MonitoredHouseholdOut", MonitoredHousehold, CASE_FIELDS)
StepOut = model_schema("MonitoringStepOut", MonitoringStep, STEP_FIELDS)
MeasureOut = model_schema("MonitoringMeasureOut", MonitoringMeasure, MEASURE_FIELDS)
LookBackOut = model_schema("LookBackOut", LookBack, LOOKBACK_FIELDS)
ItemOut = model_schema("LookBackItemOut", LookBackItem, ITEM_FIELDS)
CrossCheckOut = model_schema("CrossCheckOut", CrossCheck, CHECK_FIELDS)
FindingOut = model_schema("FindingOut", Finding, FINDING_FIELDS)
ProblemOut = model_schema("ProblemOut", Problem, PROBLEM_FIELDS)


# A list's answer: the selector's rows, a cursor page, each row as record_out shows it to the caller.
_list = partial(scoped_list, out=record_out)


# ---------------------------------------------------------------- thresholds, events, sweeps, signals


class ThresholdIn(InputSchema):
    threshold: Money
    unregistered_line: Money
    income_drop_percent: int = Field(30, ge=1, le=100)
    large_expense: Money = Decimal(10000)
    requires_village_appraisal: bool = True
    requires_township_review: bool = True
    note: bounded_text(200) = ""


@router.get(
    "/thresholds/", response={200: page_schema("ThresholdPage", ThresholdOut)} | ERRORS, summary="监测线"
)
def list_thresholds(request, filters: Query[YearQuery]):
    return _list(
        request,
        selectors.thresholds_for(request.auth, year=filters.year),
        filters,
        THRESHOLD_FIELDS,
        "thresholds",
    )


@router.put(
    "/thresholds/{region}/{year}/",
    response={200: ThresholdOut} | VERSIONED,
    summary="设定一个区划一年的监测线",
)
def set_threshold(
    request,
    response: HttpResponse,
    payload: ThresholdIn,
    region: Path[RegionCode],
    year: int = Path(..., ge=2000, le=2100),
):
    """该区划该年已有监测线时须带 If-Match（上次所得的 ETag，或列表中的 version）：
    缺少答 428，此后他人已修改答 412；没有时不带即新设。"""
    user = request.auth
    existing = MonitoringThreshold.objects.filter(region_prefix=region, year=year).first()
    expected = entry_version(request, existing)
    try:
        threshold = services.set_threshold(
            by=user, region_prefix=region, year=year, expected_version=expected, **payload.model_dump()
        )
    except versions.VersionConflict as e:
        return stale(response, e, record_out(e.record, THRESHOLD_FIELDS, user))
    response["ETag"] = versions.etag(threshold)
    return record_out(threshold, THRESHOLD_FIELDS, user)


class EventIn(InputSchema):
    kind: Literal[tuple(RiskEvent.Kind.values)]
    occurred_on: datetime.date
    amount: Money = Decimal(0)
    description: bounded_text(2000)


@router.post(
    "/households/{household_id}/risk-events/",
    response={201: EventOut} | ERRORS,
    summary="登记风险事件（大病、灾害……）",
)
def record_risk_event(request, payload: EventIn, household_id: int = Id):
    user = request.auth
    household = registry_selectors.household_for(user, household_id)
    event = services.record_risk_event(household, by=user, **payload.model_dump())
    return Status(201, record_out(event, EVENT_FIELDS, user))


class SweepIn(InputSchema):
    kind: Literal[tuple(Sweep.Kind.values)]
    year: int = Field(..., ge=2000, le=2100)
    region: RegionCode | None = Field(None, description="省略时为本人所辖区划")


@router.get("/sweeps/", response={200: page_schema("SweepPage", SweepOut)} | ERRORS, summary="预警筛查")
def list_sweeps(request, filters: Query[YearQuery]):
    return _list(
        request, selectors.sweeps_for(request.auth, year=filters.year), filters, SWEEP_FIELDS, "sweeps"
    )


@router.post("/sweeps/", response={201: SweepOut} | ERRORS, summary="发起一次筛查（乡镇、县）")
def start_sweep(request, payload: SweepIn):
    user = request.auth
    sweep = sweeps.start_sweep(by=user, kind=payload.kind, year=payload.year, scope_code=payload.region)
    sweep.refresh_from_db()
    return Status(201, record_out(sweep, SWEEP_FIELDS, user))


@router.get("/sweeps/{sweep_id}/", response={200: SweepOut} | ERRORS, summary="一次筛查及其进度")
def get_sweep(request, sweep_id: int = Id):
    return record_out(selectors.sweeps_for(request.auth).get(pk=sweep_id), SWEEP_FIELDS, request.auth)


class SignalQuery(CursorQuery):
    year: int = Field(..., ge=1900, le=2100)
    state: Literal[("", *SignalState.values)] = SignalState.OPEN


@router.get(
    "/signals/", response={200: page_schema("RiskSignalPage", SignalOut)} | ERRORS, summary="风险预警信号"
)
def list_signals(request, filters: Query[SignalQuery]):
    rows = selectors.signals_for(request.auth, year=filters.year, state=filters.state)
    return _list(request, rows, filters, SIGNAL_FIELDS, "signals")


# ---------------------------------------------------------------- monitored households


class CaseQuery(YearQuery):
    stage: Literal[("", *MonitoringStage.values)] = ""
    kind: Literal[("", *MonitoringKind.values)] = ""
    region: RegionCode | None = None


class ReportIn(InputSchema):
    household: int = Field(..., ge=1, le=MAX_ID)
    kind: Literal[tuple(MonitoringKind.values)]
    source: Literal[tuple(MonitoringSource.values)]
    year: int = Field(..., ge=2000, le=2100)
    risk_description: bounded_text(2000)


class NoteIn(InputSchema):
    note: bounded_text(2000) = ""


class ReasonIn(InputSchema):
    reason: bounded_text(2000)


class CaseMeasureIn(InputSchema):
    kind: Literal[tuple(MonitoringMeasure.Kind.values)]
    description: bounded_text(1000)
    responsible: bounded_text(100)
    planned_on: datetime.date


class DoneIn(InputSchema):
    done_on: datetime.date


@router.get(
    "/cases/", response={200: page_schema("MonitoredHouseholdPage", CaseOut)} | ERRORS, summary="监测户"
)
def list_cases(request, filters: Query[CaseQuery]):
    rows = selectors.cases_for(
        request.auth, stage=filters.stage, kind=filters.kind, region=filters.region or "", year=filters.year
    )
    return _list(request, rows, filters, CASE_FIELDS, "cases")


@router.post("/cases/", response={201: CaseOut} | ERRORS, summary="申报或发现一户，进入监测户识别程序")
def report_case(request, payload: ReportIn):
    user = request.auth
    household = registry_selectors.household_for(user, payload.household)
    case = services.report_monitored(household, by=user, **payload.model_dump(exclude={"household"}))
    return Status(201, record_out(case, CASE_FIELDS, user))


@router.get("/cases/{case_id}/", response={200: CaseOut} | ERRORS, summary="一户监测户")
def get_case(request, case_id: int = Id):
    return record_out(selectors.case_for(request.auth, case_id), CASE_FIELDS, request.auth)


@router.get("/cases/{case_id}/steps/", response={200: list[StepOut]} | ERRORS, summary="监测户的办理环节")
def case_steps(request, case_id: int = Id):
    case = selectors.case_for(request.auth, case_id)
    return [record_out(s, STEP_FIELDS, request.auth) for s in case.steps.order_by("pk")]


@router.get(
    "/cases/{case_id}/measures/", response={200: list[MeasureOut]} | ERRORS, summary="监测户的帮扶措施"
)
def case_measures(request, case_id: int = Id):
    case = selectors.case_for(request.auth, case_id)
    return [record_out(m, MEASURE_FIELDS, request.auth) for m in case.measures.order_by("pk")]


def _case_action(request, case_id: int, action, **kwargs) -> dict:
    user = request.auth
    case = action(selectors.case_for(user, case_id), by=user, **kwargs)
    return record_out(case, CASE_FIELDS, user)


@router.post("/cases/{case_id}/appraise/", response={200: CaseOut} | ERRORS, summary="村民主评议")
def appraise_case(request, payload: NoteIn, case_id: int = Id):
    return _case_action(request, case_id, services.appraise_monitored, note=payload.note)


@router.post("/cases/{case_id}/review/", response={200: CaseOut} | ERRORS, summary="乡镇审核")
def review_case(request, payload: NoteIn, case_id: int = Id):
    return _case_action(request, case_id, services.review_monitored, note=payload.note)


@router.post("/cases/{case_id}/include/", response={200: CaseOut} | ERRORS, summary="纳入监测（县）")
def include_case(request, payload: NoteIn, case_id: int = Id):
    return _case_action(request, case_id, services.include_monitored, note=payload.note)


@router.post("/cases/{case_id}/reject/", response={200: CaseOut} | ERRORS, summary="不予纳入（须说明理由）")
def reject_case(request, payload: ReasonIn, case_id: int = Id):
    return _case_action(request, case_id, services.reject_monitored, reason=payload.reason)


@router.post("/cases/{case_id}/measures/", response={201: MeasureOut} | ERRORS, summary="落实一项帮扶措施")
def add_case_measure(request, payload: CaseMeasureIn, case_id: int = Id):
    user = request.auth
    measure = services.add_measure(selectors.case_for(user, case_id), by=user, **payload.model_dump())
    return Status(201, record_out(measure, MEASURE_FIELDS, user))


@router.post(
    "/case-measures/{measure_id}/complete/", response={200: MeasureOut} | ERRORS, summary="帮扶措施已落实"
)
def complete_case_measure(request, payload: DoneIn, measure_id: int = Id):
    user = request.auth
    measure = services.complete_measure(
        selectors.monitoring_measure_for(user, measure_id), by=user, done_on=payload.done_on
    )
    return record_out(measure, MEASURE_FIELDS, user)


@router.post(
    "/cases/{case_id}/eliminate/",
    response={200: CaseOut} | ERRORS,
    summary="风险消除（附佐证材料，multipart）",
)
def eliminate_risk(
    request, note: Form[bounded_text(2000)], case_id: int = Id, evidence: File[UploadedFile] = None
):
    return _case_action(request, case_id, services.eliminate_risk, note=note, evidence=evidence)


# ---------------------------------------------------------------- look-backs (回头看)


class LookBackIn(InputSchema):
    region: RegionCode
    name: bounded_text(100)
    year: int = Field(..., ge=2000, le=2100)
    starts_on: datetime.date
    ends_on: datetime.date
    income_line: Money


class ItemQuery(CursorQuery):
    village: RegionCode | None = None


class ItemIn(InputSchema):
    results: dict[str, bool]
    notes: dict[str, bounded_text(500)] = Field(default_factory=dict)
    checked_on: datetime.date
    responsible_person: bounded_text(50) = ""


@router.get(
    "/lookbacks/", response={200: page_schema("LookBackPage", LookBackOut)} | ERRORS, summary="回头看"
)
def list_lookbacks(request, filters: Query[YearQuery]):
    rows = selectors.lookbacks_for(request.auth, year=filters.year)
    return _list(request, rows, filters, LOOKBACK_FIELDS, "lookbacks")


@router.post("/lookbacks/", response={201: LookBackOut} | ERRORS, summary="发起回头看（县）")
def open_lookback(request, payload: LookBackIn):
    user = request.auth
    fields = payload.model_dump()
    campaign = services.open_lookback(by=user, region_code=fields.pop("region"), **fields)
    return Status(201, record_out(campaign, LOOKBACK_FIELDS, user))


@router.get(
    "/lookbacks/{lookback_id}/items/",
    response={200: page_schema("LookBackItemPage", ItemOut)} | ERRORS,
    summary="回头看的逐户核查",
)
def list_lookback_items(request, filters: Query[ItemQuery], lookback_id: int = Id):
    user = request.auth
    campaign = selectors.lookbacks_for(user).get(pk=lookback_id)
    rows = selectors.lookback_items_for(user, campaign, filters.village)
    return _list(request, rows, filters, ITEM_FIELDS, f"lookback-items:{lookback_id}")


@router.post(
    "/lookback-items/{item_id}/", response={200: list[ProblemOut]} | VERSIONED, summary="录入一户的核查结果"
)
def record_lookback_item(request, response: HttpResponse, payload: ItemIn, item_id: int = Id):
    """已核查过的户须带 If-Match（列表中该户的 version，或上次录入所得的 ETag）：缺少答 428，此后他人已修改答
    412；尚未核查时不带即录入，期间他人已录入则答 412。"""
    user = request.auth
    item = selectors.lookback_item_for(user, item_id)
    unchecked = item.checked_on is None and request.headers.get("If-Match") is None
    expected = item.version if unchecked else expected_version(request)
    try:
        found = services.record_lookback_item(
            item, by=user, expected_version=expected, **payload.model_dump()
        )
    except versions.VersionConflict as e:
        return stale(response, e, record_out(e.record, ITEM_FIELDS, user))
    item.refresh_from_db(fields=["version"])
    response["ETag"] = versions.etag(item)
    return [record_out(p, PROBLEM_FIELDS, user) for p in found]


@router.post("/lookbacks/{lookback_id}/close/", response={200: LookBackOut} | ERRORS, summary="结束回头看")
def close_lookback(request, lookback_id: int = Id):
    user = request.auth
    campaign = services.close_lookback(selectors.lookbacks_for(user).get(pk=lookback_id), by=user)
    return record_out(campaign, LOOKBACK_FIELDS, user)


# ---------------------------------------------------------------- cross-checks and findings


class UploadForm(Schema):
    department: Literal[tuple(Department.values)]
    county: str = Field("", pattern=r"^(\d{6})?$", description="部门联络员：名单所属的县（6位代码）")


@router.get(
    "/cross-checks/",
    response={200: page_schema("CrossCheckPage", CrossCheckOut)} | ERRORS,
    summary="部门比对名单",
)
def list_cross_checks(request, params: Query[CursorQuery]):
    return _list(request, selectors.cross_checks_for(request.auth), params, CHECK_FIELDS, "cross-checks")


@router.post(
    "/cross-checks/",
    response={201: CrossCheckOut} | ERRORS,
    summary="上传部门名单（.csv/.xlsx，multipart；部门联络员只能上传并查看自己的名单）",
)
def upload_cross_check(request, form: Form[UploadForm], file: File[UploadedFile] = None):
    user = request.auth
    if file is None:
        raise services.MonitoringError({"file": gettext("请选择名单文件")})
    try:
        check = cross_checks.upload_cross_check(
            by=user, department=form.department, upload=file, county=form.county
        )
    except DepartmentFileError as e:  # the page shows it on the file field too
        raise services.MonitoringError({"file": str(e)}) from None
    return Status(201, record_out(check, CHECK_FIELDS, user))


@router.get(
    "/cross-checks/{check_id}/", response={200: CrossCheckOut} | ERRORS, summary="一份部门名单及其比对结果"
)
def get_cross_check(request, check_id: int = Id):
    return record_out(selectors.cross_checks_for(request.auth).get(pk=check_id), CHECK_FIELDS, request.auth)


@router.post(
    "/cross-checks/{check_id}/run/", response={200: CrossCheckOut} | ERRORS, summary="运行比对（县）"
)
def run_cross_check(request, check_id: int = Id):
    user = request.auth
    check = cross_checks.start_cross_check(selectors.cross_checks_for(user).get(pk=check_id), by=user)
    check.refresh_from_db()
    return record_out(check, CHECK_FIELDS, user)


class FindingQuery(CursorQuery):
    cross_check: int | None = Field(None, ge=1, le=MAX_ID)
    decision: Literal[("", *Decision.values)] = ""
    department: Literal[("", *Department.values)] = ""


class DecideIn(InputSchema):
    decision: Literal[tuple(Decision.values)]
    note: bounded_text(2000)
    responsible_person: bounded_text(50) = ""
    deadline: datetime.date | None = None


@router.get("/findings/", response={200: page_schema("FindingPage", FindingOut)} | ERRORS, summary="疑点数据")
def list_findings(request, filters: Query[FindingQuery]):
    rows = selectors.findings_for(
        request.auth,
        cross_check=filters.cross_check,
        decision=filters.decision,
        department=filters.department,
    )
    return _list(request, rows, filters, FINDING_FIELDS, "findings")


@router.post(
    "/findings/{finding_id}/decide/", response={200: FindingOut} | ERRORS, summary="研判疑点（乡镇、县）"
)
def decide_finding(request, payload: DecideIn, finding_id: int = Id):
    user = request.auth
    finding = cross_checks.decide_finding(
        selectors.findings_for(user).get(pk=finding_id), by=user, **payload.model_dump()
    )
    return record_out(finding, FINDING_FIELDS, user)


# ---------------------------------------------------------------- the problem ledger


class ProblemQuery(CursorQuery):
    status: Literal[("", *ProblemStatus.values)] = ""
    source: Literal[("", *ProblemSource.values)] = ""
    overdue: bool = False
    region: RegionCode | None = None


class ProblemIn(InputSchema):
    source: Literal[tuple(ProblemSource.values)]
    region: RegionCode
    description: bounded_text(2000)
    deadline: datetime.date
    household: int | None = Field(None, ge=1, le=MAX_ID)
    responsible_person: bounded_text(50) = ""
    measure: bounded_text(2000) = ""


@router.get("/problems/", response={200: page_schema("ProblemPage", ProblemOut)} | ERRORS, summary="问题台账")
def list_problems(request, filters: Query[ProblemQuery]):
    rows = selectors.problems_for(
        request.auth,
        status=filters.status,
        source=filters.source,
        overdue=filters.overdue,
        region=filters.region or "",
    )
    return _list(request, rows, filters, PROBLEM_FIELDS, "problems")


@router.post("/problems/", response={201: ProblemOut} | ERRORS, summary="登记问题")
def create_problem(request, payload: ProblemIn):
    user = request.auth
    fields = payload.model_dump()
    household_id = fields.pop("household")
    household = registry_selectors.household_for(user, household_id) if household_id else None
    problem = problems.create_problem(
        by=user, region_code=fields.pop("region"), household=household, **fields
    )
    return Status(201, record_out(problem, PROBLEM_FIELDS, user))


def _problem(request, problem_id: int) -> Problem:
    return selectors.problems_for(request.auth).get(pk=problem_id)


@router.post(
    "/problems/{problem_id}/rectify/",
    response={200: ProblemOut} | ERRORS,
    summary="报告整改情况（可附佐证，multipart）",
)
def rectify_problem(
    request,
    rectification: Form[bounded_text(2000)],
    measure: Form[bounded_text(2000)] = "",
    problem_id: int = Id,
    evidence: File[UploadedFile] = None,
):
    user = request.auth
    problem = problems.rectify_problem(
        _problem(request, problem_id),
        by=user,
        rectification=rectification,
        evidence=evidence,
        measure=measure,
    )
    return record_out(problem, PROBLEM_FIELDS, user)


@router.post("/problems/{problem_id}/close/", response={200: ProblemOut} | ERRORS, summary="销号（上一级）")
def close_problem(request, payload: NoteIn, problem_id: int = Id):
    user = request.auth
    return record_out(
        problems.close_problem(_problem(request, problem_id), by=user, note=payload.note),
        PROBLEM_FIELDS,
        user,
    )


@router.post(
    "/problems/{problem_id}/return/", response={200: ProblemOut} | ERRORS, summary="整改不到位，退回"
)
def return_problem(request, payload: ReasonIn, problem_id: int = Id):
    user = request.auth
    problem = problems.return_problem(_problem(request, problem_id), by=user, reason=payload.reason)
    return record_out(problem, PROBLEM_FIELDS, user)
