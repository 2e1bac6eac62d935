"""Members, yearly incomes, guarantee checks and the audit trail of a household, through the API."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from fupin.audit.models import AuditEntry
from fupin.core import idnumber
from fupin.registry.models import GuaranteeCheck, IncomeRecord, Member
from tests import factories


def members_url(household) -> str:
    return f"/api/v1/households/{household.pk}/members/"


def member_url(member) -> str:
    return f"/api/v1/members/{member.pk}/"


def income_url(household, year) -> str:
    return f"/api/v1/households/{household.pk}/incomes/{year}/"


def guarantees_url(household, year) -> str:
    return f"/api/v1/households/{household.pk}/guarantees/{year}/"


ALL_MET = {
    "checked_on": "2025-06-01",
    "food": True,
    "clothing": True,
    "education": True,
    "medical": True,
    "housing": True,
    "water": True,
}


class TestMembers:
    @pytest.fixture
    def household(self, tree):
        """A household outside the registry (申请中), whose members are entered directly; a registered
        household's members change through change requests (tests/api/test_status_lock.py)."""
        h = factories.make_household(
            phone="13812345678", bank_account="6217001234567890123", status="applicant"
        )
        h.refresh_from_db()
        return h

    def test_add_member_derives_sex_and_birth_date(self, api, household):
        number = factories.id_number(birth=datetime.date(2001, 9, 10), sex="F")
        response = api("clerk").post(
            members_url(household),
            {
                "name": "张小红",
                "id_number": number.lower(),
                "relation": "daughter",
                "education": "senior",
                "schooling": "university",
                "phone": "13900001111",
            },
        )
        assert response.status_code == 201, response.content
        body = response.json()
        # the answer masks what was sent (issue 17: sensitive fields only when asked for)
        assert (
            body["id_number"] == idnumber.mask(number) and body["sex"] == "F" and body["birth_year"] == 2001
        )
        shown = api("clerk").get(f"/api/v1/members/{body['id']}/", {"reveal": "id_number", "purpose": "edit"})
        assert shown.json()["id_number"] == number and shown.json()["birth_date"] == "2001-09-10"
        assert body["relation_display"] == "之女" and body["schooling_display"] == "本科及以上"
        household.refresh_from_db()
        assert household.size == 3
        assert AuditEntry.objects.filter(action="add_member", target_id=str(body["id"])).exists()

    def test_bad_check_digit_is_422_with_the_chinese_message(self, api, household):
        client = api("clerk")
        audit = AuditEntry.objects.count()
        number = factories.id_number()
        wrong = number[:17] + ("0" if number[17] != "0" else "1")
        response = client.post(
            members_url(household), {"name": "张五", "id_number": wrong, "relation": "son"}
        )
        assert response.status_code == 422
        assert response.json()["errors"]["id_number"] == f"身份证号校验位错误：应为 {number[17]}"
        assert household.members.count() == 2 and AuditEntry.objects.count() == audit

    @pytest.mark.parametrize(
        "number, message",
        [
            ("36072219700517001", "身份证号应为18位，实际为17位"),
            ("3607221970051700123", "身份证号应为18位，实际为19位"),
            ("360722700517001", "这是15位旧身份证号，请先升级为18位"),
            ("36072219701317001X", "身份证号中的出生日期 19701317 不存在"),
        ],
    )
    def test_malformed_id_numbers_get_the_registry_message(self, api, household, number, message):
        response = api("clerk").post(
            members_url(household), {"name": "张五", "id_number": number, "relation": "son"}
        )
        assert response.status_code == 422
        assert response.json()["errors"]["id_number"] == message

    def test_sex_must_agree_with_the_id_number(self, api, household):
        number = factories.id_number(sex="M")
        response = api("clerk").post(
            members_url(household), {"name": "张五", "id_number": number, "relation": "son", "sex": "F"}
        )
        assert response.status_code == 422
        assert response.json()["errors"]["sex"].startswith("性别与身份证号不符")

    def test_one_person_one_household(self, api, household):
        other = factories.make_household(head="李四")
        number = other.members.first().id_number
        response = api("clerk").post(
            members_url(household), {"name": "李四", "id_number": number, "relation": "son"}
        )
        assert response.status_code == 422
        assert "一人只能在一户" in response.json()["errors"]["id_number"]

    def test_second_head_refused(self, api, household):
        response = api("clerk").post(
            members_url(household), {"name": "张五", "id_number": factories.id_number(), "relation": "head"}
        )
        assert response.status_code == 422
        assert response.json()["errors"]["relation"] == "该户已有户主，每户只能有一名户主"

    def test_name_id_number_and_relation_are_required(self, api, household):
        response = api("clerk").post(members_url(household), {"birth_date": "2000-01-01"})
        assert response.status_code == 422
        assert response.json()["errors"] == {"name": "必填", "id_number": "必填", "relation": "必填"}

    @pytest.mark.parametrize(
        "body, field",
        [
            ({"work_months": -1}, "work_months"),
            ({"work_months": 13}, "work_months"),
            ({"relation": "cousin"}, "relation"),
            ({"birth_date": 20000101}, "birth_date"),
            ({"birth_date": "2000-02-30"}, "birth_date"),
            ({"ethnicity": "99"}, "ethnicity"),
            ({"disability_category": "visual"}, "disability_level"),
            ({"household": 5}, "household"),
            ({"name": ""}, "name"),
        ],
    )
    def test_update_member_refuses_bad_values(self, api, household, body, field):
        member = household.members.get(relation="son")
        response = api("clerk").patch(member_url(member), body)
        assert response.status_code == 422, response.content
        assert field in response.json()["errors"]

    def test_update_member(self, api, household):
        member = household.members.get(relation="son")
        response = api("clerk").patch(
            member_url(member),
            {"work_status": "out_of_province", "work_months": 10, "name": "张大宝", "health": "chronic"},
        )
        assert response.status_code == 200, response.content
        body = response.json()
        assert (
            body["work_status_display"] == "省外务工"
            and body["work_months"] == 10
            and body["name"] == "张大宝"
        )
        entry = AuditEntry.objects.filter(action="update_member").get()
        assert set(entry.changes) == {"work_status", "work_months", "name", "health"}

    def test_remove_member_with_reason_in_the_body(self, api, household):
        member = household.members.get(relation="son")
        response = api("clerk").delete(member_url(member), {"reason": "婚出"})
        assert response.status_code == 204 and response.content == b""
        assert not Member.objects.filter(pk=member.pk).exists()
        household.refresh_from_db()
        assert household.size == 1
        assert AuditEntry.objects.get(action="remove_member").changes["reason"] == [None, "婚出"]

    def test_remove_member_with_reason_in_the_query(self, api, household):
        member = household.members.get(relation="son")
        assert api("clerk").delete(member_url(member) + "?reason=死亡").status_code == 204
        assert not Member.objects.filter(pk=member.pk).exists()

    @pytest.mark.parametrize("body", [None, {}, {"reason": "  "}, {"reason": 5}, {"why": "x"}])
    def test_remove_member_needs_a_reason(self, api, household, body):
        member = household.members.get(relation="son")
        response = api("clerk").delete(member_url(member), body)
        assert response.status_code == 422
        assert Member.objects.filter(pk=member.pk).exists()

    def test_head_cannot_be_removed_before_the_others(self, api, household):
        head = household.members.get(relation="head")
        response = api("clerk").delete(member_url(head), {"reason": "迁出"})
        assert response.status_code == 422 and "户主" in response.json()["errors"]["relation"]

    def test_read_only_role_cannot_change_members(self, api, household):
        member = household.members.get(relation="son")
        client = api("province")
        assert client.patch(member_url(member), {"name": "改"}).status_code == 403
        assert client.delete(member_url(member), {"reason": "x"}).status_code == 403
        assert (
            client.post(
                members_url(household),
                {"name": "张五", "id_number": factories.id_number(), "relation": "son"},
            ).status_code
            == 403
        )
        assert household.members.count() == 2


