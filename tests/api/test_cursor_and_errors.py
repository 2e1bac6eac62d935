"""The API's shared pieces: one error shape (code, Chinese detail, field errors) and cursor pages that stay
right while others write."""

from django.core import signing
from django.test import Client

from fupin.core.pagination import CURSOR_SALT
from fupin.registry.models import Household
from tests import factories

LIST = "/api/v1/households/"


def walk(client, params):
    ids, cursor, pages = [], None, 0
    while True:
        body = client.get(LIST, params | ({"cursor": cursor} if cursor else {})).json()
        ids += [h["id"] for h in body["results"]]
        pages += 1
        cursor = body["next"]
        if cursor is None:
            return ids, pages


def test_cursor_pages_visit_every_household_once(api, tree):
    made = [factories.make_household(head=f"张{c}", income=None).pk for c in "甲乙丙丁戊"]
    ids, pages = walk(api("clerk"), {"limit": 2})
    assert sorted(ids) == sorted(made) and pages == 3


def test_a_household_written_between_pages_neither_repeats_nor_skips_a_row(api, tree):
    for c in "甲乙丙丁":
        factories.make_household(head=f"张{c}", income=None)
    client = api("clerk")
    first = client.get(LIST, {"limit": 2}).json()
    seen = [h["id"] for h in first["results"]]
    # meanwhile: the first household on the first page is deleted and one more is added
    Household.objects.filter(pk=seen[0]).delete()
    added = factories.make_household(head="张新", income=None).pk
    rest, _ = walk(client, {"limit": 2, "cursor": first["next"]}) if first["next"] else ([], 0)
    # the walk goes on from the second page without repeating the first page's rows, and reaches the new one
    assert not set(seen) & set(rest)
    assert added in rest and len(seen) + len(rest) == 5


def test_an_altered_or_foreign_cursor_is_refused_in_the_error_shape(api, household):
    client = api("clerk")
    response = client.get(LIST, {"cursor": "not-a-cursor"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_request" and "cursor" in body["errors"] and "游标" in body["detail"]
    other = signing.dumps({"s": ["audit:1", ["-at", "-pk"]], "v": ["2025-01-01", 1]}, salt=CURSOR_SALT)
    response = client.get(LIST, {"cursor": other})
    assert response.status_code == 422 and response.json()["code"] == "invalid_request"


def test_limit_has_a_maximum(api, household):
    body = api("clerk").get(LIST, {"limit": 201}).json()
    assert body["code"] == "invalid_request" and body["errors"] == {"limit": "不能大于 200"}


def test_every_kind_of_refusal_has_code_detail_and_errors(api, household):
    anonymous = Client().get(LIST)
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthenticated"
    missing = api("clerk").get("/api/v1/households/999999/")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    refused = api("clerk").put(f"/api/v1/households/{household.pk}/guarantees/1900/", {})
    assert refused.status_code == 422 and refused.json()["code"] == "invalid_request"
    no_version = api("clerk").client.patch(
        f"/api/v1/households/{household.pk}/", "{}", content_type="application/json"
    )
    assert no_version.status_code == 428 and no_version.json()["code"] == "if_match_required"
    read_only = api("prefecture").post(LIST, {})
    assert read_only.status_code == 403 and read_only.json()["code"] == "forbidden"
    for response in (anonymous, missing, refused, no_version, read_only):
        assert set(response.json()) <= {"code", "detail", "errors"} and response.json()["detail"]
