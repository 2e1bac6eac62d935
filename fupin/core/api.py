"""What every part of the JSON API shares: one error shape, a cursor-paginated list, the checked text and
amount types of request bodies, and the If-Match/412 exchange of a versioned write.

Every refusal answers `{"code", "detail", "errors"}`: a stable English `code` a program can switch on (see
ERROR_CODES), the Chinese `detail` a person reads, and `errors` mapping a field (or "__all__") to its Chinese
message where the refusal points at fields. Lists answer `{"limit", "next", "results"}`
(fupin.core.pagination.keyset_page): `next` is an opaque signed cursor to pass back as `cursor`, null on the
last page.
"""

import dataclasses
import datetime
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Annotated, Any, cast

from django.conf import settings
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from ninja import Field, Schema
from ninja.errors import HttpError
from ninja.responses import Status
from pydantic import AfterValidator, PlainValidator, WithJsonSchema, create_model

from . import money, versions
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
    """The error answers an operation documents: 400, 401, 403, 404, 422 and 429 always, and these."""
    return {status: ErrorOut for status in sorted({400, 401, 403, 404, 422, 429, *statuses})}


class CursorQuery(Schema):
    """The paging parameters of every list: `cursor` from the previous page's `next`, `limit` rows (at most
    200)."""

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


class YearQuery(CursorQuery):
    """A list that the pages filter by year, as the API does."""

    year: int | None = Field(None, ge=1900, le=2100, description="年度；省略时不限")


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


def scoped_list(
    request: Any,
    rows: QuerySet,
    params: CursorQuery,
    fields: Sequence[str],
    where: str,
    *,
    out: Callable[[Any, Sequence[str], Any], dict],
    order: Sequence[str] = ("-pk",),
) -> dict[str, Any]:
    """The answer of every area's list operation: `rows` (a selector's answer, already scoped to the caller
    and filtered by the query as the page filters them) one cursor page at a time, each row shown to the
    caller by `out(row, fields, user)` (registry.api.record_out: identifiers masked as the caller's role
    requires)."""
    user = request.auth
    return cursor_list(rows, params, lambda row: out(row, fields, user), order=order, where=where)


# ---------------------------------------------------------------- records as the API shows them


def _output_type(field: models.Field) -> Any:
    kind: Any
    if isinstance(field, models.ForeignKey):
        kind = _output_type(field.target_field)
    elif isinstance(field, models.BooleanField):
        kind = bool
    elif isinstance(field, (models.DecimalField, models.CharField, models.TextField)):
        kind = str
    elif isinstance(field, (models.IntegerField, models.AutoField)):
        kind = int
    elif isinstance(field, models.DateTimeField):
        kind = datetime.datetime
    elif isinstance(field, models.DateField):
        kind = datetime.date
    else:
        kind = Any
    return kind | None if field.null else kind


def shown_fields(model: type[models.Model], *, exclude: Sequence[str] = ()) -> tuple[str, ...]:
    """A model's columns an API answer shows: every concrete field but files (their names are not data),
    accounts (who did it is in the audit trail) and `exclude`."""
    return tuple(
        f.name
        for f in model._meta.concrete_fields
        if not isinstance(f, models.FileField)
        and f.name not in exclude
        and not (f.related_model is not None and f.related_model._meta.label == settings.AUTH_USER_MODEL)
    )


def model_schema(
    name: str, model: type[models.Model], fields: Sequence[str], *, extra: dict | None = None
) -> type[Schema]:
    """An output schema from the model's fields: codes plus *_display labels for choices, foreign keys as
    their key."""
    definitions: dict[str, Any] = {}
    for name_ in fields:
        field = cast(models.Field, model._meta.get_field(name_))
        definitions[name_] = (_output_type(field), Field(..., description=str(field.verbose_name)))
        if field.choices:
            definitions[f"{name_}_display"] = (str, Field(..., description=f"{field.verbose_name}（中文）"))
    definitions |= extra or {}
    return create_model(name, __base__=Schema, **definitions)


def dump(obj: models.Model, fields: Sequence[str]) -> dict[str, Any]:
    """Field values as the API shows them: codes plus *_display labels, money as "1234.50"."""
    out: dict[str, Any] = {}
    for name in fields:
        field = cast(models.Field, obj._meta.get_field(name))
        value = getattr(obj, field.attname)
        if isinstance(field, models.DecimalField) and value is not None:
            value = f"{Decimal(value):.{field.decimal_places}f}"
        out[name] = value
        if field.choices:
            out[f"{name}_display"] = str(getattr(obj, f"get_{name}_display")())
    return out


