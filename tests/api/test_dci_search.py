"""The DCI social-registry search (issue 19, item 5): POST /api/v1/dci/registry/sync/search with the
standard's
envelope finds the caller's households by identifier or attributes, masked, and logs what it reveals;
envelope faults
answer 422 with the standard's reason codes, a bad search request its own "rjct" item, never a 500."""

import itertools

import pytest

from fupin.audit.chain import opened_changes
from fupin.audit.models import AuditEntry
from fupin.registry import codes
from tests import factories

URL = "/api/v1/dci/registry/sync/search"
_ids = itertools.count(1)


def envelope(*criteria, **header) -> dict:
    requests = [
        {"reference_id": f"ref-{i}", "timestamp": "2026-12-06T10:00:00+08:00", "search_criteria": c}
        for i, c in enumerate(criteria)
    ]
    return {
        "signature": "unsigned",
        "header": {
            "version": "1.0.0",
            "message_id": f"msg-{next(_ids)}",
            "message_ts": "2026-12-06T10:00:00+08:00",
            "action": "search",
            "sender_id": "province-platform",
            "receiver_id": "fupin",
            "total_count": len(requests),
        }
        | header,
        "message": {"transaction_id": "txn-1", "search_request": requests},
    }


def by_id(value: str) -> dict:
    return {"query_type": "idtype-value", "query": {"type": "ID_NUMBER", "value": value}}


def where(*conditions, **extra) -> dict:
    query = [
        {"seq_num": i + 1, "expression1": {"attribute_name": a, "operator": o, "attribute_value": v}}
        for i, (a, o, v) in enumerate(conditions)
    ]
    return {"query_type": "predicate", "query": query, "reg_type": "ns:org:RegistryType:Social"} | extra


@pytest.fixture
def homes(tree, household):
    other = factories.make_household(factories.OTHER_COUNTY_VILLAGE, head="外县户")
    exited = factories.make_household(head="脱贫户", status=codes.HouseholdStatus.EXITED, exit_year=2020)
    return {"own": household, "other_county": other, "exited": exited}


def test_the_answer_is_the_standards_envelope_with_one_response_per_request(api, homes):
    own = homes["own"]
    head = own.members.get(relation=codes.Relation.HEAD)
    body = envelope(by_id(head.id_number), where(("status", "eq", "exited")))
    response = api("county").post(URL, body)
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["header"]["action"] == "on-search" and answer["header"]["status"] == "succ"
    assert answer["header"]["receiver_id"] == "province-platform" and answer["header"]["total_count"] == 2
    assert answer["message"]["transaction_id"] == "txn-1" and answer["message"]["correlation_id"]
    first, second = answer["message"]["search_response"]
    assert first["reference_id"] == "ref-0" and first["status"] == "succ"
    records = first["data"]["reg_records"]
    assert [r["identifier"][0]["identifier_value"] for r in records] == [own.number]
    assert records[0]["address"]["region_code"] == own.village_id
    assert {m["name"] for m in records[0]["members"]} == {m.name for m in own.members.all()}
    assert first["pagination"] == {"page_size": 50, "page_number": 1, "total_count": 1}
    assert [r["identifier"][0]["identifier_value"] for r in second["data"]["reg_records"]] == [
        homes["exited"].number
    ]


def test_another_countys_household_is_found_by_no_route(api, homes):
    other = homes["other_county"]
    head = other.members.get(relation=codes.Relation.HEAD)
    body = envelope(
        by_id(head.id_number),
        {"query_type": "idtype-value", "query": {"type": "HOUSEHOLD_NUMBER", "value": other.number}},
        where(("region_code", "eq", factories.OTHER_COUNTY_VILLAGE[:6])),
        where(("name", "eq", "外县户")),
    )
    answers = api("county").post(URL, body).json()["message"]["search_response"]
    assert [a["status"] for a in answers] == ["succ"] * 4
    assert all(a["data"]["reg_records"] == [] and a["pagination"]["total_count"] == 0 for a in answers)
    # the other county's own office finds it
    found = api("other_county").post(URL, envelope(by_id(head.id_number))).json()
    assert len(found["message"]["search_response"][0]["data"]["reg_records"]) == 1


def test_identifiers_are_masked_unless_revealed_and_every_person_revealed_is_logged(api, homes):
    own = homes["own"]
    head = own.members.get(relation=codes.Relation.HEAD)
    client = api("county")
    masked = client.post(URL, envelope(where(("region_code", "eq", own.village_id)))).json()
    shown = [
        m["id_number"]
        for r in masked["message"]["search_response"][0]["data"]["reg_records"]
        for m in r["members"]
    ]
    assert head.id_number not in shown and all("*" in n for n in shown)
    before = AuditEntry.objects.filter(action="access.api").count()
    revealed = client.post(
        f"{URL}?reveal=id_number&purpose=verify", envelope(where(("region_code", "eq", own.village_id)))
    ).json()
    records = revealed["message"]["search_response"][0]["data"]["reg_records"]
    assert head.id_number in [m["id_number"] for r in records for m in r["members"]]
    logged = AuditEntry.objects.filter(action="access.api").order_by("pk")
    assert logged.count() == before + 1
    changes = opened_changes(logged.last().changes)
    assert len(records) == 2  # the village's two households: every member shown is logged
    assert set(changes["persons"]) == {m.pk for h in (own, homes["exited"]) for m in h.members.all()}
    assert changes["fields"] == ["id_number"] and changes["purpose"] == "verify"


