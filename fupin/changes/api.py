"""Change requests in the JSON API, under /api/v1/change-requests/: list, read, propose, approve, return,
resubmit, withdraw, add evidence files. Thin: selectors read in the caller's scope, services act and audit.

Refusals answer 422 with {"detail", "errors"}; a conflict with another open request 409; a role that
may not act 403; a request outside the caller's region 404, as if it did not exist.
"""

import datetime
from typing import Any, Literal

from ninja import Field, File, Path, Query, Router, Schema, UploadedFile
from ninja.responses import Status

from fupin.audit.access import Channel
from fupin.core.api import CursorQuery, bounded_text, errors_for
from fupin.core.pagination import keyset_page
from fupin.registry import reveal as registry_reveal
from fupin.registry import selectors as registry_selectors
from fupin.registry.api import MAX_ID, RevealQuery
from fupin.registry.api_fields import InputSchema

from . import display, reveal, selectors, services
from .models import ChangeKind, ChangeRequest, ChangeStatus

router = Router(tags=["change-requests"])
ERRORS = errors_for(409)
RequestId = Path(..., ge=1, le=MAX_ID, description="变更申请 id")

PAYLOAD_DOC = """变更内容，按 kind：
- member_join：{"cause": "born|married_in|moved_in", "member": {成员字段，同 POST /households/{id}/members/}}
- member_leave：{"cause": "died|married_out|moved_out", "member_id": 成员id, \
"new_head_id": 减员的是户主时的新户主id}
- change_head：{"new_head_id": 成员id, "former_head_relation": 原户主与新户主的关系}
- move_member：{"member_id": 成员id, "target_household_id": 迁入户id, "relation": 在迁入户中与户主关系}
- split_household：{"relations": {"成员id": 与新户主关系（须有且只有一个 head）}}
- merge_households：{"other_household_id": 并入本户的户id, "absorbed_head_relation": 该户户主与本户户主关系}
- type_change：{"household_type": 贫困户属性}
- status_correction：{"status": 户状态, "registration_year": 识别年度, "exit_year": 脱贫年度}
- income_correction：{"year": 年度, "wages": "…", …各项收入与 productive_expenditure（元）, \
"household_size": 人数}
- member_identity：{"member_id": 成员id, "id_number": 更正后的身份证号, "name": 更正后的姓名}\
（性别、出生日期由身份证号识别）
- guarantee_correction：{"year": 年度, "items": {"food": true, …, "water": false}, \
"notes": {"water": "未达标说明"}, "checked_on": "YYYY-MM-DD"}"""


class ProposeIn(InputSchema):
    household: int = Field(..., ge=1, le=MAX_ID, description="户 id")
    kind: Literal[tuple(ChangeKind.values)] = Field(
        ..., description="变更类型：" + "；".join(f"{v}={label}" for v, label in ChangeKind.choices)
    )
    payload: dict[str, Any] = Field(..., description=PAYLOAD_DOC)
    reason: bounded_text(2000) = Field(..., description="变更原因（必填）")
    evidence_reference: bounded_text(300) = Field(
        "", description="佐证材料说明（文件名称、文号或存放处）；图片和 PDF 在网页上上传"
    )


class ResubmitIn(InputSchema):
    payload: dict[str, Any] = Field(..., description=PAYLOAD_DOC)
    reason: bounded_text(2000) = Field(..., description="变更原因（必填）")
    evidence_reference: bounded_text(300) = Field("", description="佐证材料说明")


class DecisionIn(InputSchema):
    comment: bounded_text(2000) = Field("", description="意见；退回时必填")


class Filters(CursorQuery):
    status: Literal[("", *ChangeStatus.values)] = ""
    kind: Literal[("", *ChangeKind.values)] = ""
    household: int | None = Field(None, ge=1, le=MAX_ID, description="只看此户（id）的申请")
    offset: int = Field(0, ge=0, le=2**31 - 1, description="（旧参数）第一页从第几条开始；翻页请用 cursor")


