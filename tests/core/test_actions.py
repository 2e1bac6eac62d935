"""POST actions on a record in one shape: a table of handlers run by fupin.core.actions (issue 15, item 7).

Before the change the views dispatched four ways (an if-chain in procedures, dicts of lambdas in monitoring
and funds, if/elif in monitoring's problems, an `action` field in assistance and the allocations); the source
test failed on them, and an unknown action on a helper's page rendered the page instead of answering 404.
"""

import re
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse

from fupin.core.actions import handler_for, perform
from fupin.core.errors import ServiceError
from tests.factories import VILLAGE, make_tree, make_user

ROOT = Path(__file__).resolve().parents[2] / "fupin"


def _request():
    request = RequestFactory().post("/")
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def _refuse(request, target):
    raise ServiceError({"amount": "金额不能为负数"})


def _forbid(request, target):
    raise PermissionDenied("只有县扶贫办可以办理此项业务")


ACTIONS = {"ok": lambda request, target: f"已处理 {target}", "refuse": _refuse, "forbid": _forbid}


def test_perform_runs_the_named_action_and_shows_its_message():
    request = _request()
    assert perform(request, ACTIONS, "ok", 7)
    assert [str(m) for m in get_messages(request)] == ["已处理 7"]


@pytest.mark.parametrize(
    ("name", "message"), [("refuse", "金额不能为负数"), ("forbid", "只有县扶贫办可以办理此项业务")]
)
def test_a_refusal_is_shown_as_an_error(name, message):
    request = _request()
    assert not perform(request, ACTIONS, name, 7)
    assert [(m.level_tag, str(m)) for m in get_messages(request)] == [("error", message)]


def test_an_unknown_action_is_not_found():
    with pytest.raises(Http404):
        perform(_request(), ACTIONS, "drop_table", 7)
    with pytest.raises(Http404):
        handler_for(ACTIONS, "")


def test_views_dispatch_no_action_by_hand():
    # an if-chain over the action's name, or a POSTed `action` field tested against a list of names
    hand_written = re.compile(
        r"""\b(if|elif)\s+action\s*(==|in)\s|POST(\.get\(|\[)["']action["']\]?\)?\s*in\b"""
    )
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted(ROOT.rglob("*views.py"))  # views.py, import_views.py, loan_views.py
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if hand_written.search(line)
    ]
    assert found == []


@pytest.mark.django_db
def test_an_unknown_button_on_a_helpers_page_is_not_found(client):
    from fupin.assistance import roster

    make_tree()
    township = make_user("t", "township", VILLAGE[:9])
    unit = roster.create_unit(by=township, name="信丰县农业农村局", region_code=VILLAGE[:9])
    helper = roster.create_helper(
        by=township, unit=unit, name="李四", phone="13907971234", region_code=VILLAGE[:9]
    )
    client.force_login(township)
    url = reverse("assistance:helper", args=[helper.pk])
    assert client.post(url, {"action": "promote"}).status_code == 404
    response = client.post(url, {"action": "deactivate"})
    assert response.status_code == 302
    helper.refresh_from_db()
    assert not helper.active
