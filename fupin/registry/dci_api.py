"""POST /api/v1/dci/registry/sync/search: the registry's households found through the Digital Convergence
Initiative's
social-registry search (the standard's envelope: signature, header, message with its search_request list).

The envelope is checked as the standard says (its version, action, timestamps and counts, each fault
answered 422 with
the standard's reason code in `code`, e.g. "rjct.version.invalid"); each search request is answered in its own
search_response item: found ("succ", its page of households with their members) or refused ("rjct" and its
reason
code), the others unaffected. Records are the caller's only, masked as everywhere in the API;
`?reveal=…&purpose=…`
shows identifiers to the roles that may see them and logs every person shown (fupin.registry.reveal).
"""

import datetime
import hashlib
import uuid
from typing import Any

from django.core.cache import cache
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from fupin.core.api import errors_for

from . import dci
from .api import HOUSEHOLD_LIST_FIELDS, MemberOut, RevealQuery, _mask, _revealed, member_out
from .api_fields import _dump
from .models import Household, Member

VERSION = "1.0.0"
SENDER_ID = "fupin"
MAX_REQUESTS = 10
# The standard's other actions: known, so refused as not supported rather than as invalid.
OTHER_ACTIONS = {
    "subscribe",
    "unsubscribe",
    "txn-status",
    "notify",
    "on-search",
    "on-subscribe",
    "txn-on-status",
}
MESSAGE_IDS_KEPT = 86400  # seconds a message_id is remembered, to refuse a duplicate