class TestIncomes:
    def test_record_a_year_and_the_per_capita_income_is_derived(self, api, household):
        response = api("clerk").put(
            income_url(household, 2024),
            '{"wages": "6000.50", "production": 1200, "dibao": 800.5, "productive_expenditure": "1000"}',
        )
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["wages"] == "6000.50" and body["dibao"] == "800.50" and body["pension"] == "0.00"
        assert body["household_size"] == 2 and body["per_capita_net_income"] == "3500.50"
        income = IncomeRecord.objects.get(household=household, year=2024)
        assert income.per_capita_net_income == Decimal("3500.50")
        household.refresh_from_db()
        assert household.latest_income == Decimal("3500.00")  # 2025 stays the latest year

    def test_put_replaces_the_year(self, api, household):
        client = api("clerk")
        client.put(income_url(household, 2025), {"wages": "10000", "household_size": 4})
        body = client.put(income_url(household, 2025), {"production": "2000"}).json()
        assert (
            body["wages"] == "0.00"
            and body["production"] == "2000.00"
            and body["per_capita_net_income"] == "1000.00"
        )
        assert IncomeRecord.objects.filter(household=household, year=2025).count() == 1

    @pytest.mark.parametrize(
        "raw, field, message",
        [
            ('{"wages": 12.345}', "wages", "金额（元）最多保留两位小数"),
            ('{"wages": "12.345"}', "wages", "金额（元）最多保留两位小数"),
            ('{"wages": -1}', "wages", "金额（元）不能为负数"),
            ('{"wages": "abc"}', "wages", None),
            ('{"wages": true}', "wages", None),
            ('{"wages": null}', "wages", "不能为 null"),
            ('{"wages": 1e12}', "wages", None),
            ('{"wages": "1E+400"}', "wages", None),
            ('{"wages": "NaN"}', "wages", None),
            ('{"salary": 1}', "salary", "未知字段"),
            ('{"household_size": 0}', "household_size", None),
            ('{"household_size": 1000}', "household_size", None),
            ('{"per_capita_net_income": "9999"}', "per_capita_net_income", "未知字段"),
        ],
    )
    def test_money_is_refused_unless_exact(self, api, household, raw, field, message):
        client = api("clerk")
        audit = AuditEntry.objects.count()
        response = client.put(income_url(household, 2024), raw)
        assert response.status_code == 422, response.content
        errors = response.json()["errors"]
        assert field in errors
        if message:
            assert errors[field] == message
        assert not IncomeRecord.objects.filter(year=2024).exists() and AuditEntry.objects.count() == audit

    @pytest.mark.parametrize("year", [1999, timezone.localdate().year + 1])
    def test_year_out_of_range(self, api, household, year):
        response = api("clerk").put(income_url(household, year), {"wages": 1})
        assert response.status_code == 422 and "year" in response.json()["errors"]

    @pytest.mark.parametrize("year", ["abc", "-5", "99999", "2024.5"])
    def test_malformed_year(self, api, household, year):
        response = api("clerk").put(f"/api/v1/households/{household.pk}/incomes/{year}/", {"wages": 1})
        assert response.status_code == 422 and "year" in response.json()["errors"]


