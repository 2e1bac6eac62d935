import pytest

from fupin.declarations.models import Declaration, Status
from tests import factories
from tests.changes.test_api import call  # noqa: F401  (the fixture api builds on)

from .conftest import declare

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(call):  # noqa: F811  (builds on the imported fixture of the same name)
    """tests/changes/test_api.py's token-holding caller, under /api/v1/declarations/."""
    return lambda user, method, path, body=None: call(user, method, "/api/v1/declarations/" + path, body)


def intake(**overrides):
    return {
        "channel": "walk_in",
        "village_code": factories.VILLAGE,
        "name": "王五",
        "id_number": factories.id_number(),
        "hardship": "job_loss",
        "description": "工厂倒闭",
    } | overrides


def test_intake_verify_and_read_through_the_api(api, users):
    status, body = api(users["clerk"], "post", "", intake())
    assert status == 201 and body["channel"] == "walk_in" and body["urgency"] in ("", "orange")
    pk = body["id"]
    status, body = api(users["clerk"], "post", f"{pk}/verify/", {"findings": "属实"})
    assert status == 200 and body["status"] == Status.IN_PROCEDURE and body["case"]
    status, body = api(users["county"], "get", "")
    assert status == 200 and body["count"] == 1 and body["results"][0]["id"] == pk
    status, body = api(users["province"], "get", f"{pk}/")
    assert status == 200 and "*" in body["id_number"]


def test_refusals_and_scope(api, users, outbox):
    status, body = api(users["clerk"], "post", "", intake(id_number="123"))
    assert status == 422 and "id_number" in body["errors"]
    status, _ = api(users["sibling_clerk"], "post", "", intake())
    assert status in (403, 404)
    d = declare(outbox=outbox)
    assert api(users["other_county"], "get", f"{d.pk}/")[0] == 404
    assert api(users["sibling_clerk"], "post", f"{d.pk}/reject/", {"reason": "x"})[0] == 404
    assert api(users["township"], "post", f"{d.pk}/verify/", {"findings": "x"})[0] in (403, 404)
    assert api(users["clerk"], "post", f"{d.pk}/reject/", {"reason": ""})[0] == 422
    assert api(users["clerk"], "post", f"{d.pk}/reject/", {"reason": "不符", "extra": 1})[0] == 422
    assert Declaration.objects.get(pk=d.pk).status == Status.RECEIVED
    assert api(users["clerk"], "post", f"{d.pk}/reject/", {"reason": "不符"})[0] == 200