def test_a_role_that_may_not_see_identifiers_is_refused_a_reveal_and_a_purpose_is_required(api, homes):
    body = envelope(where(("status", "eq", "poor")))
    refused = api("prefecture").post(f"{URL}?reveal=id_number&purpose=verify", body)
    assert refused.status_code == 403
    no_purpose = api("county").post(f"{URL}?reveal=id_number", envelope(where(("status", "eq", "poor"))))
    assert no_purpose.status_code == 422 and "purpose" in no_purpose.json()["errors"]
    # a read-only role searches (a POST that only reads), masked
    read = api("prefecture").post(URL, envelope(where(("status", "eq", "poor"))))
    assert read.status_code == 200
    records = read.json()["message"]["search_response"][0]["data"]["reg_records"]
    assert records and all("*" in m["id_number"] for r in records for m in r["members"])


ENVELOPE_FAULTS = [
    ({"version": "2.0"}, "rjct.version.invalid"),
    ({"action": "subscribe"}, "rjct.action.not_supported"),
    ({"action": "delete"}, "rjct.action.invalid"),
    ({"message_ts": "yesterday"}, "rjct.message_ts.invalid"),
    ({"message_ts": "2026-12-06T10:00:00"}, "rjct.message_ts.invalid"),  # no zone
    ({"total_count": 3}, "rjct.total_count.invalid"),
]


def test_envelope_faults_answer_422_with_the_standards_reason_code(api, homes):
    client = api("county")
    for header, code in ENVELOPE_FAULTS:
        response = client.post(URL, envelope(where(("status", "eq", "poor")), **header))
        assert response.status_code == 422, (header, response.content)
        assert response.json()["code"] == code and response.json()["detail"], header


def test_too_many_requests_and_a_repeated_message_id_are_refused(api, homes):
    client = api("county")
    many = envelope(*[where(("status", "eq", "poor"))] * 11)
    assert client.post(URL, many).json()["code"] == "rjct.total_count.limit_exceeded"
    once = envelope(where(("status", "eq", "poor")), message_id="same-message")
    assert client.post(URL, once).status_code == 200
    again = client.post(URL, once)
    assert again.status_code == 422 and again.json()["code"] == "rjct.message_id.duplicate"


MALFORMED = [
    "",
    "[]",
    "{}",
    '{"header": {}, "message": {}}',
    '{"header": null, "message": {"transaction_id": "t", "search_request": []}}',
    "not json",
    '{"header": {"message_id": 1}}',
]


def test_malformed_envelopes_answer_a_clear_error(api, tree):
    client = api("county")
    for body in MALFORMED:
        response = client.post(URL, body)
        assert response.status_code in (400, 422), (body, response.content)
        assert response.json()["code"] in ("bad_request", "invalid_request") and response.json()["detail"]


BAD_CRITERIA = [
    ({"query_type": "graphql", "query": {}}, "rjct.search_criteria.invalid"),
    (
        {"query_type": "idtype-value", "query": {"type": "ID_NUMBER", "value": "3607"}},
        "rjct.search_criteria.invalid",
    ),
    (
        {"query_type": "idtype-value", "query": {"type": "PASSPORT", "value": "x"}},
        "rjct.search_criteria.invalid",
    ),
    ({"query_type": "idtype-value", "query": "x"}, "rjct.search_criteria.invalid"),
    (where(("status", "eq", "rich")), "rjct.search_criteria.invalid"),
    (where(("status", "gt", "poor")), "rjct.search_criteria.invalid"),
    (where(("registration_year", "ge", "2016")), "rjct.search_criteria.invalid"),
    (where(("latest_income", "lt", "abc")), "rjct.search_criteria.invalid"),
    (where(("region_code", "eq", "36x")), "rjct.search_criteria.invalid"),
    (where(("password", "eq", "x")), "rjct.search_criteria.invalid"),
    ({"query_type": "predicate", "query": [{"expression1": None}]}, "rjct.search_criteria.invalid"),
    (
        {"query_type": "predicate", "query": [{"expression1": {}, "condition": "or", "expression2": {}}]},
        "rjct.search_criteria.invalid",
    ),
    (
        where(("status", "eq", "poor"), reg_type="ns:org:RegistryType:Civil"),
        "rjct.search_criteria.invalid",
    ),
    (where(("status", "eq", "poor"), pagination={"page_size": 0}), "rjct.pagination.invalid"),
    (
        where(("status", "eq", "poor"), pagination={"page_size": 200, "page_number": 51}),
        "rjct.pagination.invalid",
    ),
    (where(("status", "eq", "poor"), pagination="all"), "rjct.pagination.invalid"),
    (where(("status", "eq", "poor"), sort=[{"attribute_name": "id_number"}]), "rjct.sort.invalid"),
]


