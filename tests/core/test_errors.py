"""One refusal for every app: its shape, and that the API and pages answer it the same way."""

import json

import pytest
from django.test import RequestFactory

from fupin.accounts.services import AccountError, PasswordRefused
from fupin.api import api
from fupin.assistance.services import AssistanceError
from fupin.changes.services import ChangeConflict, ChangeError
from fupin.core.errors import ScopeError, ServiceError
from fupin.core.forms import ServiceForm
from fupin.funds.services import FundsError
from fupin.monitoring.services import AddresseeError, MonitoringError
from fupin.procedures.services import ProcedureError
from fupin.registry.services import LockedError, RegistryError

APP_ERRORS = [
    AccountError,
    PasswordRefused,
    AssistanceError,
    ChangeConflict,
    ChangeError,
    FundsError,
    AddresseeError,
    MonitoringError,
    ProcedureError,
    LockedError,
    RegistryError,
]


def test_a_refusal_carries_a_message_or_field_errors():
    assert ServiceError("不能办理").errors == {"__all__": "不能办理"}
    assert str(ServiceError("不能办理")) == "不能办理"
    error = ServiceError({"amount": "金额不能为负数", "year": "年度有误"})
    assert error.errors == {"amount": "金额不能为负数", "year": "年度有误"}
    assert str(error) == "金额不能为负数；年度有误"
    assert ServiceError("总体原因", fields={"year": "年度有误"}).errors == {
        "__all__": "总体原因",
        "year": "年度有误",
    }
    assert isinstance(error, ValueError)


@pytest.mark.parametrize("cls", APP_ERRORS, ids=lambda c: c.__name__)
def test_every_app_refusal_is_a_service_error(cls):
    assert issubclass(cls, ServiceError)


def _answer(exc):
    request = RequestFactory().get("/api/v1/households/")
    response = api.on_exception(request, exc)
    return response.status_code, json.loads(response.content)


@pytest.mark.parametrize(
    "exc",
    [
        ProcedureError("公示期未满"),
        FundsError({"amount": "金额须大于0"}),
        MonitoringError("请填写情况说明"),
        AccountError("账号已停用"),
        RegistryError({"year": "年度有误"}),
    ],
    ids=lambda e: type(e).__name__,
)
def test_the_api_answers_any_refusal_as_422_with_its_fields(exc):
    status, body = _answer(exc)
    assert status == 422
    assert body["errors"] == {k: str(v) for k, v in exc.errors.items()}


def test_the_api_answers_a_conflicting_change_as_409_and_scope_as_404():
    assert _answer(ChangeConflict({"household": "已有待审核的变更申请"}))[0] == 409
    assert _answer(ScopeError("不在您的管辖范围内")) == (
        404,
        {"code": "not_found", "detail": "未找到，或不在您的管辖范围内"},
    )


class _Form(ServiceForm):
    from django import forms

    amount = forms.CharField(required=False)
    error_fields = {"amount_fen": "amount"}


def test_a_page_puts_a_refusal_on_its_fields_whether_given_the_error_or_its_dict():
    for given in (
        FundsError({"amount_fen": "金额须大于0", "year": "年度有误"}),
        {"amount_fen": "金额须大于0", "year": "年度有误"},
    ):
        form = _Form(data={})
        form.is_valid()
        form.add_service_errors(given)
        assert form.errors == {"amount": ["金额须大于0"], "__all__": ["年度有误"]}
    form = _Form(data={})
    form.is_valid()
    form.add_service_errors(ProcedureError("公示期未满"))
    assert form.non_field_errors() == ["公示期未满"]
