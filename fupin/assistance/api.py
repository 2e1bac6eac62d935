"""Assistance in the JSON API, under /api/v1/assistance/: helper units and helpers, pairings, help plans and
measures,
visits, helper monitoring reports and the demand list. The pages' selectors read in the caller's scope (a
helper sees
only their own households); the pages' services check roles and write the audit trail."""

import datetime
from decimal import Decimal
from functools import partial
from typing import Any, Literal

from django.http import HttpResponse
from ninja import Field, Path, Query, Router, Schema
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
    plain_json,
    scoped_list,
    shown_fields,
    stale,
)
from fupin.regions.api import RegionCode
from fupin.registry import selectors as registry_selectors
from fupin.registry.api import MAX_ID, record_out
from fupin.registry.api_fields import InputSchema, Money

from . import roster, selectors, services
from .models import (
    Helper,
    HelperKind,
    HelperUnit,
    HelpMeasure,
    HelpPlan,
    MeasureCatalogue,
    MeasureStatus,
    MonitoringReport,
    Pairing,
    PlanClass,
    UnitKind,
    Visit,
    VisitKind,
)

router = Router(tags=["assistance"])
ERRORS = errors_for(409)
Id = Path(..., ge=1, le=MAX_ID)

UNIT_FIELDS = shown_fields(HelperUnit)
HELPER_FIELDS = shown_fields(Helper)
PAIRING_FIELDS = shown_fields(Pairing)
PLAN_FIELDS = shown_fields(HelpPlan)
MEASURE_FIELDS = shown_fields(HelpMeasure)
VISIT_FIELDS = shown_fields(Visit)
REPORT_FIELDS = shown_fields(MonitoringReport)
CATALOGUE_FIELDS = shown_fields(MeasureCatalogue)

UnitOut = model_schema("HelperUnitOut", HelperUnit, UNIT_FIELDS)
HelperOut = model_schema("HelperOut", Helper, HELPER_FIELDS)
PairingOut = model_schema("PairingOut", Pairing, PAIRING_FIELDS)
PlanOut = model_schema("HelpPlanOut", HelpPlan, PLAN_FIELDS)
MeasureOut = model_schema("HelpMeasureOut", HelpMeasure, MEASURE_FIELDS)
VisitOut = model_schema("VisitOut", Visit, VISIT_FIELDS)
ReportOut = model_schema("MonitoringReportOut", MonitoringReport, REPORT_FIELDS)
CatalogueOut = model_schema("MeasureCatalogueOut", MeasureCatalogue, CATALOGUE_FIELDS)


class RegionFilter(CursorQuery):
    region: RegionCode | None = None


class HelperFilters(RegionFilter):
    q: bounded_text(50) = ""
    unit: int | None = Field(None, ge=1, le=MAX_ID)
    include_inactive: bool = False


class PairingFilters(RegionFilter):
    active: bool | None = Field(None, description="true：仍在结对；false：已解除")


class MeasureFilters(RegionFilter):
    year: int | None = Field(None, ge=1900, le=2100)
    status: Literal[("", *MeasureStatus.values)] = ""


class VisitFilters(RegionFilter):
    household: int | None = Field(None, ge=1, le=MAX_ID)


class UnitIn(InputSchema):
    name: bounded_text(100)
    region: RegionCode
    kind: Literal[tuple(UnitKind.values)] = UnitKind.PARTY_GOVERNMENT
    contact_person: bounded_text(50) = ""
    contact_phone: bounded_text(20) = ""
    address: bounded_text(200) = ""


class HelperIn(InputSchema):
    unit: int = Field(..., ge=1, le=MAX_ID, description="帮扶单位 id")
    name: bounded_text(50)
    phone: bounded_text(20)
    region: RegionCode
    kind: Literal[tuple(HelperKind.values)] = HelperKind.CADRE
    position: bounded_text(100) = ""


class PairIn(InputSchema):
    household: int = Field(..., ge=1, le=MAX_ID)
    helper: int = Field(..., ge=1, le=MAX_ID)
    started_on: datetime.date
    reason: bounded_text(200) = ""


class EndPairingIn(InputSchema):
    household: int = Field(..., ge=1, le=MAX_ID)
    on: datetime.date
    reason: bounded_text(200)
    pairing: int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        description="所解除的结对（列表中的 id）：期间已被他人调整或解除则答 422，不解除",
    )


class PlanIn(InputSchema):
    target_exit_year: int = Field(..., ge=2000, le=2100)
    plan_class: Literal[tuple(PlanClass.values)] | None = None
    goals: bounded_text(5000) = ""


