"""Households through the API: the list and its filters, one household, creating and changing it."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fupin.audit.models import AuditEntry
from fupin.regions.models import Region, RegionLevel
from fupin.registry import services
from fupin.registry.models import Household
from tests import factories

LIST = "/api/v1/households/"


def detail(pk) -> str:
    return f"/api/v1/households/{pk}/"


class TestList:
    def test_lists_households_in_scope_with_codes_and_labels(self, api, household):
        factories.make_household(factories.SIBLING_VILLAGE, head="李四")
        body = api("clerk").get(LIST).json()
        assert body["count"] == 1 and body["limit"] == 50 and body["offset"] == 0
        item = body["results"][0]
        assert item["id"] == household.pk and item["number"] == household.number
        assert item["status"] == "poor" and item["status_display"] == "贫困户"
        assert item["household_type"] == "general_poor" and item["household_type_display"] == "一般贫困户"
        assert item["primary_cause"] == "illness" and item["primary_cause_display"] == "因病"
        assert item["village"] == factories.VILLAGE and item["village_name"] == "南山居委会"
        assert item["head_name"] == "张三丰" and item["size"] == 2
        assert item["latest_income"] == "3500.00"

    def test_township_sees_its_villages(self, api, household):
        factories.make_household(factories.SIBLING_VILLAGE, head="李四")
        factories.make_household(factories.OTHER_TOWNSHIP_VILLAGE, head="王五")
        names = {h["head_name"] for h in api("township").get(LIST).json()["results"]}
        assert names == {"张三丰", "李四"}

    @pytest.mark.parametrize(
        "params, expected",
        [
            ({"status": "exited"}, {"王五"}),
            ({"household_type": "dibao_poor"}, {"李四"}),
            ({"cause": "disaster"}, {"王五"}),
            ({"income_band": "below_3000"}, {"李四"}),
            ({"income_band": "none"}, {"赵六"}),
            ({"income_band": "3000_4000"}, {"张三丰"}),
            ({"q": "李"}, {"李四"}),
            ({"q": "ZSF"}, {"张三丰"}),
            ({"region": factories.SIBLING_VILLAGE}, {"李四", "王五", "赵六"}),
            ({"region": factories.VILLAGE[:9], "status": "poor"}, {"张三丰", "李四", "赵六"}),
            ({"status": ""}, {"张三丰", "李四", "王五", "赵六"}),
        ],
    )
    def test_filters(self, api, household, params, expected):
        factories.make_household(
            factories.SIBLING_VILLAGE, head="李四", household_type="dibao_poor", income="2500.00"
        )
        factories.make_household(
            factories.SIBLING_VILLAGE,
            head="王五",
            status="exited",
            exit_year=2020,
            primary_cause="disaster",
            income="9000.00",
        )
        factories.make_household(factories.SIBLING_VILLAGE, head="赵六", income=None)
        body = api("township").get(LIST, params).json()
        assert {h["head_name"] for h in body["results"]} == expected
        assert body["count"] == len(expected)

    def test_search_by_full_id_number(self, api, household):
        member = household.members.get(relation="son")
        body = api("clerk").get(LIST, {"q": member.id_number}).json()
        assert [h["id"] for h in body["results"]] == [household.pk]

    def test_pagination(self, api, tree):
        for i in range(5):
            factories.make_household(head=f"张{'甲乙丙丁戊'[i]}", income=None)
        client = api("clerk")
        first = client.get(LIST, {"limit": 2}).json()
        rest = client.get(LIST, {"limit": 2, "offset": 2}).json()
        last = client.get(LIST, {"limit": 2, "offset": 4}).json()
        assert first["count"] == 5 and len(first["results"]) == 2 and len(last["results"]) == 1
        ids = [h["id"] for page in (first, rest, last) for h in page["results"]]
        assert len(set(ids)) == 5

    @pytest.mark.parametrize(
        "params, field",
        [
            ({"limit": 201}, "limit"),
            ({"limit": 0}, "limit"),
            ({"limit": "ten"}, "limit"),
            ({"offset": -1}, "offset"),
            ({"status": "rich"}, "status"),
            ({"household_type": "x"}, "household_type"),
            ({"cause": "laziness"}, "cause"),
            ({"income_band": "1_2"}, "income_band"),
            ({"region": "36x"}, "region"),
            ({"q": "张" * 51}, "q"),
            ({"q": "a\x00b"}, "q"),
        ],
    )
    def test_bad_parameters_are_422_naming_the_parameter(self, api, household, params, field):
        response = api("clerk").get(LIST, params)
        assert response.status_code == 422
        body = response.json()
        assert field in body["errors"] and body["errors"][field]
        assert field in body["detail"]

    def test_number_of_queries_does_not_grow_with_the_page(self, api, tree):
        client = api("clerk")
        factories.make_household(head="张甲")
        client.get(LIST)  # the token's first use writes last_used_at
        with CaptureQueriesContext(connection) as one:
            assert client.get(LIST).status_code == 200
        for name in "乙丙丁戊":
            factories.make_household(head=f"张{name}")
        with CaptureQueriesContext(connection) as five:
            assert len(client.get(LIST).json()["results"]) == 5
        assert len(five) == len(one) <= 4  # token, page, count (+ savepoint-free)


class TestDetail:
    def test_household_with_members_incomes_and_guarantees(self, api, household):
        services.record_guarantees(
            household,
            by=factories.admin_user(),
            year=2025,
            checked_on=datetime.date(2025, 6, 1),
            items={"housing": False},
            notes={"housing": "危房待改造"},
        )
        response = api("clerk").get(detail(household.pk), {"reveal": "id_number", "purpose": "casework"})
        assert response.status_code == 200
        body = response.json()
        assert body["number"] == household.number and body["size"] == 2
        assert (
            body["identification_standard"] == "national"
            and body["identification_standard_display"] == "国家"
        )
        assert body["farmland_area"] == "0.00"
        assert [m["relation"] for m in body["members"]] == ["head", "son"]
        head = body["members"][0]
        assert head["relation_display"] == "户主" and head["sex"] == "M" and head["sex_display"] == "男"
        assert head["birth_date"] == "1968-03-01"
        income = body["incomes"][0]
        assert (
            income["year"] == 2025
            and income["wages"] == "7000.00"
            and income["per_capita_net_income"] == "3500.00"
        )
        assert income["total_income"] == "7000.00"
        guarantees = body["guarantees"][0]
        assert (
            guarantees["housing"] is False
            and guarantees["all_met"] is False
            and guarantees["unmet"] == ["housing"]
        )
        assert guarantees["notes"] == {"housing": "危房待改造"}

    def test_unknown_household_is_404(self, api, household):
        response = api("clerk").get(detail(household.pk + 1000))
        assert response.status_code == 404
        assert response.json()["detail"]

    @pytest.mark.parametrize("pk", ["abc", "0", "-1", "1.5", "9" * 30])
    def test_malformed_id_is_422(self, api, household, pk):
        response = api("clerk").get(detail(pk))
        assert response.status_code == 422
        assert "household_id" in response.json()["errors"]


class TestCreate:
    def test_creates_a_household_numbered_in_its_village(self, api, tree):
        response = api("clerk").post(
            LIST,
            {
                "village": factories.VILLAGE,
                "primary_cause": "schooling",
                "other_causes": ["lack_funds"],
                "address": "南山路 1 号",
                "farmland_area": "2.5",
                "housing_area": 80,
            },
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["number"] == f"{factories.VILLAGE}0001"
        assert (
            body["status"] == "unregistered"
            and body["status_display"] == "未建档"
            and body["household_type"] == ""
        )
        assert body["farmland_area"] == "2.50" and body["housing_area"] == "80.00"
        assert body["members"] == [] and body["incomes"] == []
        household = Household.objects.get(pk=body["id"])
        assert household.farmland_area == Decimal("2.50") and household.other_causes == ["lack_funds"]
        assert AuditEntry.objects.filter(action="create", household=household, username="clerk").exists()

    def test_with_a_group(self, api, tree):
        group = Region.objects.create(
            code=factories.VILLAGE + "001", name="一组", level=RegionLevel.GROUP, parent_id=factories.VILLAGE
        )
        response = api("clerk").post(
            LIST, {"village": factories.VILLAGE, "group": group.code, "primary_cause": "illness"}
        )
        assert response.status_code == 201
        assert response.json()["group"] == group.code and response.json()["group_name"] == "一组"

    def test_registry_rules_come_back_as_422_with_chinese_messages(self, api, tree):
        client = api("clerk")
        audit = AuditEntry.objects.count()
        response = client.post(
            LIST, {"village": factories.VILLAGE, "other_causes": ["illness"], "bank_account": "x" * 41}
        )
        assert response.status_code == 422
        assert set(response.json()["errors"]) == {"bank_account"}
        assert not Household.objects.exists() and AuditEntry.objects.count() == audit

    def test_village_must_be_a_village(self, api, tree):
        response = api("clerk").post(LIST, {"village": factories.VILLAGE[:9]})
        assert response.status_code == 422  # outside a clerk's village: same answer as a missing code
        response = api("township").post(
            LIST,
            {"village": factories.VILLAGE[:9], "household_type": "general_poor", "primary_cause": "illness"},
        )
        assert response.status_code == 422
        assert "不是行政村" in response.json()["errors"]["village"]

    def test_village_is_required_and_unknown_fields_refused(self, api, tree):
        response = api("clerk").post(LIST, {"number": "1", "head_name": "x", "size": 3})
        assert response.status_code == 422
        errors = response.json()["errors"]
        assert errors["village"] == "必填"
        assert errors["number"] == errors["head_name"] == errors["size"] == "未知字段"

    @pytest.mark.parametrize("user", ["prefecture", "province"])
    def test_read_only_roles_get_403(self, api, tree, user):
        response = api(user).post(
            LIST, {"village": factories.VILLAGE, "household_type": "general_poor", "primary_cause": "illness"}
        )
        assert response.status_code == 403
        assert not Household.objects.exists()


class TestUpdate:
    def test_changes_only_the_fields_sent(self, api, household):
        response = api("clerk").patch(
            detail(household.pk),
            {"address": "  新址 ", "is_dangerous_house": True, "road_type": "cement", "pasture_area": 3},
        )
        assert response.status_code == 200, response.content
        body = response.json()
        assert (
            body["address"] == "新址"
            and body["road_type_display"] == "水泥路"
            and body["pasture_area"] == "3.00"
        )
        household.refresh_from_db()
        assert household.is_dangerous_house and household.primary_cause == "illness"
        entry = AuditEntry.objects.filter(action="update", household=household).get()
        assert set(entry.changes) == {"address", "is_dangerous_house", "road_type", "pasture_area"}

    def test_group_can_be_set_and_cleared_but_only_to_a_group_of_the_village(self, api, household):
        group = Region.objects.create(
            code=factories.VILLAGE + "002", name="二组", level=RegionLevel.GROUP, parent_id=factories.VILLAGE
        )
        Region.objects.create(
            code=factories.SIBLING_VILLAGE + "001",
            name="别村一组",
            level=RegionLevel.GROUP,
            parent_id=factories.SIBLING_VILLAGE,
        )
        client = api("township")
        assert client.patch(detail(household.pk), {"group": group.code}).json()["group"] == group.code
        response = client.patch(detail(household.pk), {"group": factories.SIBLING_VILLAGE + "001"})
        assert response.status_code == 422 and "group" in response.json()["errors"]
        assert client.patch(detail(household.pk), {"group": None}).json()["group"] is None

    def test_an_invalid_field_leaves_everything_unchanged(self, api, household):
        api("clerk")
        before = Household.objects.filter(pk=household.pk).values().get()
        audit = AuditEntry.objects.count()
        response = api("clerk").patch(detail(household.pk), {"address": "新址", "farmland_area": "1.234"})
        assert response.status_code == 422
        assert response.json()["errors"] == {"farmland_area": "数值最多保留两位小数"}
        response = api("clerk").patch(detail(household.pk), {"address": "新址", "primary_cause": ""})
        assert response.status_code == 422 and "primary_cause" in response.json()["errors"]
        assert Household.objects.filter(pk=household.pk).values().get() == before
        assert AuditEntry.objects.count() == audit

    @pytest.mark.parametrize(
        "body, field",
        [
            ({"status": None}, "status"),
            ({"address": 5}, "address"),
            ({"is_only_child": "maybe"}, "is_only_child"),
            ({"registration_year": "twenty"}, "registration_year"),
            ({"registration_year": 10**12}, "registration_year"),
            ({"other_causes": ["greed"]}, "other_causes.0"),
            ({"other_causes": "illness"}, "other_causes"),
            ({"address": "x" * 201}, "address"),
            ({"phone": "1\x002"}, "phone"),
            ('{"farmland_area": 1e400}', "farmland_area"),
            ({"farmland_area": -1}, "farmland_area"),
            ({"farmland_area": True}, "farmland_area"),
            ({"farmland_area": "abc"}, "farmland_area"),
            ({"farmland_area": "1" * 30}, "farmland_area"),
            ({"group": "abc"}, "group"),
            ({"village": factories.SIBLING_VILLAGE}, "village"),
            ({"number": "1"}, "number"),
        ],
    )
    def test_wrong_types_and_values_are_422(self, api, household, body, field):
        response = api("clerk").patch(detail(household.pk), body)
        assert response.status_code == 422, response.content
        assert field in response.json()["errors"]

    def test_a_key_fact_is_refused_by_name(self, api, household):
        response = api("clerk").patch(detail(household.pk), {"registration_year": 1990})
        assert response.status_code == 422
        assert (
            response.json()["errors"]["registration_year"]
            == "识别年度只能通过识别、退出、返贫程序或经审核的变更申请修改"
        )

    @pytest.mark.parametrize(
        "raw", ["{bad json", "", "null", "[]", '"text"', "1", '{"address": NaN}', b"\xff\xfe"]
    )
    def test_bodies_that_are_not_a_json_object_are_4xx(self, api, household, raw):
        response = api("clerk").patch(detail(household.pk), raw)
        assert response.status_code in (400, 422), response.content
        assert response.json()["detail"]

    def test_empty_object_changes_nothing(self, api, household):
        client = api("clerk")
        audit = AuditEntry.objects.count()
        assert client.patch(detail(household.pk), {}).status_code == 200
        assert AuditEntry.objects.count() == audit

    def test_read_only_role_gets_403_and_nothing_changes(self, api, household):
        response = api("prefecture").patch(detail(household.pk), {"address": "新址"})
        assert response.status_code == 403
        household.refresh_from_db()
        assert household.address == ""
