"""Declarations in the JSON API, under /api/v1/declarations/: the list (most urgent first), one declaration,
staff
intake, the home visit's findings, verification and rejection. Selectors read in the caller's scope; services
act
and audit. Refusals answer 422, a declaration outside the caller's scope 404, a role that may not act 404
too."""

import datetime
from typing import Literal

from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema
from ninja.responses import Status

from fupin.audit.access import Channel as AccessChannel
from fupin.core.api import CursorQuery, errors_for
from fupin.core.idnumber import mask, mask_phone, mask_text
from fupin.core.pagination import keyset_page
from fupin.monitoring.models import MonitoringKind
from fupin.registry import reveal as registry_reveal
from fupin.registry.api import MAX_ID, RevealQuery
from fupin.registry.api_fields import InputSchema

from . import cases, clock, reveal, selectors, services
from .models import STAFF_CHANNELS, Declaration, Hardship, Route
from .models import Status as DeclarationStatus

router = Router(tags=["declarations"])
ERRORS = errors_for(409)
DeclarationId = Path(..., ge=1, le=MAX_ID, description="申报 id")


class Filters(CursorQuery):
    status: Literal[tuple(DeclarationStatus.values)] | None = None
    bucket: Literal["received", "verified", "in_procedure", "concluded", "overdue"] | None = None
    region: str = Field("", pattern=r"^\d{0,12}$")
    offset: int = Field(0, ge=0, le=10**9, description="（旧参数）第一页从第几条开始；翻页请用 cursor")


class DeclarationOut(Schema):
    id: int
    receipt: str
    channel: str
    channel_display: str
    village_code: str
    name: str
    id_number: str = Field(..., description="默认遮蔽（reveal 和 purpose 参数查看全文，记入查看记录）")
    phone: str = Field(..., description="默认遮蔽（同身份证号）")
    household: int | None
    hardship: str
    description: str
    status: str
    status_display: str
    received_at: datetime.datetime
    verify_due: datetime.date
    review_due: datetime.date | None
    total_due: datetime.date
    due_on: datetime.date | None = Field(..., description="当前环节时限（工作日计）")
    urgency: str = Field(..., description="red：已超期；orange：一个工作日内到期")
    case: int | None = Field(..., description="进入的监测程序 id")
    batch: int | None = Field(..., description="进入的识别或返贫程序批次 id")


class DeclarationPage(Schema):
    count: int
    limit: int
    offset: int
    next: str | None = Field(..., description="下一页的游标（作为 cursor 传回）；最后一页为 null")
    results: list[DeclarationOut]


class IntakeIn(InputSchema):
    channel: Literal[tuple(c.value for c in STAFF_CHANNELS)]
    village_code: str = Field(..., pattern=r"^\d{12}$")
    name: str = Field(..., max_length=50)
    id_number: str = Field(..., max_length=18)
    phone: str = Field("", max_length=13)
    hardship: Literal[tuple(Hardship.values)]
    description: str = Field(..., max_length=500)
    consent: bool = False


class VisitIn(InputSchema):
    findings: str = Field(..., max_length=2000)


class VerifyIn(InputSchema):
    findings: str = Field("", max_length=2000)
    kind: Literal[("",) + tuple(MonitoringKind.values)] = ""
    route: Literal[tuple(Route.values)] = Field(
        Route.MONITORING, description="核实后进入的程序：monitoring 监测户；identification 识别；relapse 返贫"
    )


class RejectIn(InputSchema):
    reason: str = Field(..., max_length=300)


def _out(d: Declaration, user, *, revealed: bool = False) -> dict:
    """A declaration; the declarant's ID number and phone masked for every role unless `revealed` (logged)."""
    shown = revealed
    return {
        "id": d.pk,
        "receipt": d.receipt,
        "channel": d.channel,
        "channel_display": d.get_channel_display(),
        "village_code": d.village_id,
        "name": d.name,
        "id_number": d.id_number if shown else mask(d.id_number),
        "phone": d.phone if shown else mask_phone(d.phone),
        "household": d.household_id,
        "hardship": d.hardship,
        "description": d.description if shown else mask_text(d.description),
        "status": d.status,
        "status_display": d.status_text,
        "received_at": d.received_at,
        "verify_due": d.verify_due,
        "review_due": d.review_due,
        "total_due": d.total_due,
        "due_on": d.due_on,
        "urgency": clock.urgency(d.due_on, timezone.localdate()) if d.is_open else "",
        "case": d.case_id,
        "batch": d.entry.batch_id if d.entry_id else None,
    }


@router.get("/", response={200: DeclarationPage} | ERRORS, summary="申报列表（管辖范围内，新的在前）")
def list_declarations(request, filters: Query[Filters]):
    user = request.auth
    rows = selectors.declarations_for(
        user, region=filters.region, status=filters.status or "", bucket=filters.bucket or ""
    )
    page, following = keyset_page(
        rows, cursor=filters.cursor, limit=filters.limit, offset=filters.offset, where="declarations"
    )
    return {
        "count": rows.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "next": following,
        "results": [_out(d, user) for d in page],
    }


@router.get("/{declaration_id}/", response={200: DeclarationOut} | ERRORS, summary="一项申报")
def get_declaration(request, declaration_id: int = DeclarationId, query: Query[RevealQuery] = None):
    """身份证号、手机号默认遮蔽；录入和审核角色可用 reveal 和 purpose 参数查看全文，每次都记入查看记录。"""
    user = request.auth
    declaration = selectors.declaration_for(user, declaration_id)
    revealed = False
    if query is not None and query.reveal:
        registry_reveal.parse_fields(query.reveal)
        revealed = reveal.reveal(
            declaration,
            by=user,
            purpose=query.purpose or "",
            note=query.note or "",
            channel=AccessChannel.API,
        )
    return _out(declaration, user, revealed=revealed)


@router.post("/", response={201: DeclarationOut} | ERRORS, summary="登记热线、来访、干部排查或部门预警的申报")
def intake(request, payload: IntakeIn):
    user = request.auth
    declaration = services.intake(by=user, **payload.dict())
    return Status(201, _out(declaration, user))


@router.post(
    "/{declaration_id}/visit/",
    response={200: DeclarationOut} | ERRORS,
    summary="记录入户核实情况（本村干部或结对帮扶责任人）",
)
def visit(request, payload: VisitIn, declaration_id: int = DeclarationId):
    user = request.auth
    declaration = services.record_visit(
        selectors.declaration_for(user, declaration_id), by=user, findings=payload.findings
    )
    return _out(declaration, user)


@router.post(
    "/{declaration_id}/verify/",
    response={200: DeclarationOut} | ERRORS,
    summary="核实属实，纳入监测程序（村扶贫专干、驻村工作队）",
)
def verify(request, payload: VerifyIn, declaration_id: int = DeclarationId):
    user = request.auth
    declaration = cases.verify(selectors.declaration_for(user, declaration_id), by=user, **payload.dict())
    return _out(declaration, user)


@router.post(
    "/{declaration_id}/reject/", response={200: DeclarationOut} | ERRORS, summary="不予纳入（短信告知理由）"
)
def reject(request, payload: RejectIn, declaration_id: int = DeclarationId):
    user = request.auth
    declaration = cases.reject(
        selectors.declaration_for(user, declaration_id), by=user, reason=payload.reason
    )
    return _out(declaration, user)