class MeasureIn(InputSchema):
    catalogue: int = Field(..., ge=1, le=MAX_ID, description="措施目录 id（GET /assistance/catalogue/）")
    content: bounded_text(300)
    year: int = Field(..., ge=2000, le=2100)
    deadline: datetime.date
    planned_amount: Money = Decimal(0)
    funding_source: bounded_text(100) = ""
    helper: int | None = Field(None, ge=1, le=MAX_ID)


class VisitIn(InputSchema):
    visited_on: datetime.date
    findings: bounded_text(5000)
    helper: int | None = Field(None, ge=1, le=MAX_ID)
    kind: Literal[tuple(VisitKind.values)] = VisitKind.HOME
    problems: bounded_text(5000) = ""
    guarantees: dict[Literal["food", "clothing", "education", "medical", "housing", "water"], bool] | None = (
        None
    )


class MonitoringIn(InputSchema):
    region: RegionCode
    year: int = Field(..., ge=2000, le=2100)
    month: Literal[6, 12]


# A list's answer: the selector's rows, a cursor page, each row as record_out shows it to the caller.
_list = partial(scoped_list, out=record_out)


@router.get("/units/", response={200: page_schema("HelperUnitPage", UnitOut)} | ERRORS, summary="帮扶单位")
def list_units(request, filters: Query[CursorQuery]):
    return _list(request, selectors.units_for(request.auth), filters, UNIT_FIELDS, "units")


@router.post("/units/", response={201: UnitOut} | ERRORS, summary="登记帮扶单位（乡镇、县）")
def create_unit(request, payload: UnitIn):
    user = request.auth
    fields = payload.model_dump()
    unit = roster.create_unit(by=user, region_code=fields.pop("region"), **fields)
    return Status(201, record_out(unit, UNIT_FIELDS, user))


@router.get("/helpers/", response={200: page_schema("HelperPage", HelperOut)} | ERRORS, summary="帮扶责任人")
def list_helpers(request, filters: Query[HelperFilters]):
    rows = selectors.helpers_for(
        request.auth,
        q=filters.q,
        unit=filters.unit,
        region=filters.region or "",
        include_inactive=filters.include_inactive,
    )
    return _list(request, rows, filters, HELPER_FIELDS, "helpers")


@router.get("/helpers/{helper_id}/", response={200: HelperOut} | ERRORS, summary="一名帮扶责任人")
def get_helper(request, helper_id: int = Id):
    return record_out(selectors.helper_for(request.auth, helper_id), HELPER_FIELDS, request.auth)


@router.post("/helpers/", response={201: HelperOut} | ERRORS, summary="登记帮扶责任人（乡镇、县）")
def create_helper(request, payload: HelperIn):
    user = request.auth
    unit = selectors.units_for(user).get(pk=payload.unit)
    fields = payload.model_dump(exclude={"unit"})
    helper = roster.create_helper(by=user, unit=unit, region_code=fields.pop("region"), **fields)
    return Status(201, record_out(helper, HELPER_FIELDS, user))


@router.get("/pairings/", response={200: page_schema("PairingPage", PairingOut)} | ERRORS, summary="结对帮扶")
def list_pairings(request, filters: Query[PairingFilters]):
    rows = selectors.pairings_for(request.auth, region=filters.region or "", active=filters.active)
    return _list(request, rows, filters, PAIRING_FIELDS, "pairings")


@router.post("/pairings/", response={201: PairingOut} | ERRORS, summary="结对（或改由另一名责任人帮扶）")
def pair(request, payload: PairIn):
    user = request.auth
    household = registry_selectors.household_for(user, payload.household)
    helper = selectors.helper_for(user, payload.helper)
    pairing = services.pair_household(
        household, helper, by=user, started_on=payload.started_on, reason=payload.reason
    )
    return Status(201, record_out(pairing, PAIRING_FIELDS, user))


@router.post("/pairings/end/", response={200: PairingOut} | ERRORS, summary="解除一户的结对（须说明原因）")
def end_pairing(request, payload: EndPairingIn):
    user = request.auth
    household = registry_selectors.household_for(user, payload.household)
    pairing = services.end_pairing(
        household, by=user, on=payload.on, reason=payload.reason, expected_pairing=payload.pairing
    )
    return record_out(pairing, PAIRING_FIELDS, user)


@router.get("/plans/", response={200: page_schema("HelpPlanPage", PlanOut)} | ERRORS, summary="帮扶计划")
def list_plans(request, filters: Query[RegionFilter]):
    return _list(
        request, selectors.plans_for(request.auth, region=filters.region or ""), filters, PLAN_FIELDS, "plans"
    )