class RowOut(Schema):
    label: str
    before: str
    after: str


class ActionOut(Schema):
    action: str
    action_display: str
    by: str
    role: str
    at: datetime.datetime
    comment: str


class EvidenceOut(Schema):
    id: int
    name: str
    content_type: str
    size: int


class ChangeRequestItem(Schema):
    id: int
    household: int
    household_number: str
    village_code: str
    kind: str
    kind_display: str
    status: str
    status_display: str
    summary: str = Field(..., description="一句话说明")
    proposed_by: str
    proposed_at: datetime.datetime
    decided_by: str | None
    decided_at: datetime.datetime | None


class ChangeRequestOut(ChangeRequestItem):
    payload: dict[str, Any] = Field(..., description="变更内容；身份证号、电话、出生日期按角色脱敏")
    changes: list[RowOut] = Field(..., description="变更前 → 变更后")
    reason: str
    evidence_reference: str
    evidence: list[EvidenceOut]
    review_comment: str
    created_household: int | None = Field(..., description="分户时新立户的 id")
    history: list[ActionOut]


class ChangeRequestPage(Schema):
    count: int
    limit: int
    offset: int
    next: str | None = Field(..., description="下一页的游标（作为 cursor 传回）；最后一页为 null")
    results: list[ChangeRequestItem]


def _item(change: ChangeRequest) -> dict:
    return {
        "id": change.pk,
        "household": change.household_id,
        "household_number": change.household.number,
        "village_code": change.village_code,
        "kind": change.kind,
        "kind_display": change.get_kind_display(),
        "status": change.status,
        "status_display": change.get_status_display(),
        "summary": display.summary(change),
        "proposed_by": change.proposed_by.username,
        "proposed_at": change.proposed_at,
        "decided_by": change.decided_by.username if change.decided_by_id else None,
        "decided_at": change.decided_at,
    }


def _masked_payload(payload: dict, *, revealed: bool) -> dict:
    if revealed:
        return payload
    if "id_number" in payload:  # member_identity: the corrected number
        payload = payload | {"id_number": display.MASKED["id_number"](payload["id_number"])}
    if "member" not in payload:
        return payload
    member = {
        k: display.MASKED[k](v) if k in display.MASKED and v else v for k, v in payload["member"].items()
    }
    return payload | {"member": member}


def _revealed(user, change: ChangeRequest, query: RevealQuery | None) -> bool:
    """Whether this request shows the change's ID numbers and phones in full (`?reveal=…&purpose=…`), logged;
    403 for a role that may not see them, 422 without a purpose."""
    if query is None or not query.reveal:
        return False
    registry_reveal.parse_fields(query.reveal)
    return reveal.reveal(
        change, by=user, purpose=query.purpose or "", note=query.note or "", channel=Channel.API
    )


def _detail(user, pk: int, query: RevealQuery | None = None) -> dict:
    """The request, its ID numbers and phones masked for every role unless the query reveals them."""
    change = selectors.change_request_for(user, pk)
    revealed = _revealed(user, change, query)
    return _item(change) | {
        "payload": _masked_payload(change.payload, revealed=revealed),
        "changes": [vars(r) for r in display.rows(change, sees_identifiers=revealed)],
        "reason": change.reason,
        "evidence_reference": change.evidence_reference,
        "evidence": [
            {"id": e.pk, "name": e.name, "content_type": e.content_type, "size": e.size}
            for e in change.evidence.all()
        ],
        "review_comment": change.review_comment,
        "created_household": change.created_household_id,
        "history": [
            {
                "action": a.action,
                "action_display": a.get_action_display(),
                "by": a.by.username,
                "role": a.role,
                "at": a.at,
                "comment": a.comment,
            }
            for a in selectors.history(change)
        ],
    }


