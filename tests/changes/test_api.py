"""Change requests in the JSON API: propose, list, read, approve, return, resubmit, withdraw; errors and
scope."""

import datetime
import json

import pytest

from fupin.accounts.services import issue_token
from fupin.changes.models import ChangeRequest, ChangeStatus
from fupin.registry import codes
from tests import factories

pytestmark = pytest.mark.django_db
BASE = "/api/v1/change-requests/"


@pytest.fixture
def household(users):
    return factories.make_household(members=3)


@pytest.fixture
def call(client):
    tokens = {}

    def do(user, method, path, body=None):
        if user.pk not in tokens:
            tokens[user.pk] = issue_token(user, name="tests")[1]
        kwargs = {"HTTP_AUTHORIZATION": f"Bearer {tokens[user.pk]}"}
        if body is not None:
            kwargs |= {"data": json.dumps(body), "content_type": "application/json"}
        response = getattr(client, method)(path, **kwargs)
        return response.status_code, (response.json() if response.content else None)

    return do


def proposal(household, **overrides):
    return {
        "household": household.pk,
        "kind": "type_change",
        "payload": {"household_type": "dibao_poor"},
        "reason": "低保认定",
        "evidence_reference": "民政认定表",
    } | overrides


def test_propose_approve_through_the_api(call, users, household):
    status, body = call(users["clerk"], "post", BASE, proposal(household))
    assert status == 201, body
    assert body["status"] == "proposed" and body["changes"][0]["after"] == "低保贫困户"
    status, body = call(users["township"], "post", f"{BASE}{body['id']}/approve/", {"comment": "同意"})
    assert status == 200 and body["status"] == "approved"
    assert [h["action"] for h in body["history"]] == ["propose", "approve"]
    household.refresh_from_db()
    assert household.household_type == "dibao_poor"


def test_conflict_answers_409_naming_the_first(call, users, household):
    _, first = call(users["clerk"], "post", BASE, proposal(household))
    status, body = call(
        users["team"],
        "post",
        BASE,
        proposal(
            household,
            kind="status_correction",
            payload={"status": "removed", "registration_year": 2016, "exit_year": None},
        ),
    )
    assert status == 409 and f"#{first['id']}" in body["detail"]


def test_refusals_answer_422_with_field_errors(call, users, household):
    status, body = call(
        users["clerk"],
        "post",
        BASE,
        proposal(
            household,
            kind="member_join",
            payload={
                "cause": "born",
                "member": {"name": "张小宝", "id_number": "360722202402030000", "relation": "grandson"},
            },
        ),
    )
    assert status == 422 and "id_number" in body["errors"]
    status, body = call(users["clerk"], "post", BASE, proposal(household, evidence_reference=""))
    assert status == 422 and "evidence" in body["errors"]
    status, body = call(users["clerk"], "post", BASE, proposal(household, kind="bogus"))
    assert status == 422 and "kind" in body["errors"]
    status, body = call(users["clerk"], "post", BASE, proposal(household, payload=[1, 2]))
    assert status == 422
    status, body = call(
        users["clerk"],
        "post",
        BASE,
        proposal(household, kind="split_household", payload={"relations": {"x": 1, "y": [None]}}),
    )
    assert status == 422


def test_self_approval_and_read_only_roles_are_refused(call, users, household):
    _, change = call(users["admin"], "post", BASE, proposal(household))
    status, body = call(users["admin"], "post", f"{BASE}{change['id']}/approve/", {})
    assert status == 403 and "自己提出" in body["detail"]
    for role in ("prefecture", "province"):
        status, _ = call(users[role], "post", f"{BASE}{change['id']}/approve/", {})
        assert status == 403
        status, _ = call(users[role], "post", BASE, proposal(household))
        assert status == 403
        status, body = call(users[role], "get", f"{BASE}{change['id']}/")
        assert status == 200  # they see, never act
    assert ChangeRequest.objects.get().status == ChangeStatus.PROPOSED


@pytest.mark.parametrize("role", ["sibling_clerk", "other_township", "other_county"])
def test_outside_the_region_reads_as_not_found(call, users, household, role):
    _, change = call(users["clerk"], "post", BASE, proposal(household))
    assert call(users[role], "get", f"{BASE}{change['id']}/")[0] == 404
    assert call(users[role], "post", f"{BASE}{change['id']}/approve/", {})[0] == 404
    assert call(users[role], "post", BASE, proposal(household))[0] == 404
    status, body = call(users[role], "get", BASE)
    assert status == 200 and body["count"] == 0


def test_return_resubmit_withdraw(call, users, household):
    _, change = call(users["clerk"], "post", BASE, proposal(household))
    url = f"{BASE}{change['id']}/"
    assert call(users["township"], "post", url + "return/", {})[0] == 422  # a comment is required
    status, body = call(users["township"], "post", url + "return/", {"comment": "请补充"})
    assert status == 200 and body["status"] == "returned" and body["review_comment"] == "请补充"
    status, body = call(
        users["team"],
        "post",
        url + "resubmit/",
        {"payload": {"household_type": "wubao"}, "reason": "改为特困", "evidence_reference": "证明"},
    )
    assert status == 200 and body["status"] == "proposed" and body["payload"] == {"household_type": "wubao"}
    status, body = call(users["clerk"], "post", url + "withdraw/", {})
    assert status == 200 and body["status"] == "withdrawn"
    assert call(users["township"], "post", url + "approve/", {})[0] == 422


