import json

import pytest

from fupin.accounts.services import issue_token
from fupin.declarations.models import Declaration, Status
from tests import factories

from .conftest import declare

pytestmark = pytest.mark.django_db


@pytest.fixture
def call(client):
    tokens = {}

    def do(user, method, path, body=None):
        if user.pk not in tokens:
            tokens[user.pk] = issue_token(user, name="tests")[1]
        kwargs = {"HTTP_AUTHORIZATION": f"Bearer {tokens[user.pk]}"}
        if body is not None:
            kwargs |= {"data": json.dumps(body), "content_type": "application/json"}
        response = getattr(client, method)("/api/v1/declarations/" + path, **kwargs)
        return response.status_code, (response.json() if response.content else None)

    return do


def intake(**overrides):
    return {"channel": "walk_in", "village_code": factories.VILLAGE, "name": "王五", "id_number": factories.id_number(),
            "hardship": "job_loss", "description": "工厂倒闭"} | overrides


def test_intake_verify_and_read_through_the_api(call, users):
    status, body = call(users["clerk"], "post", "", intake())
    assert status == 201 and body["channel"] == "walk_in" and body["urgency"] in ("", "orange")
    pk = body["id"]
    status, body = call(users["clerk"], "post", f"{pk}/verify/", {"findings": "属实"})
    assert status == 200 and body["status"] == Status.IN_PROCEDURE and body["case"]
    status, body = call(users["county"], "get", "")
    assert status == 200 and body["count"] == 1 and body["results"][0]["id"] == pk
    status, body = call(users["province"], "get", f"{pk}/")
    assert status == 200 and "*" in body["id_number"]


def test_refusals_and_scope(call, users, outbox):
    status, body = call(users["clerk"], "post", "", intake(id_number="123"))
    assert status == 422 and "id_number" in body["errors"]
    status, _ = call(users["sibling_clerk"], "post", "", intake())
    assert status in (403, 404)
    d = declare(outbox=outbox)
    assert call(users["other_county"], "get", f"{d.pk}/")[0] == 404
    assert call(users["sibling_clerk"], "post", f"{d.pk}/reject/", {"reason": "x"})[0] == 404
    assert call(users["township"], "post", f"{d.pk}/verify/", {"findings": "x"})[0] in (403, 404)
    assert call(users["clerk"], "post", f"{d.pk}/reject/", {"reason": ""})[0] == 422
    assert call(users["clerk"], "post", f"{d.pk}/reject/", {"reason": "不符", "extra": 1})[0] == 422
    assert Declaration.objects.get(pk=d.pk).status == Status.RECEIVED
    assert call(users["clerk"], "post", f"{d.pk}/reject/", {"reason": "不符"})[0] == 200
