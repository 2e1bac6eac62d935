"""The OpenAPI document and docs page, and garbage input that must never cause a 500."""

import json
import re

import pytest
from django.conf import settings as django_settings
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXPECTED_ROUTES = {
    ("get", "/api/v1/me/"),
    ("get", "/api/v1/regions/{code}/"),
    ("get", "/api/v1/regions/{code}/children/"),
    ("get", "/api/v1/households/"),
    ("post", "/api/v1/households/"),
    ("get", "/api/v1/households/{household_id}/"),
    ("patch", "/api/v1/households/{household_id}/"),
    ("post", "/api/v1/households/{household_id}/members/"),
    ("get", "/api/v1/members/{member_id}/"),
    ("patch", "/api/v1/members/{member_id}/"),
    ("delete", "/api/v1/members/{member_id}/"),
    ("get", "/api/v1/households/{household_id}/incomes/{year}/"),
    ("get", "/api/v1/households/{household_id}/guarantees/{year}/"),
    ("put", "/api/v1/households/{household_id}/incomes/{year}/"),
    ("put", "/api/v1/households/{household_id}/guarantees/{year}/"),
    ("get", "/api/v1/households/{household_id}/audit/"),
    ("get", "/api/v1/households/{household_id}/consents/"),
    ("post", "/api/v1/households/{household_id}/consents/"),
    ("post", "/api/v1/consents/{consent_id}/withdraw/"),
    ("get", "/api/v1/change-requests/"),
    ("post", "/api/v1/change-requests/"),
    ("get", "/api/v1/change-requests/{request_id}/"),
    ("post", "/api/v1/change-requests/{request_id}/approve/"),
    ("post", "/api/v1/change-requests/{request_id}/return/"),
    ("post", "/api/v1/change-requests/{request_id}/resubmit/"),
    ("post", "/api/v1/change-requests/{request_id}/withdraw/"),
    ("post", "/api/v1/change-requests/{request_id}/evidence/"),
    ("get", "/api/v1/declarations/"),
    ("post", "/api/v1/declarations/"),
    ("get", "/api/v1/declarations/{declaration_id}/"),
    ("post", "/api/v1/declarations/{declaration_id}/visit/"),
    ("post", "/api/v1/declarations/{declaration_id}/verify/"),
    ("post", "/api/v1/declarations/{declaration_id}/reject/"),
    ("post", "/api/v1/field/devices"),
    ("get", "/api/v1/field/devices"),
    ("post", "/api/v1/field/devices/{device_id}/revoke"),
    ("get", "/api/v1/field/work-set"),
    ("post", "/api/v1/field/sync"),
}

GARBAGE = [
    "",
    " ",
    "abc",
    "-1",
    "0",
    "1.5",
    "9" * 40,
    "\x00",
    "a\x00b",
    "%",
    "' OR 1=1 --",
    "😀",
    "null",
    "[]",
    "{}",
    "张" * 300,
    "1e9",
    "true",
    "NaN",
    "../../etc/passwd",
    "360722100001",
    "3607221000019",
]


@pytest.fixture
def openapi(db):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return json.loads(response.content)


def test_openapi_document_lists_every_route(openapi):
    assert openapi["openapi"].startswith("3.")
    routes = {(method, path) for path, ops in openapi["paths"].items() for method in ops}
    assert EXPECTED_ROUTES <= routes  # and every area's operations: tests/api/test_operation_counts.py


def test_openapi_describes_both_ways_to_authenticate(openapi):
    schemes = openapi["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"}.items() <= schemes["TokenAuth"].items()
    assert schemes["SessionAuth"]["in"] == "cookie"
    for path, ops in openapi["paths"].items():
        if path.startswith("/api/v1/field/"):  # the field app: sign-in by session, sync by device token
            continue
        for op in ops.values():
            assert op["security"] == [{"TokenAuth": []}, {"SessionAuth": []}], path


