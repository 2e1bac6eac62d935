"""The JSON API under /api/v1/: its authentication, error format and routers.

The OpenAPI document is at /api/v1/openapi.json and a browsable page at /api/v1/docs (Swagger
UI served from static/vendor, so it works offline). Every error answers with one JSON shape
(fupin.core.api.ErrorOut): {"code": "…", "detail": "…"} and, for refused input, "errors": {field: Chinese
message}.
"""

import json
import logging
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, InterfaceError, OperationalError
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.template import engines
from django.urls import reverse
from django.utils.translation import gettext
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.docs import DocsBase
from ninja.parser import Parser
from ninja.renderers import JSONRenderer

from fupin.accounts.api import router as accounts_router
from fupin.accounts.api import session_auth, token_auth
from fupin.assistance.api import router as assistance_router
from fupin.changes.api import router as changes_router
from fupin.changes.services import ChangeConflict
from fupin.core.api import error_body
from fupin.core.errors import CONFLICT_MESSAGE, ScopeError, ServiceError
from fupin.core.pagination import CursorError
from fupin.core.unavailable import unavailable_response
from fupin.declarations.api import router as declarations_router
from fupin.field.api import router as field_router
from fupin.field.auth import DeviceRefused
from fupin.funds.api import router as funds_router
from fupin.monitoring.api import router as monitoring_router
from fupin.monitoring.event_api import router as department_events_router
from fupin.procedures.api import router as procedures_router
from fupin.regions.api import router as regions_router
from fupin.registry.api import router as registry_router
from fupin.registry.consent_api import router as consent_router
from fupin.registry.dci_api import EnvelopeRefused
from fupin.registry.dci_api import router as dci_router
from fupin.reports.api import router as statistics_router
from fupin.subscriptions.api import router as subscriptions_router

logger = logging.getLogger(__name__)

DESCRIPTION = """精准扶贫建档立卡数据接口。

认证：`Authorization: Bearer <令牌>`（在“API 令牌”页面签发），或网页登录后的会话
（修改类请求须带 `X-CSRFToken` 头）。每个用户只能读写其管辖区划内的记录。

金额以两位小数的字符串表示（如 `"3500.00"`）；提交时可用字符串或整数，不接受超过两位小数的数。
代码字段（如 `status`）取英文代码，`*_display` 字段给出中文名称。
"""


class DecimalJSONParser(Parser):
    """JSON bodies with fractional numbers read as Decimal, so money is never a float; NaN/Infinity
    refused."""

    def parse_body(self, request):
        def refuse(constant):
            raise ValueError(gettext("JSON 中不允许 %(constant)s") % {"constant": constant})

        return json.loads(request.body, parse_float=Decimal, parse_constant=refuse)


class UnicodeJSONRenderer(JSONRenderer):
    """Chinese stays readable in responses instead of \\uXXXX escapes."""

    json_dumps_params = {"ensure_ascii": False}


class OfflineSwagger(DocsBase):
    """Swagger UI from static/vendor/swagger-ui (ninja's default page loads it from a CDN)."""

    page = """{% load static %}<!doctype html>
<html lang="zh-Hans"><head><meta charset="utf-8"><title>{{ title }}</title>
<link rel="stylesheet" href="{% static 'vendor/swagger-ui/swagger-ui.css' %}"></head>
<body data-openapi-url="{{ openapi_url }}" data-csrf-token="{{ csrf }}">
<div id="swagger-ui"></div>
<script src="{% static 'vendor/swagger-ui/swagger-ui-bundle.js' %}"></script>
<script src="{% static 'fupin/api-docs.js' %}"></script>
</body></html>"""

    def render_page(self, request, api, **kwargs):
        template = engines["django"].from_string(self.page)
        user = getattr(request, "user", None)
        csrf = get_token(request) if user is not None and user.is_authenticated else ""
        openapi_url = reverse(f"{api.urls_namespace}:openapi-json", kwargs=kwargs)
        return HttpResponse(
            template.render({"title": api.title, "openapi_url": openapi_url, "csrf": csrf}, request)
        )


