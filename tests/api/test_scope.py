"""Scope through the API: a user of one village, township or county reaches nothing of a sibling region.

Every route is tried against a household of the other region; each answers as if the record
did not exist (404, an empty list, or the create form's "no such village"), and the database
and the audit trail are exactly as before.
"""

import datetime

import pytest

from fupin.api import api as ninja_api
from fupin.audit.models import AuditEntry
from fupin.regions.models import Region, RegionLevel
from fupin.registry import services
from fupin.registry.models import GuaranteeCheck, Household, IncomeRecord, Member
from tests import factories

# (user, the village they work in, a village of a sibling region)
PAIRS = [
    ("clerk", factories.VILLAGE, factories.SIBLING_VILLAGE),
    ("sibling_clerk", factories.SIBLING_VILLAGE, factories.VILLAGE),
    ("township", factories.VILLAGE, factories.OTHER_TOWNSHIP_VILLAGE),
    ("other_township", factories.OTHER_TOWNSHIP_VILLAGE, factories.VILLAGE),
    ("county", factories.VILLAGE, factories.OTHER_COUNTY_VILLAGE),
    ("other_county", factories.OTHER_COUNTY_VILLAGE, factories.VILLAGE),
]

NOT_FOUND = {"code": "not_found", "detail": "未找到，或不在您的管辖范围内"}


def database_state():
    return (
        list(Household.objects.order_by("pk").values()),
        list(Member.objects.order_by("pk").values()),
        list(IncomeRecord.objects.order_by("pk").values()),
        list(GuaranteeCheck.objects.order_by("pk").values()),
        list(Region.objects.order_by("code").values()),
        AuditEntry.objects.count(),
    )


def foreign_requests(household, member, village):
    """(method, route as in openapi.json, path, body or query) aimed at another region's records."""
    h, m = household.pk, member.pk
    guarantees = {
        "checked_on": "2025-06-01",
        "food": True,
        "clothing": True,
        "education": True,
        "medical": True,
        "housing": True,
        "water": True,
    }
    return [
        ("get", "/households/{household_id}/", f"/households/{h}/", None),
        ("patch", "/households/{household_id}/", f"/households/{h}/", {"address": "改"}),
        (
            "post",
            "/households/{household_id}/members/",
            f"/households/{h}/members/",
            {"name": "外人", "id_number": factories.id_number(), "relation": "son"},
        ),
        ("get", "/members/{member_id}/", f"/members/{m}/", None),
        ("patch", "/members/{member_id}/", f"/members/{m}/", {"name": "改"}),
        ("delete", "/members/{member_id}/", f"/members/{m}/", {"reason": "迁出"}),
        (
            "put",
            "/households/{household_id}/incomes/{year}/",
            f"/households/{h}/incomes/2024/",
            {"wages": "100"},
        ),
        (
            "put",
            "/households/{household_id}/guarantees/{year}/",
            f"/households/{h}/guarantees/2024/",
            guarantees,
        ),
        ("get", "/households/{household_id}/incomes/{year}/", f"/households/{h}/incomes/2025/", None),
        ("get", "/households/{household_id}/guarantees/{year}/", f"/households/{h}/guarantees/2025/", None),
        ("get", "/households/{household_id}/audit/", f"/households/{h}/audit/", None),
        ("get", "/households/{household_id}/consents/", f"/households/{h}/consents/", None),
        (
            "post",
            "/households/{household_id}/consents/",
            f"/households/{h}/consents/",
            {"member": m, "given_on": "2025-06-01", "scopes": ["income"], "method": "in_person"},
        ),
        ("get", "/regions/{code}/", f"/regions/{village}/", None),
        ("get", "/regions/{code}/children/", f"/regions/{village}/children/", None),
        ("get", "/regions/{code}/", f"/regions/{village[:9]}/", None),
    ]


def send(client, method, path, body):
    path = "/api/v1" + path
    if method == "get":
        return client.get(path, body)
    return getattr(client, method)(path, body)


@pytest.fixture
def world(tree):
    """One household with two members, income and guarantees, and a village group, in each of the four
    villages."""
    admin = factories.admin_user()
    records = {}
    for village in (
        factories.VILLAGE,
        factories.SIBLING_VILLAGE,
        factories.OTHER_TOWNSHIP_VILLAGE,
        factories.OTHER_COUNTY_VILLAGE,
    ):
        Region.objects.create(code=village + "001", name="一组", level=RegionLevel.GROUP, parent_id=village)
        household = factories.make_household(village, head=f"户主{village[-4:]}", phone="13800000000")
        services.record_guarantees(
            household, by=admin, year=2025, checked_on=datetime.date(2025, 5, 1), items={}
        )
        records[village] = household
    return records


