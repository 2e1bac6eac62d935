"""Events a department pushes, under /api/v1/department-events/: one death, disability certificate, medical
bill, disaster loss, vehicle or business registration at a time, matched at once (fupin.monitoring.pushed) by
ID number, or by name and birth date. A liaison's token reaches these routes and its own results only."""

from typing import Annotated, Literal

from django.utils.translation import gettext
from ninja import Field, Path, Query, Router, Schema
from ninja.responses import Status
from pydantic import AfterValidator

from fupin.core.api import (
    CursorQuery,
    bounded_text,
    cursor_list,
    errors_for,
    model_schema,
    page_schema,
    shown_fields,
)
from fupin.registry.api import MAX_ID, record_out
from fupin.registry.api_fields import Date, InputSchema, Money

from . import pushed, selectors
from .models import DepartmentEvent, PushedEventKind

router = Router(tags=["department-events"])
ERRORS = errors_for(409)
Id = Path(..., ge=1, le=MAX_ID)

EVENT_FIELDS = shown_fields(DepartmentEvent)


class CandidateOut(Schema):
    finding: int = Field(..., description="待确认疑点 id")
    household: int = Field(..., description="户 id")
    member: int | None = Field(..., description="成员 id")
    village_code: str = Field(..., description="行政村代码")


DepartmentEventOut = model_schema(
    "DepartmentEventOut",
    DepartmentEvent,
    EVENT_FIELDS,
    extra={
        "candidates": (
            list[CandidateOut],
            Field(..., description="待确认的候选成员（仅调用者管辖范围内的；部门联络员只见人数）"),
        )
    },
)


def event_out(event: DepartmentEvent, user) -> dict:
    """The event as `user` reads it: of its candidates (if any), those in the user's scope, as findings."""
    candidates = (
        selectors.findings_for(user, cross_check=event.cross_check_id).filter(rule=pushed.UNRESOLVED_RULE)
        if event.candidates_count and event.cross_check_id
        else []
    )
    return record_out(event, EVENT_FIELDS, user) | {
        "candidates": [
            {
                "finding": f.pk,
                "household": f.household_id,
                "member": f.member_id,
                "village_code": f.village_code,
            }
            for f in candidates
        ]
    }


MAX_DETAILS = 12


def _few(details: dict[str, str]) -> dict[str, str]:
    if len(details) > MAX_DETAILS:
        raise ValueError(gettext("最多%(MAX_DETAILS)s项") % {"MAX_DETAILS": MAX_DETAILS})
    return details


class DepartmentEventIn(InputSchema):
    event_id: bounded_text(100) = Field(..., description="部门自己的事件编号：同一编号重复推送只处理一次")
    kind: Literal[tuple(PushedEventKind.values)] = Field(
        ..., description="；".join(f"{k.value}={k.label}" for k in PushedEventKind)
    )
    id_number: bounded_text(30) = Field(
        "", description="当事人的公民身份号码（18位）；没有或可能有误时，同时填写姓名和出生日期"
    )
    name: bounded_text(50) = Field(
        "", description="当事人姓名；与出生日期一起，在没有身份证号或其不符时用于匹配"
    )
    birth_date: Date | None = Field(None, description="当事人出生日期（与姓名一起用于匹配）")
    occurred_on: Date = Field(..., description="发生日期（死亡、发证、就医、受灾、登记）")
    county: str = Field("", pattern=r"^(\d{6})?$", description="部门联络员：事件所属的县（6位代码）")
    amount: Money | None = Field(None, description="医疗费用或灾害损失（元）；这两类事件必填")
    description: bounded_text(200) = ""
    details: Annotated[dict[bounded_text(40), bounded_text(100)], AfterValidator(_few)] = Field(
        default_factory=dict, description="其他字段（如“车辆类型”），作为疑点的名单内容保存；最多12项"
    )


@router.post(
    "/",
    response={200: DepartmentEventOut, 201: DepartmentEventOut} | ERRORS,
    summary="推送一条部门事件，立即与建档立卡成员比对（重复的事件编号：200，返回首次结果）",
)
def push_event(request, payload: DepartmentEventIn):
    user = request.auth
    event, new = pushed.receive_event(pushed.Pushed(**payload.dict()), by=user)
    return Status(201 if new else 200, event_out(event, user))


@router.get(
    "/",
    response={200: page_schema("DepartmentEventPage", DepartmentEventOut)} | ERRORS,
    summary="推送的部门事件",
)
def list_events(request, params: Query[CursorQuery]):
    user = request.auth
    rows = selectors.department_events_for(user)
    return cursor_list(rows, params, lambda r: event_out(r, user), where="department-events")


@router.get("/{event_id}/", response={200: DepartmentEventOut} | ERRORS, summary="一条部门事件及其比对结果")
def get_event(request, event_id: int = Id):
    user = request.auth
    return event_out(selectors.department_events_for(user).get(pk=event_id), user)