def plain_json(value: Any) -> Any:
    """A selector's figures (dicts, lists, dataclasses, records, money, dates) as JSON data: a record becomes
    its key and name, money a string with its decimals, a date ISO 8601."""
    if isinstance(value, dict):
        return {str(k): plain_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain_json(v) for v in value]
    if isinstance(value, models.Model):
        return {"id": value.pk, "name": str(value)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return plain_json({f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


# --- text and amounts in request bodies ------------------------------------------------------------


def bounded_text(max_length: int) -> Any:
    """A string, trimmed, with no control characters, at most `max_length` characters."""

    def check(value: str) -> str:
        value = value.strip()
        if any((ord(c) < 32 and c not in "\t\n\r") or ord(c) == 127 for c in value):
            raise ValueError(gettext("不能包含控制字符"))
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(gettext("包含无效的字符")) from None
        if len(value) > max_length:
            raise ValueError(
                gettext("最多%(max_length)s个字符，实际为%(count)s个")
                % {"max_length": max_length, "count": len(value)}
            )
        return value

    return Annotated[str, AfterValidator(check), WithJsonSchema({"type": "string", "maxLength": max_length})]


def decimal_amount(*, max_digits: int, what: str) -> Any:
    """A non-negative amount with at most two decimals, given as a string ("1234.50") or an integer.

    JSON numbers with a fraction reach us as Decimal (see fupin.api.DecimalJSONParser), so
    1234.567 is refused as it was written, never rounded through a float.
    """
    below = money.below_digits(max_digits)

    def parse(value: Any) -> Decimal:
        if isinstance(value, float):  # only from a Python caller: a JSON body's numbers arrive as Decimal
            value = repr(value)
        return money.parse_yuan(
            value, below=below, label=what, unit=""
        )  # MoneyError is a ValueError for pydantic

    schema = {
        "anyOf": [{"type": "string", "pattern": r"^\d+(\.\d{1,2})?$"}, {"type": "integer", "minimum": 0}],
        "description": f"{what}，字符串（两位小数）或整数，不接受浮点数",
        "examples": ["1234.50"],
    }
    return Annotated[Decimal, PlainValidator(parse), WithJsonSchema(schema)]


# --- versioned writes: If-Match in, 412 with what changed out --------------------------------------


class ChangeOut(Schema):
    field: str
    label: str
    theirs: str = Field(..., description="现在保存的值（他人修改后）")
    mine: str = Field(..., description="本次请求要写入的值")


class StaleOut(Schema):
    code: str = Field("version_conflict", description="version_conflict")
    detail: str
    changes: list[ChangeOut] = Field(
        ..., description="自 If-Match 所指版本以来被他人改动、且与本次请求不同的字段"
    )
    current: dict[str, Any] = Field(..., description="记录的当前内容；其 ETag 在响应头中")


VERSIONED = errors_for(409, 428) | {412: StaleOut}
IF_MATCH_REQUIRED = "请在 If-Match 请求头中给出所依据的版本（先 GET 此记录，取响应头 ETag 的值）"


def expected_version(request: HttpRequest) -> int | None:
    header = request.headers.get("If-Match")
    if header is None:
        raise HttpError(428, IF_MATCH_REQUIRED)
    return versions.if_match(header)


def entry_version(request: HttpRequest, existing: models.Model | None) -> int | None:
    """The version a PUT of a year's record is based on: If-Match, required once the record exists (428);
    without one, the client means to create it (0), and a record someone else created meanwhile is not
    overwritten."""
    if request.headers.get("If-Match") is None and existing is None:
        return 0
    return expected_version(request)


def stale(response: HttpResponse, conflict: versions.VersionConflict, current: dict) -> Status:
    """412 with what changed since the client's version, the record as it is now and its ETag."""
    response["ETag"] = versions.etag(conflict.record)
    changes = [
        {"field": c.field, "label": c.label, "theirs": c.theirs, "mine": c.mine} for c in conflict.changes
    ]
    return Status(
        412,
        {
            "code": "version_conflict",
            "detail": "此记录已被他人修改（版本已变），未保存。请按当前内容和 ETag 重新提交",
            "changes": changes,
            "current": current,
        },
    )
