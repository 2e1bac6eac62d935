"""One 404 path: a record that is missing, malformed or out of scope is the same Http404, by one helper."""

import ast
from pathlib import Path

import pytest
from django.http import Http404
from django.urls import reverse

from fupin.core.errors import ScopeError, ServiceError
from fupin.core.lookup import get_in_scope
from fupin.registry import selectors
from fupin.registry.models import Household
from tests import factories

APP = Path(__file__).resolve().parents[2] / "fupin"


@pytest.mark.django_db
def test_missing_malformed_and_out_of_scope_are_the_same_404(users):
    household = factories.make_household()
    assert get_in_scope(selectors.household_for, users["clerk"], household.pk) == household
    assert get_in_scope(Household.objects.all(), pk=household.pk) == household
    for user, pk in [
        (users["sibling_clerk"], household.pk),
        (users["clerk"], household.pk + 1000),
        (users["clerk"], "abc"),
        (users["clerk"], None),
    ]:
        with pytest.raises(Http404):
            get_in_scope(selectors.household_for, user, pk)
    with pytest.raises(Http404):
        get_in_scope(Household.objects.all(), pk="x")


def test_a_scope_error_is_a_404_and_a_refusal_passes_through():
    def out_of_scope():
        raise ScopeError("不在您的管辖范围内")

    def refused():
        raise ServiceError("不能办理")

    with pytest.raises(Http404, match="不存在或不在您的管辖范围内"):
        get_in_scope(out_of_scope)
    with pytest.raises(ServiceError):
        get_in_scope(refused)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("registry:import_detail", {"pk": 2**70}),
        ("regions:detail", {"code": "36072210000" + "1" * 30}),
        ("regions:detail", {"code": "not-a-code"}),
    ],
)
def test_pages_answer_404_for_a_record_that_cannot_exist(client, users, name, kwargs):
    client.force_login(users["county"])
    assert client.get(reverse(name, kwargs=kwargs)).status_code == 404


def _translations(path: Path) -> list[str]:
    """Places that turn a lookup failure into a 404 by hand: `except …DoesNotExist/ScopeError: raise
    Http404`."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ExceptHandler) and node.type is not None:
            caught = ast.unparse(node.type)
            raises_404 = any(
                isinstance(s, ast.Raise) and s.exc is not None and "Http404" in ast.unparse(s.exc)
                for s in node.body
            )
            if raises_404 and ("DoesNotExist" in caught or "ScopeError" in caught):
                out.append(f"{path.relative_to(APP.parent)}:{node.lineno}")
    return out


def test_views_and_the_api_leave_not_found_to_the_one_helper():
    modules = [
        p
        for p in APP.rglob("*.py")
        if p.name.endswith(("views.py", "api.py")) and "migrations" not in p.parts
    ]
    assert modules
    assert [site for p in modules for site in _translations(p)] == []