# Messages for pydantic's error types, in the language of the registry's own messages.
VALIDATION_MESSAGES = {
    "missing": "必填",
    "extra_forbidden": "未知字段",
    "string_type": "须为字符串",
    "int_type": "须为整数",
    "int_parsing": "须为整数",
    "int_from_float": "须为整数",
    "bool_type": "须为 true 或 false",
    "bool_parsing": "须为 true 或 false",
    "list_type": "须为列表",
    "dict_type": "须为 JSON 对象",
    "model_type": "须为 JSON 对象",
    "model_attributes_type": "须为 JSON 对象",
    "date_type": "须为日期，格式 YYYY-MM-DD",
    "date_parsing": "须为日期，格式 YYYY-MM-DD",
    "date_from_datetime_parsing": "须为日期，格式 YYYY-MM-DD",
    "date_from_datetime_inexact": "须为日期，格式 YYYY-MM-DD",
    "literal_error": "取值无效，可选：{expected}",
    "less_than_equal": "不能大于 {le}",
    "greater_than_equal": "不能小于 {ge}",
    "too_long": "最多 {max_length} 项",
    "string_too_long": "最多 {max_length} 个字符",
}


def _field_key(loc: tuple) -> str:
    source, rest = (loc[0], loc[1:]) if loc else ("", ())
    if source == "body" and rest:
        rest = rest[1:]  # the endpoint's parameter name, not a field the client sent
    return ".".join(str(part) for part in rest) or str(source or "__all__")


def _message(error: dict) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind != "missing" and error.get("input", ...) is None:
        return "不能为 null"
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    template = VALIDATION_MESSAGES.get(kind)
    if template is None:
        return error["msg"]
    if "expected" in ctx:
        ctx = ctx | {"expected": str(ctx["expected"]).replace(" or ", ", ")}
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return error["msg"]


class FupinAPI(NinjaAPI):
    def validation_error_from_error_contexts(self, error_contexts) -> ValidationError:
        errors = {}
        for context in error_contexts:
            model = context.model
            for error in context.pydantic_validation_error.errors(include_url=False):
                loc = (model.__ninja_param_source__,) + model.__ninja_flatten_map_reverse__.get(
                    error["loc"], error["loc"]
                )
                errors.setdefault(_field_key(loc), _message(error))
        return ValidationError([{"errors": errors}])


api = FupinAPI(
    title="fupin API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=[token_auth, session_auth],
    parser=DecimalJSONParser(),
    renderer=UnicodeJSONRenderer(),
    docs=OfflineSwagger(),
)
api.add_router("/", accounts_router)
api.add_router("/", regions_router)
api.add_router("/", registry_router)
api.add_router("/", consent_router)
api.add_router("/change-requests/", changes_router)
api.add_router("/declarations/", declarations_router)
api.add_router("/field/", field_router)
api.add_router("/procedures/", procedures_router)
api.add_router("/assistance/", assistance_router)
api.add_router("/monitoring/", monitoring_router)
api.add_router("/department-events/", department_events_router)
api.add_router("/funds/", funds_router)
api.add_router("/statistics/", statistics_router)
api.add_router("/dci/", dci_router)
api.add_router("/subscriptions/", subscriptions_router)


def _error(request, status: int, detail: str, errors: dict | None = None, *, code: str = "") -> HttpResponse:
    return api.create_response(request, error_body(status, detail, errors, code=code), status=status)


def _summary(errors: dict) -> str:
    parts = [msg if key == "__all__" else f"{key}：{msg}" for key, msg in errors.items()]
    return "；".join(parts[:5]) + ("……" if len(parts) > 5 else "")


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def on_database_away(request, exc):
    # the database restarting or unreachable: 503 and a retry hint, the connection dropped
    # (fupin.core.unavailable)
    return unavailable_response(request, json=True)