@pytest.mark.parametrize("user, own_village, other_village", PAIRS)
class TestSiblingRegionIsInvisible:
    def test_every_route_finds_nothing_and_changes_nothing(
        self, api, world, user, own_village, other_village
    ):
        client = api(user)
        household = world[other_village]
        member = household.members.get(relation="son")
        before = database_state()

        for method, _route, path, body in foreign_requests(household, member, other_village):
            response = send(client, method, path, body)
            assert response.status_code == 404, (method, path, response.status_code, response.content)
            assert response.json() == NOT_FOUND

        assert database_state() == before

    def test_not_found_looks_like_a_missing_record(self, api, world, user, own_village, other_village):
        client = api(user)
        foreign = send(client, "get", f"/households/{world[other_village].pk}/", None)
        missing = send(client, "get", "/households/987654/", None)
        assert (foreign.status_code, foreign.content) == (missing.status_code, missing.content)

    def test_own_records_are_reachable(self, api, world, user, own_village, other_village):
        client = api(user)
        own = world[own_village]
        assert send(client, "get", f"/households/{own.pk}/", None).status_code == 200
        assert send(client, "get", f"/households/{own.pk}/audit/", None).json()["count"] > 0
        assert send(client, "get", f"/regions/{own_village}/", None).status_code == 200

    @pytest.mark.parametrize(
        "params",
        [
            {},
            {"region": "region"},
            {"region": "county"},
            {"q": "head"},
            {"q": "id_number"},
            {"q": "number"},
            {"q": "initials"},
            {"status": "poor"},
            {"limit": 200},
        ],
    )
    def test_list_and_search_never_show_the_sibling(
        self, api, users, world, user, own_village, other_village, params
    ):
        household = world[other_village]
        head = household.members.get(relation="head")
        values = {
            "region": other_village,
            "county": other_village[:6],
            "head": head.name,
            "id_number": head.id_number,
            "number": household.number,
            "initials": head.name_initials,
        }
        params = {k: values.get(v, v) for k, v in params.items()}
        response = api(user).get("/api/v1/households/", params)
        assert response.status_code == 200
        results = response.json()["results"]
        assert household.pk not in [h["id"] for h in results]
        assert all(users[user].in_scope(h["village"]) for h in results)
        assert response.json()["count"] == len(results)

    def test_creating_in_the_sibling_village_is_refused_like_a_missing_village(
        self, api, world, user, own_village, other_village
    ):
        client = api(user)
        before = database_state()
        body = {"household_type": "general_poor", "primary_cause": "illness"}
        foreign = client.post("/api/v1/households/", body | {"village": other_village})
        missing = client.post("/api/v1/households/", body | {"village": "369999999999"})
        assert foreign.status_code == missing.status_code == 422
        assert foreign.json()["errors"]["village"] == f"行政村代码不存在：{other_village}"
        assert missing.json()["errors"]["village"] == "行政村代码不存在：369999999999"
        assert database_state() == before

    def test_members_cannot_be_moved_in_from_the_sibling(self, api, world, user, own_village, other_village):
        """Adding a sibling's member to one's own household says only that the number is taken."""
        client = api(user)
        foreign_number = world[other_village].members.get(relation="son").id_number
        before = database_state()
        response = client.post(
            f"/api/v1/households/{world[own_village].pk}/members/",
            {"name": "外人", "id_number": foreign_number, "relation": "son"},
        )
        assert response.status_code == 422
        assert database_state() == before

    def test_a_taken_id_number_does_not_name_the_siblings_household(
        self, api, world, user, own_village, other_village
    ):
        foreign = world[other_village]
        number = foreign.members.get(relation="son").id_number
        response = api(user).post(
            f"/api/v1/households/{world[own_village].pk}/members/",
            {"name": "外人", "id_number": number, "relation": "son"},
        )
        assert response.status_code == 422
        assert foreign.number not in response.content.decode()

    def test_group_of_the_sibling_cannot_be_assigned(self, api, world, user, own_village, other_village):
        client = api(user)
        before = database_state()
        response = client.patch(
            f"/api/v1/households/{world[own_village].pk}/", {"group": other_village + "001"}
        )
        assert response.status_code == 422
        assert database_state() == before


def test_liaison_sees_and_changes_nothing(api, world):
    client = api("liaison")
    before = database_state()
    # A liaison's token reaches only the cross-check lists it uploads (issue 19: tokens with scopes).
    answer = client.get("/api/v1/households/")
    assert answer.status_code == 403 and answer.json()["code"] == "forbidden"
    household = world[factories.VILLAGE]
    member = household.members.get(relation="son")
    for method, _, path, body in foreign_requests(household, member, factories.VILLAGE):
        response = send(client, method, path, body)
        assert response.status_code in (403, 404), (method, path)
    response = client.post("/api/v1/households/", {"village": factories.VILLAGE})
    assert response.status_code == 403
    assert database_state() == before


def test_the_scope_tests_cover_every_route():
    """A new route must be added to foreign_requests (or here, if it reads no registry record)."""
    schema = ninja_api.get_openapi_schema()
    routes = {
        (method, path.removeprefix("/api/v1")) for path, ops in schema["paths"].items() for method in ops
    }
    household = Household(pk=1)
    member = Member(pk=1)
    covered = {
        (method, route) for method, route, _, _ in foreign_requests(household, member, factories.VILLAGE)
    }
    covered |= {("get", "/households/"), ("post", "/households/")}  # the list and create tests above
    # change requests are tried from another region in tests/changes/test_api.py
    # (test_outside_the_region_reads_as_not_found)
    # and by every role in tests/accounts/test_scope_all_routes.py
    covered |= {(method, route) for method, route in routes if route.startswith("/change-requests/")}
    # declarations are tried from other villages, counties and roles in tests/declarations/test_api.py
    # (test_refusals_and_scope) and tests/declarations/test_views.py
    covered |= {(method, route) for method, route in routes if route.startswith("/declarations/")}
    # every other area's operations (procedures, assistance, monitoring, funds, statistics, regions, consents,
    # the field app, tokens) are walked by tests/accounts/test_scope_all_routes.py (its api_operations() reads
    # this same document) as every role against a sibling region, and by tests/api/test_contract.py as a
    # county's token
    covered |= {
        (method, route)
        for method, route in routes
        if not route.startswith(("/households/", "/members/", "/me/"))
    }
    # the persons' export is tried with another county's household beside the caller's, by a liaison and by a
    # token without the registry area, in tests/api/test_person_export.py
    covered.add(("get", "/members/export.jsonl"))
    assert routes - covered == {("get", "/me/")}