class EnvelopeRefused(HttpError):
    """The envelope itself is refused: 422, the standard's reason code as the error's `code`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(422, message)
        self.code = code


class HeaderIn(Schema):
    version: str = Field(VERSION, max_length=20, description="协议版本，须为 1.0.0")
    message_id: str = Field(..., min_length=1, max_length=99, description="消息标识；一天内重复即拒绝")
    message_ts: str = Field(..., max_length=40, description="消息时间，ISO 8601，带时区")
    action: str = Field(..., max_length=40, description="须为 search")
    sender_id: str = Field(..., min_length=1, max_length=99, description="发送方标识")
    sender_uri: str | None = Field(None, max_length=500, description="（同步查询不使用）")
    receiver_id: str | None = Field(None, max_length=99)
    total_count: int = Field(..., ge=0, le=2**31 - 1, description="search_request 的条数")


class SearchRequestIn(Schema):
    reference_id: str = Field(
        ..., min_length=1, max_length=99, description="本条查询的标识，同一消息内不得重复"
    )
    timestamp: str = Field(..., max_length=40, description="ISO 8601，带时区")
    search_criteria: dict[str, Any] = Field(
        ...,
        description="{query_type: idtype-value | predicate, query, reg_type?, reg_record_type?, sort?, "
        "pagination?}；"
        "idtype-value 的 query 为 {type: ID_NUMBER | HOUSEHOLD_NUMBER, value}；predicate 的 query 为 "
        "[{seq_num, expression1: {attribute_name, operator, attribute_value}, condition: and, expression2}]，"
        "属性：region_code、name（eq）、" + "、".join(dci.ATTRIBUTES),
    )
    locale: str | None = Field(None, max_length=10)


class SearchMessageIn(Schema):
    transaction_id: str = Field(..., min_length=1, max_length=99)
    search_request: list[SearchRequestIn] = Field(..., min_length=1, description=f"至多 {MAX_REQUESTS} 条")


class SearchEnvelopeIn(Schema):
    signature: str | None = Field(None, max_length=10000, description="（不校验：调用方以 API 令牌认证）")
    header: HeaderIn
    message: SearchMessageIn


class HeaderOut(Schema):
    version: str
    message_id: str
    message_ts: datetime.datetime
    action: str = Field(..., description="on-search")
    status: str = Field(..., description="succ")
    status_reason_code: str | None = None
    status_reason_message: str | None = None
    total_count: int
    completed_count: int
    sender_id: str
    receiver_id: str
    is_msg_encrypted: bool = False


class Identifier(Schema):
    identifier_type: str
    identifier_value: str


class Address(Schema):
    region_code: str = Field(..., description="行政村代码")
    locality: str = Field(..., description="行政村名称")


class RegRecord(Schema):
    identifier: list[Identifier]
    address: Address
    household: dict[str, Any] = Field(..., description="户的基本情况（同 /households/ 列表的字段，脱敏）")
    members: list[MemberOut]


class DataOut(Schema):
    version: str
    reg_type: str
    reg_record_type: str
    reg_records: list[RegRecord]


class PaginationOut(Schema):
    page_size: int
    page_number: int
    total_count: int


class SearchResponseOut(Schema):
    reference_id: str
    timestamp: datetime.datetime
    status: str = Field(..., description="succ 或 rjct")
    status_reason_code: str | None = Field(None, description="rjct 的原因代码（标准的 rjct.*）")
    status_reason_message: str | None = Field(None, description="中文说明")
    data: DataOut | None = None
    pagination: PaginationOut | None = None
    locale: str = "zho"


class SearchMessageOut(Schema):
    transaction_id: str
    correlation_id: str
    search_response: list[SearchResponseOut]


class SearchEnvelopeOut(Schema):
    signature: str | None = None
    header: HeaderOut
    message: SearchMessageOut


def _check_header(user, header: HeaderIn, requests: int) -> None:
    if header.version != VERSION:
        raise EnvelopeRefused(
            "rjct.version.invalid", gettext("协议版本须为 %(version)s") % {"version": VERSION}
        )
    if header.action != "search":
        if header.action in OTHER_ACTIONS:
            raise EnvelopeRefused(
                "rjct.action.not_supported",
                gettext("此接口只接受 search，不支持 %(action)s") % {"action": header.action},
            )
        raise EnvelopeRefused("rjct.action.invalid", gettext("action 须为 search"))
    if dci.parse_timestamp(header.message_ts) is None:
        raise EnvelopeRefused("rjct.message_ts.invalid", gettext("message_ts 须为带时区的 ISO 8601 时间"))
    if requests > MAX_REQUESTS:
        raise EnvelopeRefused(
            "rjct.total_count.limit_exceeded",
            gettext("一条消息至多 %(most)s 个查询") % {"most": MAX_REQUESTS},
        )
    if header.total_count != requests:
        raise EnvelopeRefused("rjct.total_count.invalid", gettext("total_count 须等于 search_request 的条数"))
    key = hashlib.sha256(f"{user.pk}:{header.message_id}".encode()).hexdigest()  # any characters, a safe key
    if not cache.add(f"fupin:dci-message:{key}", 1, timeout=MESSAGE_IDS_KEPT):
        raise EnvelopeRefused(
            "rjct.message_id.duplicate", gettext("message_id 已用过：每条消息须有新的 message_id")
        )


def _record(household: Household, user, revealed: frozenset[str]) -> dict[str, Any]:
    values = _mask(
        _dump(household, HOUSEHOLD_LIST_FIELDS), sees_identifiers=user.sees_identifiers, revealed=revealed
    )
    return {
        "identifier": [{"identifier_type": "HOUSEHOLD_NUMBER", "identifier_value": household.number}],
        "address": {"region_code": household.village_id, "locality": household.village.name},
        "household": values,
        "members": [member_out(m, user, revealed) for m in household.members.all()],
    }


def _answer(user, item: SearchRequestIn, reveal_query: RevealQuery, seen: set[str]) -> dict[str, Any]:
    """One search_response item: the request's page of households, or its refusal."""
    base: dict[str, Any] = {"reference_id": item.reference_id, "timestamp": timezone.now(), "locale": "zho"}
    try:
        if item.reference_id in seen:
            raise dci.SearchRefused("rjct.reference_id.duplicate", gettext("reference_id 在本消息中重复"))
        seen.add(item.reference_id)
        if dci.parse_timestamp(item.timestamp) is None:
            raise dci.SearchRefused("rjct.timestamp.invalid", gettext("timestamp 须为带时区的 ISO 8601 时间"))
        households = dci.search(user, item.search_criteria)
        size, number = dci.page_of(item.search_criteria.get("pagination"))
    except dci.SearchRefused as refused:
        return base | {
            "status": "rjct",
            "status_reason_code": refused.code,
            "status_reason_message": refused.message,
        }
    total = households.count()
    page = list(
        households.select_related("village").prefetch_related(
            Prefetch("members", queryset=Member.objects.order_by("pk"))
        )[(number - 1) * size : number * size]
    )
    members = [m for h in page for m in h.members.all()]
    revealed = _revealed(user, reveal_query, members)
    return base | {
        "status": "succ",
        "data": {
            "version": VERSION,
            "reg_type": dci.REG_TYPE,
            "reg_record_type": dci.REG_RECORD_TYPE,
            "reg_records": [_record(h, user, revealed) for h in page],
        },
        "pagination": {"page_size": size, "page_number": number, "total_count": total},
    }


router = Router(tags=["dci"])


@router.post(
    "/registry/sync/search",
    response={200: SearchEnvelopeOut} | errors_for(),
    summary="社会救助登记查询（DCI 社会登记 API 的 sync/search）",
)
def sync_search(request, envelope: SearchEnvelopeIn, reveal_query: Query[RevealQuery]):
    """按标识（身份证号、户编号）或按属性在本人管辖范围内查找户；信封有误答 422，代码为标准的 rjct.*。"""
    user = request.auth
    requests = envelope.message.search_request
    _revealed(
        user, reveal_query, []
    )  # a reveal this role may not make, or without a purpose: refused up front
    _check_header(user, envelope.header, len(requests))
    seen: set[str] = set()
    answers = [_answer(user, item, reveal_query, seen) for item in requests]
    return {
        "signature": None,
        "header": {
            "version": VERSION,
            "message_id": uuid.uuid4().hex,
            "message_ts": timezone.now(),
            "action": "on-search",
            "status": "succ",
            "total_count": len(answers),
            "completed_count": len(answers),
            "sender_id": SENDER_ID,
            "receiver_id": envelope.header.sender_id,
        },
        "message": {
            "transaction_id": envelope.message.transaction_id,
            "correlation_id": uuid.uuid4().hex,
            "search_response": answers,
        },
    }
