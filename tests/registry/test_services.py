import datetime
from decimal import Decimal

import pytest

from fupin.accounts.scope import ScopeError
from fupin.audit.chain import opened_changes
from fupin.audit.models import AuditEntry
from fupin.registry import codes, services
from fupin.registry.models import Household, IncomeRecord, Member, per_capita_net_income
from fupin.registry.services import RegistryError
from tests import factories


def test_per_capita_net_income_is_exact_and_rounded_half_up():
    assert per_capita_net_income(
        incomes=[Decimal("10000"), Decimal("0.01")], productive_expenditure=Decimal("0"), household_size=3
    ) == Decimal("3333.34")
    assert per_capita_net_income(
        incomes=[Decimal("9000")], productive_expenditure=Decimal("1000"), household_size=2
    ) == Decimal("4000.00")
    with pytest.raises(ValueError):
        per_capita_net_income(incomes=[], productive_expenditure=0, household_size=0)


def test_record_income_derives_per_capita_and_updates_the_household(users):
    h = factories.make_household(members=3, income=None)
    income = services.record_income(
        h, by=users["clerk"], year=2025, wages="9000", dibao="3000", productive_expenditure="600"
    )
    assert income.per_capita_net_income == Decimal("3800.00")
    h.refresh_from_db()
    assert h.latest_income == Decimal("3800.00")
    services.record_income(h, by=users["clerk"], year=2025, wages="12000", productive_expenditure="0")
    assert IncomeRecord.objects.get(household=h, year=2025).per_capita_net_income == Decimal("4000.00")
    entry = AuditEntry.objects.filter(household=h, action="record_income").first()
    assert (
        entry.changes["wages"] == ["9000.00", "12000.00"]
        and entry.username == "clerk"
        and entry.role == "village_clerk"
    )


def test_money_refuses_floats_negatives_and_fractions_of_a_fen(users):
    h = factories.make_household(income=None)
    with pytest.raises(TypeError):
        services.record_income(h, by=users["clerk"], year=2025, wages=100.5)
    with pytest.raises(RegistryError) as e:
        services.record_income(
            h, by=users["clerk"], year=2025, wages="-1", production="12.345", property_income="abc"
        )
    assert e.value.errors == {
        "wages": "金额不能为负数",
        "production": "金额最多保留两位小数",
        "property_income": "请输入金额（元）",
    }
    assert not IncomeRecord.objects.filter(household=h).exists()


def test_member_identity_must_agree_with_id_number(users):
    h = factories.make_household(members=1, status="applicant")
    number = factories.id_number(birth=datetime.date(1990, 1, 2), sex="F")
    with pytest.raises(RegistryError) as e:
        services.add_member(
            h,
            by=users["clerk"],
            name="李四",
            id_number=number,
            sex="M",
            birth_date=datetime.date(1990, 1, 3),
            relation="spouse",
        )
    assert "性别与身份证号不符" in e.value.errors["sex"]
    assert "出生日期与身份证号不符" in e.value.errors["birth_date"]
    m = services.add_member(h, by=users["clerk"], name="李四", id_number=number, relation="spouse")
    assert m.sex == "F" and m.birth_date == datetime.date(1990, 1, 2) and m.name_initials == "LS"


def test_bad_check_digit_is_refused_with_the_expected_character(users):
    h = factories.make_household(members=1, status="applicant")
    good = factories.id_number()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(RegistryError) as e:
        services.add_member(h, by=users["clerk"], name="王五", id_number=bad, relation="son")
    assert e.value.errors["id_number"] == f"身份证号校验位错误：应为 {good[17]}"


def test_one_person_is_in_one_household_at_a_time(users):
    a = factories.make_household(members=1, status="applicant")
    b = factories.make_household(members=1, head="李四", status="applicant")
    head_of_a = a.members.get()
    with pytest.raises(RegistryError) as e:
        services.add_member(
            b, by=users["clerk"], name=head_of_a.name, id_number=head_of_a.id_number, relation="sibling"
        )
    assert "一人只能在一户" in e.value.errors["id_number"]


def test_one_head_per_household(users):
    h = factories.make_household(members=1, status="applicant")
    with pytest.raises(RegistryError, match="只能有一名户主"):
        services.add_member(
            h, by=users["clerk"], name="赵六", id_number=factories.id_number(), relation="head"
        )