@router.put(
    "/households/{household_id}/plan/",
    response={200: PlanOut} | VERSIONED,
    summary="制定或修改一户的帮扶计划",
)
def save_plan(request, response: HttpResponse, payload: PlanIn, household_id: int = Id):
    """已有计划时须带 If-Match（上次所得的 ETag，或计划的 version）：缺少答 428，此后他人已修改答 412；
    没有计划时不带即新建。"""
    user = request.auth
    household = registry_selectors.household_for(user, household_id)
    expected = entry_version(request, HelpPlan.objects.filter(household=household).first())
    try:
        plan = services.save_plan(household, by=user, expected_version=expected, **payload.model_dump())
    except versions.VersionConflict as e:
        return stale(response, e, record_out(e.record, PLAN_FIELDS, user))
    response["ETag"] = versions.etag(plan)
    return record_out(plan, PLAN_FIELDS, user)


@router.get(
    "/measures/", response={200: page_schema("HelpMeasurePage", MeasureOut)} | ERRORS, summary="帮扶措施"
)
def list_measures(request, filters: Query[MeasureFilters]):
    rows = selectors.measures_for(
        request.auth, year=filters.year, region=filters.region or "", status=filters.status
    )
    return _list(request, rows, filters, MEASURE_FIELDS, "measures")


@router.get("/measures/{measure_id}/", response={200: MeasureOut} | ERRORS, summary="一项帮扶措施")
def get_measure(request, measure_id: int = Id):
    return record_out(selectors.measure_for(request.auth, measure_id), MEASURE_FIELDS, request.auth)


@router.post(
    "/households/{household_id}/measures/", response={201: MeasureOut} | ERRORS, summary="添加帮扶措施"
)
def add_measure(request, payload: MeasureIn, household_id: int = Id):
    user = request.auth
    household = registry_selectors.household_for(user, household_id)
    fields = payload.model_dump()
    catalogue = selectors.catalogue().get(pk=fields.pop("catalogue"))
    helper_id = fields.pop("helper")
    helper = selectors.helper_for(user, helper_id) if helper_id else None
    measure = services.add_measure(household, by=user, catalogue=catalogue, helper=helper, **fields)
    return Status(201, record_out(measure, MEASURE_FIELDS, user))


@router.get("/catalogue/", response={200: list[CatalogueOut]} | ERRORS, summary="帮扶措施目录")
def list_catalogue(request):
    return [record_out(c, CATALOGUE_FIELDS, request.auth) for c in selectors.catalogue()]


@router.get("/visits/", response={200: page_schema("VisitPage", VisitOut)} | ERRORS, summary="走访记录")
def list_visits(request, filters: Query[VisitFilters]):
    rows = selectors.visits_for(request.auth, region=filters.region or "", household=filters.household)
    return _list(request, rows, filters, VISIT_FIELDS, "visits")


@router.get("/visits/{visit_id}/", response={200: VisitOut} | ERRORS, summary="一次走访")
def get_visit(request, visit_id: int = Id):
    return record_out(selectors.visit_for(request.auth, visit_id), VISIT_FIELDS, request.auth)


@router.post("/households/{household_id}/visits/", response={201: VisitOut} | ERRORS, summary="记录一次走访")
def record_visit(request, payload: VisitIn, household_id: int = Id):
    user = request.auth
    household = registry_selectors.household_for(user, household_id)
    fields = payload.model_dump()
    helper_id = fields.pop("helper")
    helper = selectors.helper_for(user, helper_id) if helper_id else None
    visit = services.record_visit(household, by=user, helper=helper, **fields)
    return Status(201, record_out(visit, VISIT_FIELDS, user))


@router.get(
    "/monitoring-reports/",
    response={200: page_schema("MonitoringReportPage", ReportOut)} | ERRORS,
    summary="帮扶监测报告（6月、12月）",
)
def list_monitoring_reports(request, filters: Query[CursorQuery]):
    return _list(
        request, selectors.monitoring_reports_for(request.auth), filters, REPORT_FIELDS, "monitoring-reports"
    )


@router.post("/monitoring-reports/", response={201: ReportOut} | ERRORS, summary="报送帮扶监测")
def submit_monitoring(request, payload: MonitoringIn):
    user = request.auth
    report = services.submit_monitoring(
        by=user, region_code=payload.region, year=payload.year, month=payload.month
    )
    return Status(201, record_out(report, REPORT_FIELDS, user))


class DemandFilters(Schema):
    year: int = Field(..., ge=1900, le=2100)
    region: RegionCode | None = None


@router.get("/demand-list/", response={200: dict[str, Any]} | ERRORS, summary="需求清单（按村、乡镇汇总）")
def demand_list(request, filters: Query[DemandFilters]):
    return plain_json(selectors.demand_list(request.auth, year=filters.year, region=filters.region or ""))
