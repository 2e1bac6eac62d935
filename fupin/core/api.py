"""What every part of the JSON API shares: one error shape and a cursor-paginated list.

Every refusal answers `{"code", "detail", "errors"}`: a stable English `code` a program can switch on (see
ERROR_CODES), the Chinese `detail` a person reads, and `errors` mapping a field (or "__all__") to its Chinese
message where the refusal points at fields. Lists answer `{"limit", "next", "results"}`
(fupin.core.pagination.keyset_page): `next` is an opaque signed cursor to pass back as `cursor`, null on the
last page.
"""

from collections.abc import Callable, Sequence
from typing import Any

from django.db.models import QuerySet
from ninja import Field, Schema
from pydantic import create_model

from .pagination import API_MAX_LIMIT, keyset_page

# A status's code unless the handler names a more precise one.
ERROR_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "version_conflict",
    413: "too_large",
    422: "invalid",
    428: "if_match_required",
    429: "rate_limited",
    503: "unavailable",
}


class ErrorOut(Schema):
    code: str = Field(
        ...,
        description="错误类别（英文，供程序判断）：" + "；".join(f"{c}={s}" for s, c in ERROR_CODES.items()),
    )
    detail: str = Field(..., description="中文说明")
    errors: dict[str, str] | None = Field(None, description="{字段: 中文说明}；__all__ 指整个请求")


def error_body(status: int, detail: str, errors: dict | None = None, *, code: str = "") -> dict[str, Any]:
    body: dict[str, Any] = {"code": code or ERROR_CODES.get(status, "error"), "detail": detail}
    if errors is not None:
        body["errors"] = errors
    return body


def errors_for(*statuses: int) -> dict[int, type[Schema]]:
    """The error answers an operation documents: 401, 403, 404, 422 and 429 always, and these."""
    return {status: ErrorOut for status in sorted({401, 403, 404, 422, 429, *statuses})}


class CursorQuery(Schema):
    """The paging parameters of every list: `cursor` from the previous page's `next`, `limit` rows (at most 200)."""

    cursor: str | None = Field(
        None, max_length=2000, description="上一页结果中的 next 值；省略时从第一条开始"
    )
    limit: int = Field(50, ge=1, le=API_MAX_LIMIT, description=f"每页条数，1–{API_MAX_LIMIT}")


def page_schema(name: str, item: Any) -> type[Schema]:
    """The answer of a list: {"limit", "next", "results": [item…]}."""
    return create_model(
        name,
        __base__=Schema,
        limit=(int, ...),
        next=(str | None, Field(..., description="下一页的游标（作为 cursor 传回）；最后一页为 null")),
        results=(list[item], ...),
    )


def cursor_list(
    queryset: QuerySet,
    params: CursorQuery,
    out: Callable[[Any], dict],
    *,
    order: Sequence[str] = ("-pk",),
    where: str,
) -> dict[str, Any]:
    """One page of `queryset` in `order` as a list's answer, each row through `out`."""
    rows, following = keyset_page(
        queryset, cursor=params.cursor, limit=params.limit, order=order, where=where
    )
    return {"limit": params.limit, "next": following, "results": [out(row) for row in rows]}