def test_head_cannot_be_removed_while_others_remain_and_removal_needs_a_reason(users):
    h = factories.make_household(members=2, status="applicant")
    head = h.members.get(relation="head")
    with pytest.raises(RegistryError, match="新的户主"):
        services.remove_member(head, by=users["clerk"], reason="死亡")
    son = h.members.get(relation="son")
    with pytest.raises(RegistryError, match="减员原因"):
        services.remove_member(son, by=users["clerk"], reason=" ")
    services.remove_member(son, by=users["clerk"], reason="婚出")
    h.refresh_from_db()
    assert h.size == 1
    assert AuditEntry.objects.filter(
        household=h, action="remove_member", changes__reason=[None, "婚出"]
    ).exists()


def test_household_rules(users):
    with pytest.raises(RegistryError, match="不是行政村"):
        services.create_household(by=users["clerk"], village_code="360722100", status="applicant")
    h = services.create_household(by=users["clerk"], village_code=factories.VILLAGE, status="applicant")
    assert h.number == factories.VILLAGE + "0001"
    # the rules hold for key facts set by a procedure step or an approved change request too
    with pytest.raises(RegistryError) as e:
        services.apply_key_facts(
            h,
            by=users["township"],
            action="change_request",
            status="poor",
            household_type="",
            primary_cause="",
        )
    assert set(e.value.errors) == {"household_type", "primary_cause"}
    with pytest.raises(RegistryError, match="脱贫年度不能早于识别年度"):
        services.apply_key_facts(
            h, by=users["township"], action="change_request", registration_year=2018, exit_year=2016
        )


def test_update_household_audits_old_and_new_values(users):
    h = factories.make_household()
    services.update_household(h, by=users["township"], phone="13800000000", is_dangerous_house=True)
    entry = AuditEntry.objects.filter(household=h, action="update").get()
    assert opened_changes(entry.changes) == {
        "phone": ["", "13800000000"],
        "is_dangerous_house": [False, True],
    }
    assert entry.role == "township" and entry.region_code == "360722100"


def test_writes_outside_scope_or_role_are_refused_and_leave_nothing(users):
    h = factories.make_household()
    before = AuditEntry.objects.count()
    for who in ("sibling_clerk", "other_township", "other_county", "liaison"):
        with pytest.raises(ScopeError):
            services.update_household(h, by=users[who], phone="1")
        with pytest.raises(ScopeError):
            services.create_household(by=users[who], village_code=factories.VILLAGE, status="applicant")
    for who in ("prefecture", "province"):
        with pytest.raises(ScopeError, match="只能查看"):
            services.record_income(h, by=users[who], year=2025, wages="1")
    assert AuditEntry.objects.count() == before
    assert Household.objects.count() == 1


def test_guarantees_not_met_need_a_note(users):
    h = factories.make_household()
    with pytest.raises(RegistryError) as e:
        services.record_guarantees(
            h, by=users["clerk"], year=2025, checked_on=datetime.date(2025, 11, 1), items={"housing": False}
        )
    assert e.value.errors == {"housing": "未达标的项目须说明情况"}
    check = services.record_guarantees(
        h,
        by=users["clerk"],
        year=2025,
        checked_on=datetime.date(2025, 11, 1),
        items={"housing": False},
        notes={"housing": "C级危房"},
    )
    assert check.unmet == ["housing"] and not check.all_met


def test_members_moved_keep_denormalised_fields(users):
    h = factories.make_household(members=2, status="applicant")  # outside the registry: names edited directly
    son = h.members.get(relation="son")
    services.update_member(son, by=users["clerk"], name="钱多多")
    assert Member.objects.get(pk=son.pk).name_initials == "QDD"
    assert services.initials("张三丰") == "ZSF"
    assert codes.lookup(codes.HouseholdType, "低保贫困户") == "dibao_poor"


def test_code_lookup_reads_the_national_forms_chinese_words_whatever_language_the_user_reads():
    from django.utils import translation

    from fupin.registry import codes

    with translation.override("en"):
        assert str(codes.HouseholdStatus.POOR.label) != "贫困户"  # the English catalogue is in force
        assert codes.lookup(codes.HouseholdStatus, "贫困户") == "poor"
        assert codes.lookup(codes.HouseholdType, "一般贫困户") == "general_poor"
        assert codes.lookup(codes.HouseholdStatus, str(codes.HouseholdStatus.POOR.label)) == "poor"
    assert codes.lookup(codes.HouseholdStatus, "贫困户") == "poor"