class TestGuarantees:
    def test_record_guarantees(self, api, household):
        response = api("clerk").put(
            guarantees_url(household, 2025),
            ALL_MET
            | {
                "housing": False,
                "notes": {"housing": "  C级危房，已列入改造  "},
            },
        )
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["year"] == 2025 and body["checked_on"] == "2025-06-01"
        assert body["all_met"] is False and body["unmet"] == ["housing"]
        assert body["notes"] == {"housing": "C级危房，已列入改造"}
        check = GuaranteeCheck.objects.get(household=household, year=2025)
        assert check.housing is False and check.food is True
        assert AuditEntry.objects.filter(action="record_guarantees", household=household).exists()

    def test_unmet_item_needs_a_note(self, api, household):
        response = api("clerk").put(guarantees_url(household, 2025), ALL_MET | {"water": False})
        assert response.status_code == 422
        assert response.json()["errors"] == {"water": "未达标的项目须说明情况"}
        assert not GuaranteeCheck.objects.exists()

    @pytest.mark.parametrize(
        "change, field",
        [
            ({"checked_on": "2999-01-01"}, "checked_on"),
            ({"checked_on": "01/06/2025"}, "checked_on"),
            ({"checked_on": None}, "checked_on"),
            ({"food": "yes please"}, "food"),
            ({"notes": {"roof": "x"}}, "notes.roof.[key]"),
            ({"notes": ["x"]}, "notes"),
            ({"extra": 1}, "extra"),
        ],
    )
    def test_bad_input(self, api, household, change, field):
        response = api("clerk").put(guarantees_url(household, 2025), ALL_MET | change)
        assert response.status_code == 422, response.content
        assert field in response.json()["errors"]
        assert not GuaranteeCheck.objects.exists()

    def test_every_item_must_be_answered(self, api, household):
        body = dict(ALL_MET)
        del body["water"]
        response = api("clerk").put(guarantees_url(household, 2025), body)
        assert response.status_code == 422 and response.json()["errors"] == {"water": "必填"}

    def test_year_out_of_range(self, api, household):
        response = api("clerk").put(guarantees_url(household, 1999), ALL_MET)
        assert response.status_code == 422 and "year" in response.json()["errors"]


class TestAudit:
    def test_household_history_newest_first_paginated(self, api, household):
        client = api("clerk")
        client.patch(f"/api/v1/households/{household.pk}/", {"address": "新址"})
        body = client.get(f"/api/v1/households/{household.pk}/audit/", {"limit": 2}).json()
        assert body["count"] == AuditEntry.objects.filter(household=household).count() == 6
        assert [e["action"] for e in body["results"]] == ["update", "initial_load"]
        assert body["results"][0]["changes"] == {"address": ["", "新址"]}
        assert body["results"][0]["username"] == "clerk"
        older = client.get(f"/api/v1/households/{household.pk}/audit/", {"limit": 2, "offset": 4}).json()
        assert [e["action"] for e in older["results"]] == ["add_member", "create"]

    def test_bad_pagination_is_422(self, api, household):
        response = api("clerk").get(f"/api/v1/households/{household.pk}/audit/", {"limit": 1000})
        assert response.status_code == 422 and "limit" in response.json()["errors"]