@router.get("/", response={200: ChangeRequestPage} | ERRORS, summary="变更申请列表（管辖范围内，新的在前）")
def list_change_requests(request, filters: Query[Filters]):
    user = request.auth
    household = None
    if filters.household:
        household = registry_selectors.household_for(user, filters.household)
    changes = selectors.change_requests_for(
        user, status=filters.status, kind=filters.kind, household=household
    )
    page, following = keyset_page(
        changes, cursor=filters.cursor, limit=filters.limit, offset=filters.offset, where="change-requests"
    )
    return {
        "count": changes.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "next": following,
        "results": [_item(c) for c in page],
    }


@router.get(
    "/{request_id}/",
    response={200: ChangeRequestOut} | ERRORS,
    summary="一项变更申请：变更前后、佐证、办理记录",
)
def get_change_request(request, request_id: int = RequestId, query: Query[RevealQuery] = None):
    """身份证号、电话默认遮蔽；录入和审核角色可用 reveal 和 purpose 参数查看全文，每次都记入查看记录。"""
    return _detail(request.auth, request_id, query)


@router.post("/", response={201: ChangeRequestOut} | ERRORS, summary="提出变更申请（村扶贫专干、驻村工作队）")
def propose(request, payload: ProposeIn):
    user = request.auth
    household = registry_selectors.household_for(user, payload.household)
    change = services.propose(
        household,
        by=user,
        kind=payload.kind,
        payload=payload.payload,
        reason=payload.reason,
        evidence_reference=payload.evidence_reference,
    )
    return Status(201, _detail(user, change.pk))


@router.post(
    "/{request_id}/resubmit/", response={200: ChangeRequestOut} | ERRORS, summary="修改已退回的申请并重新提交"
)
def resubmit(request, payload: ResubmitIn, request_id: int = RequestId):
    user = request.auth
    change = selectors.change_request_for(user, request_id)
    services.resubmit(
        change,
        by=user,
        payload=payload.payload,
        reason=payload.reason,
        evidence_reference=payload.evidence_reference,
    )
    return _detail(user, change.pk)


@router.post(
    "/{request_id}/evidence/",
    response={200: ChangeRequestOut} | ERRORS,
    summary="补充佐证材料（图片或 PDF，multipart）",
)
def add_evidence(request, request_id: int = RequestId, files: File[list[UploadedFile]] = None):
    """multipart/form-data，字段名 files，可多个；JPG、PNG 或 PDF，每个不超过10MB，每项申请最多5个。"""
    user = request.auth
    services.add_evidence(selectors.change_request_for(user, request_id), by=user, files=files or [])
    return _detail(user, request_id)


@router.post(
    "/{request_id}/approve/",
    response={200: ChangeRequestOut} | ERRORS,
    summary="批准并生效（乡镇、县扶贫办）",
)
def approve(request, payload: DecisionIn, request_id: int = RequestId):
    """核对申请所依据的情况仍是现状后，一次性写入并记入操作记录；提出人不能审核自己的申请。"""
    user = request.auth
    services.approve(selectors.change_request_for(user, request_id), by=user, comment=payload.comment)
    return _detail(user, request_id)


@router.post(
    "/{request_id}/return/", response={200: ChangeRequestOut} | ERRORS, summary="退回修改（须填写意见）"
)
def return_request(request, payload: DecisionIn, request_id: int = RequestId):
    user = request.auth
    services.return_request(selectors.change_request_for(user, request_id), by=user, comment=payload.comment)
    return _detail(user, request_id)


@router.post(
    "/{request_id}/withdraw/",
    response={200: ChangeRequestOut} | ERRORS,
    summary="撤回申请（村扶贫专干、驻村工作队）",
)
def withdraw(request, payload: DecisionIn, request_id: int = RequestId):
    user = request.auth
    services.withdraw(selectors.change_request_for(user, request_id), by=user, comment=payload.comment)
    return _detail(user, request_id)
