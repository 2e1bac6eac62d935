"""Events a department pushes, under /api/v1/department-events/: one death, disability certificate, medical
bill, disaster loss, vehicle or business registration at a time, matched at once (fupin.monitoring.pushed). A
liaison's token reaches these routes and its own results only."""

from typing import Annotated, Literal

from ninja import Field, Path, Query, Router
from ninja.responses import Status
from pydantic import AfterValidator

from fupin.core.api import CursorQuery, cursor_list, errors_for, model_schema, page_schema, shown_fields
from fupin.registry.api import MAX_ID, record_out
from fupin.registry.api_fields import Date, InputSchema, Money, _text

from . import pushed, selectors
from .models import DepartmentEvent, PushedEventKind

router = Router(tags=["department-events"])
ERRORS = errors_for(409)
Id = Path(..., ge=1, le=MAX_ID)

EVENT_FIELDS = shown_fields(DepartmentEvent)
DepartmentEventOut = model_schema("DepartmentEventOut", DepartmentEvent, EVENT_FIELDS)
MAX_DETAILS = 12


def _few(details: dict[str, str]) -> dict[str, str]:
    if len(details) > MAX_DETAILS:
        raise ValueError(f"最多{MAX_DETAILS}项")
    return details


class DepartmentEventIn(InputSchema):
    event_id: _text(100) = Field(..., description="部门自己的事件编号：同一编号重复推送只处理一次")
    kind: Literal[tuple(PushedEventKind.values)] = Field(
        ..., description="；".join(f"{k.value}={k.label}" for k in PushedEventKind)
    )
    id_number: _text(30) = Field(..., description="当事人的公民身份号码（18位）")
    occurred_on: Date = Field(..., description="发生日期（死亡、发证、就医、受灾、登记）")
    county: str = Field("", pattern=r"^(\d{6})?$", description="部门联络员：事件所属的县（6位代码）")
    amount: Money | None = Field(None, description="医疗费用或灾害损失（元）；这两类事件必填")
    description: _text(200) = ""
    details: Annotated[dict[_text(40), _text(100)], AfterValidator(_few)] = Field(
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
    return Status(201 if new else 200, record_out(event, EVENT_FIELDS, user))


@router.get(
    "/",
    response={200: page_schema("DepartmentEventPage", DepartmentEventOut)} | ERRORS,
    summary="推送的部门事件",
)
def list_events(request, params: Query[CursorQuery]):
    user = request.auth
    rows = selectors.department_events_for(user)
    return cursor_list(rows, params, lambda r: record_out(r, EVENT_FIELDS, user), where="department-events")


@router.get("/{event_id}/", response={200: DepartmentEventOut} | ERRORS, summary="一条部门事件及其比对结果")
def get_event(request, event_id: int = Id):
    user = request.auth
    return record_out(selectors.department_events_for(user).get(pk=event_id), EVENT_FIELDS, user)