def test_list_filters_and_masks_the_new_members_id_unless_revealed(call, users, household):
    number = factories.id_number(birth=datetime.date(2024, 2, 3))
    call(
        users["clerk"],
        "post",
        BASE,
        proposal(
            household,
            kind="member_join",
            payload={
                "cause": "born",
                "member": {"name": "张小宝", "id_number": number, "relation": codes.Relation.GRANDSON},
            },
        ),
    )
    status, body = call(users["township"], "get", f"{BASE}?status=proposed&household={household.pk}")
    assert status == 200 and body["count"] == 1 and body["results"][0]["summary"] == "出生：张小宝"
    change_id = body["results"][0]["id"]
    _, masked = call(users["township"], "get", f"{BASE}{change_id}/")  # masked for every role (issue 17)
    assert masked["payload"]["member"]["id_number"] != number
    _, full = call(users["township"], "get", f"{BASE}{change_id}/?reveal=id_number&purpose=verify")
    assert full["payload"]["member"]["id_number"] == number
    _, masked = call(users["province"], "get", f"{BASE}{change_id}/")
    text = json.dumps(masked, ensure_ascii=False)
    assert number not in text and "20240203" not in text and "2024-02-03" not in text
    assert call(users["township"], "get", f"{BASE}?status=bogus")[0] == 422


def test_the_operations_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        BASE,
        BASE + "{request_id}/",
        BASE + "{request_id}/approve/",
        BASE + "{request_id}/return/",
        BASE + "{request_id}/withdraw/",
        BASE + "{request_id}/resubmit/",
    ):
        assert path in paths


JUNK = [
    None,
    True,
    -1,
    0,
    2**70,
    1e308,
    "",
    "x" * 300,
    "１２",
    [],
    [1],
    {},
    {"a": 1},
    "NaN",
    "1e400",
    "2025-13-40",
]
KEYS = {
    "member_join": ["cause", "member"],
    "member_leave": ["cause", "member_id", "new_head_id"],
    "change_head": ["new_head_id", "former_head_relation"],
    "move_member": ["member_id", "target_household_id", "relation"],
    "split_household": ["relations"],
    "merge_households": ["other_household_id", "absorbed_head_relation"],
    "type_change": ["household_type"],
    "status_correction": ["status", "registration_year", "exit_year"],
    "income_correction": ["year", "wages", "household_size"],
}
MEMBER_KEYS = [
    "name",
    "id_number",
    "relation",
    "work_months",
    "has_medical_insurance",
    "birth_date",
    "ethnicity",
    "sex",
]


def test_junk_payloads_are_refused_never_a_server_error(call, users, household):
    head = household.members.get(relation="head")
    for kind, keys in KEYS.items():
        for key in keys:
            for junk in JUNK:
                status, body = call(
                    users["clerk"], "post", BASE, proposal(household, kind=kind, payload={key: junk})
                )
                assert status == 422, (kind, key, junk, status, body)
    valid = {
        "name": "张小宝",
        "id_number": factories.id_number(birth=datetime.date(2024, 2, 3)),
        "relation": "grandson",
    }
    for key in MEMBER_KEYS:
        for junk in JUNK:
            member = valid | {key: junk}
            status, body = call(
                users["clerk"],
                "post",
                BASE,
                proposal(household, kind="member_join", payload={"cause": "born", "member": member}),
            )
            assert status in (201, 409, 422), (key, junk, status, body)
    for junk in JUNK:
        status, _ = call(
            users["clerk"],
            "post",
            BASE,
            proposal(
                household, kind="split_household", payload={"relations": {str(head.pk): junk, "x": junk}}
            ),
        )
        assert status == 422
    assert ChangeRequest.objects.filter(kind__in=[k for k in KEYS if k != "member_join"]).count() == 0


def test_the_households_trail_masks_a_requests_new_member_for_read_only_roles(call, client, users, household):
    number = factories.id_number(birth=datetime.date(2024, 2, 3))
    _, change = call(
        users["clerk"],
        "post",
        BASE,
        proposal(
            household,
            kind="member_join",
            payload={
                "cause": "born",
                "member": {
                    "name": "张小宝",
                    "id_number": number,
                    "relation": "grandson",
                    "phone": "13912345678",
                },
            },
        ),
    )
    call(users["township"], "post", f"{BASE}{change['id']}/approve/", {})
    status, body = call(users["province"], "get", f"/api/v1/households/{household.pk}/audit/")
    text = json.dumps(body, ensure_ascii=False)
    assert status == 200 and "张小宝" in text
    for secret in (number, "20240203", "2024-02-03", "13912345678"):
        assert secret not in text
    client.force_login(users["province"])
    page = client.get(f"/households/{household.pk}/history/").content.decode()
    assert "张小宝" in page and number not in page and "2024-02-03" not in page


def test_evidence_files_are_added_through_the_api_and_judged_by_content(client, users, household):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fupin.accounts.services import issue_token

    _, raw = issue_token(users["clerk"], name="tests")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    change = client.post(
        BASE, json.dumps(proposal(household)), content_type="application/json", **auth
    ).json()
    url = f"{BASE}{change['id']}/evidence/"
    bad = SimpleUploadedFile("x.pdf", b"<html>not a pdf</html>", content_type="application/pdf")
    response = client.post(url, {"files": [bad]}, **auth)
    assert response.status_code == 422 and "evidence" in response.json()["errors"]
    good = SimpleUploadedFile("低保证.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    response = client.post(url, {"files": [good]}, **auth)
    assert response.status_code == 200, response.content
    body = response.json()
    assert [e["name"] for e in body["evidence"]] == ["低保证.pdf"] and body["history"][-1][
        "action"
    ] == "evidence"
    _, province = issue_token(users["province"], name="tests")
    again = SimpleUploadedFile("y.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    assert client.post(url, {"files": [again]}, HTTP_AUTHORIZATION=f"Bearer {province}").status_code == 403