def test_openapi_money_is_a_string_and_codes_are_enums(openapi):
    schemas = openapi["components"]["schemas"]
    wages = schemas["IncomeIn"]["properties"]["wages"]
    assert {"type": "string", "pattern": r"^\d+(\.\d{1,2})?$"} in wages["anyOf"]
    assert schemas["IncomeOut"]["properties"]["per_capita_net_income"]["type"] == "string"
    status = schemas["HouseholdPatchIn"]["properties"]["status"]
    assert "poor" in status["enum"] and "poor=贫困户" in status["description"]
    assert schemas["HouseholdPatchIn"]["additionalProperties"] is False


def test_docs_page_works_offline(db):
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/static/") for s in sources), sources
    for source in sources:  # vendored in the project's static folder and served by the app itself
        assert (django_settings.BASE_DIR / "static" / source.removeprefix("/static/")).is_file(), source
        assert Client().get(source).status_code == 200, source
    assert 'data-openapi-url="/api/v1/openapi.json"' in html


def _get_routes(openapi):
    """The registry's and its neighbours' GET routes (every operation is fuzzed by
    tests/api/test_contract.py)."""
    for path, ops in openapi["paths"].items():
        if "get" in ops and ("get", path) in EXPECTED_ROUTES:
            yield path, [p["name"] for p in ops["get"].get("parameters", []) if p["in"] == "query"]


def _fill(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, path)


def test_get_routes_survive_garbage(api, household, openapi):
    client = api("county")
    valid = {
        "household_id": str(household.pk),
        "code": household.village_id,
        "request_id": "1",
        "declaration_id": "1",
        "member_id": str(household.members.first().pk),
        "year": "2025",
    }
    for path, query_params in _get_routes(openapi):
        paths = [_fill(path, v) for v in GARBAGE if v and "/" not in v and "%" not in v]
        paths.append(re.sub(r"\{([^}]+)\}", lambda m: valid[m.group(1)], path))
        for url in paths:
            response = client.get(url)
            assert response.status_code < 500, (url, response.status_code)
            assert response["Content-Type"].startswith("application/json"), url
            for name in query_params:
                for value in GARBAGE:
                    response = client.get(url, {name: value})
                    assert response.status_code < 500, (url, name, value, response.status_code)
                    assert response["Content-Type"].startswith("application/json")


query_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=60)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    params=st.dictionaries(
        st.sampled_from(
            ["region", "q", "status", "household_type", "cause", "income_band", "limit", "offset", "junk"]
        ),
        query_text,
        max_size=5,
    )
)
def test_household_list_never_500s(api, household, params):
    response = api("township").get("/api/v1/households/", params)
    assert response.status_code in (200, 422), response.content
    assert "results" in response.json() or "errors" in response.json()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=20), children, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = [
    "address",
    "status",
    "farmland_area",
    "registration_year",
    "other_causes",
    "group",
    "name",
    "id_number",
    "relation",
    "wages",
    "household_size",
    "checked_on",
    "food",
    "notes",
    "reason",
    "village",
    "phone",
]
bodies = (
    st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=10), json_values, max_size=6) | json_values
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=bodies,
    route=st.sampled_from(
        [
            ("post", "/api/v1/households/"),
            ("patch", "/api/v1/households/{h}/"),
            ("post", "/api/v1/households/{h}/members/"),
            ("patch", "/api/v1/members/{m}/"),
            ("delete", "/api/v1/members/{m}/"),
            ("put", "/api/v1/households/{h}/incomes/2024/"),
            ("put", "/api/v1/households/{h}/guarantees/2024/"),
        ]
    ),
)
def test_write_routes_never_500_on_random_bodies(api, household, body, route):
    method, path = route
    member = household.members.filter(relation="son").first() or household.members.first()
    path = path.format(h=household.pk, m=member.pk if member else 1)
    response = getattr(api("clerk"), method)(path, json.dumps(body))
    assert response.status_code < 500, (method, path, body, response.content)