def test_a_bad_search_request_is_refused_in_its_own_item_and_the_others_answered(api, homes):
    client = api("county")
    for criteria, code in BAD_CRITERIA:
        response = client.post(URL, envelope(criteria, where(("status", "eq", "poor"))))
        assert response.status_code == 200, (criteria, response.content)
        bad, good = response.json()["message"]["search_response"]
        assert bad["status"] == "rjct" and bad["status_reason_code"] == code, (criteria, bad)
        assert bad["status_reason_message"] and bad["data"] is None and good["status"] == "succ"


def test_a_repeated_reference_id_or_a_bad_timestamp_refuses_that_request(api, homes):
    body = envelope(
        where(("status", "eq", "poor")), where(("status", "eq", "poor")), where(("status", "eq", "poor"))
    )
    requests = body["message"]["search_request"]
    requests[1]["reference_id"] = requests[0]["reference_id"]
    requests[2]["timestamp"] = "06/12/2026"
    answers = api("county").post(URL, body).json()["message"]["search_response"]
    assert [a["status_reason_code"] for a in answers] == [
        None,
        "rjct.reference_id.duplicate",
        "rjct.timestamp.invalid",
    ]


def test_attributes_combine_with_and_and_pages_follow_the_sort(api, homes):
    own, exited = homes["own"], homes["exited"]
    client = api("county")
    both = where(("status", "in", ["poor", "exited"]), ("registration_year", "ge", 2016))
    answer = client.post(
        URL, envelope(both | {"sort": [{"attribute_name": "number", "sort_order": "desc"}]})
    ).json()
    numbers = [
        r["identifier"][0]["identifier_value"]
        for r in answer["message"]["search_response"][0]["data"]["reg_records"]
    ]
    assert numbers == sorted([own.number, exited.number], reverse=True)
    paged = both | {"pagination": {"page_size": 1, "page_number": 2}, "sort": [{"attribute_name": "number"}]}
    second = client.post(URL, envelope(paged)).json()["message"]["search_response"][0]
    assert [r["identifier"][0]["identifier_value"] for r in second["data"]["reg_records"]] == [max(numbers)]
    assert second["pagination"] == {"page_size": 1, "page_number": 2, "total_count": 2}
    narrowed = where(("status", "eq", "exited"), ("exit_year", "le", 2020), ("latest_income", "ge", "0"))
    found = client.post(URL, envelope(narrowed)).json()["message"]["search_response"][0]["data"][
        "reg_records"
    ]
    assert [r["identifier"][0]["identifier_value"] for r in found] == [exited.number]


def test_a_token_without_the_registry_area_is_refused_and_a_read_only_token_searches(homes, users):
    from django.test import Client

    from fupin.accounts.services import issue_token

    _, funds_only = issue_token(users["county"], name="funds", scopes={"funds": "write"})
    client = Client(headers={"Authorization": f"Bearer {funds_only}"})
    refused = client.post(URL, envelope(where(("status", "eq", "poor"))), content_type="application/json")
    assert refused.status_code == 403
    _, reading = issue_token(users["county"], name="read", read_only=True, scopes={"registry": "read"})
    client = Client(headers={"Authorization": f"Bearer {reading}"})
    found = client.post(URL, envelope(where(("status", "eq", "poor"))), content_type="application/json")
    assert found.status_code == 200


def test_refusals_read_in_the_callers_language(api, homes):
    """Issue 15: the reasons beside the standard's codes went out in Chinese to a caller asking for English;
    the codes themselves are the standard's and stay as they are."""
    client = api("county")
    body = envelope(where(("status", "eq", "rich")), {"query_type": "graphql", "query": {}})
    answers = client.post(URL, body, HTTP_ACCEPT_LANGUAGE="en").json()["message"]["search_response"]
    assert [a["status_reason_code"] for a in answers] == ["rjct.search_criteria.invalid"] * 2
    assert answers[0]["status_reason_message"].startswith("Invalid Status: 'rich'; choose from ")
    assert answers[1]["status_reason_message"] == (
        "Unsupported query_type 'graphql': use idtype-value or predicate"
    )
    fault = client.post(
        URL, envelope(where(("status", "eq", "poor")), version="9"), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert fault.json()["code"] == "rjct.version.invalid"
    assert fault.json()["detail"] == "The protocol version must be 1.0.0"
    chinese = client.post(URL, envelope(where(("status", "eq", "rich")))).json()["message"]["search_response"]
    assert chinese[0]["status_reason_message"].startswith("户状态取值无效：'rich'，可选 ")