@api.exception_handler(ValidationError)
def on_invalid_request(request, exc: ValidationError):
    if len(exc.errors) == 1 and "errors" in exc.errors[0]:
        errors = exc.errors[0]["errors"]
    else:  # raised by ninja itself in its usual list form
        errors = {_field_key(tuple(e.get("loc", ()))): _message(e) for e in exc.errors}
    return _error(request, 422, f"请求数据有误：{_summary(errors)}", errors, code="invalid_request")


@api.exception_handler(ServiceError)
def on_refused_change(request, exc: ServiceError):
    # Every app's refusal (RegistryError, FundsError, ProcedureError…) is a ServiceError; a more specific
    # handler (ChangeConflict: 409) wins, as ninja looks handlers up along the exception's MRO.
    errors = {k: str(v) for k, v in exc.errors.items()}
    return _error(request, 422, _summary(errors), errors, code="refused")


@api.exception_handler(CursorError)
def on_bad_cursor(request, exc: CursorError):
    errors = {k: str(v) for k, v in exc.errors.items()}
    return _error(request, 422, _summary(errors), errors, code="invalid_request")


@api.exception_handler(ChangeConflict)
def on_conflicting_change(request, exc: ChangeConflict):
    errors = {k: str(v) for k, v in exc.errors.items()}
    return _error(request, 409, _summary(errors), errors)


@api.exception_handler(DjangoValidationError)
def on_model_validation(request, exc: DjangoValidationError):
    errors = (
        {k: "；".join(v) for k, v in exc.message_dict.items()}
        if hasattr(exc, "error_dict")
        else {"__all__": "；".join(exc.messages)}
    )
    return _error(request, 422, _summary(errors), errors)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc: AuthenticationError):
    message = (
        exc.message if exc.message != "Unauthorized" else "需要登录，或在 Authorization 头中提供 API 令牌"
    )
    response = _error(request, 401, message)
    response["WWW-Authenticate"] = 'Bearer realm="fupin"'
    return response


@api.exception_handler(DeviceRefused)
def on_device_refused(request, exc: DeviceRefused):
    # the field app's phone: "wipe" tells it to clear what it holds (a revoked device, a disabled account)
    body = error_body(401, exc.message, code="device_wipe" if exc.wipe else "") | {"wipe": exc.wipe}
    response = api.create_response(request, body, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="fupin-field"'
    return response


@api.exception_handler(EnvelopeRefused)
def on_refused_envelope(request, exc: EnvelopeRefused):
    # the DCI search's envelope: the standard's reason code (rjct.version.invalid, …) as the error's code
    return _error(request, 422, exc.message, {"header": exc.message}, code=exc.code)


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    message = exc.message
    if exc.status_code == 400 and message.startswith("Cannot parse request body"):
        message = "请求体不是有效的 JSON"
    response = _error(request, exc.status_code, message)
    for header, value in (getattr(exc, "headers", None) or {}).items():
        response[header] = value
    return response


def _not_found(request, exc):
    # Out of scope and nonexistent look the same: the answer never confirms a record exists.
    return _error(request, 404, "未找到，或不在您的管辖范围内")


api.add_exception_handler(ObjectDoesNotExist, _not_found)
api.add_exception_handler(Http404, _not_found)
api.add_exception_handler(ScopeError, _not_found)


@api.exception_handler(PermissionDenied)
def on_forbidden(request, exc: PermissionDenied):
    return _error(request, 403, str(exc) or "没有权限")


@api.exception_handler(IntegrityError)
def on_conflict(request, exc: IntegrityError):
    logger.warning("API write refused by a database constraint: %s", exc)
    return _error(request, 409, CONFLICT_MESSAGE)


@api.exception_handler(DataError)
def on_data_error(request, exc: DataError):
    logger.error("API input reached the database out of range: %s", exc)
    return _error(request, 422, "数据超出允许的范围")
