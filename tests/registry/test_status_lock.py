"""Issue 14, finding 1: a household's status, type and years, and a registered household's make-up,
change only through the procedures or a reviewed change request — never by the household form,
the member pages, the income form or the import. (The API's routes: tests/api/test_status_lock.py.)"""

import pytest
from django.urls import reverse
from django.utils import timezone

from fupin.audit.models import AuditEntry
from fupin.procedures.models import Batch, BatchHousehold, Procedure, Stage
from fupin.registry import codes, services
from fupin.registry.imports import import_file
from fupin.registry.models import Household, IncomeRecord, Member
from tests import factories
from tests.registry.import_files import household as file_household
from tests.registry.import_files import new_id, write_csv
from tests.registry.test_views import household_data

LOCKED = "户状态只能通过识别、退出、返贫程序或经审核的变更申请修改"


@pytest.fixture
def poor(tree):
    """A registered household (贫困户 since 2016) with a head and two sons, 2025 income recorded."""
    return factories.make_household(head="张三丰", members=3)


def login(client, user):
    client.force_login(user)
    return client


def text(response) -> str:
    return response.content.decode()


def used_by_a_procedure(household, year: int, stage: str = Stage.APPRAISAL) -> Batch:
    """An exit batch of `year` whose income survey ranked the household (as complete_survey records it)."""
    now = timezone.now()
    round_ = Batch.objects.filter(kind=Procedure.EXIT, village_id=household.village_id, year=year).count() + 1
    batch = Batch.objects.create(
        kind=Procedure.EXIT,
        village_id=household.village_id,
        year=year,
        round=round_,
        stage=stage,
        opened_at=now,
        stage_since=now,
    )
    BatchHousehold.objects.create(
        batch=batch,
        household=household,
        persons=household.size,
        per_capita_net_income=household.latest_income,
        previous_status=household.status,
    )
    return batch


def test_registered_means_announced():
    assert Household(status=codes.HouseholdStatus.POOR).is_registered
    assert Household(status=codes.HouseholdStatus.MONITORED).is_registered
    assert Household(status=codes.HouseholdStatus.REMOVED, registration_year=2016).is_registered
    assert not Household(status=codes.HouseholdStatus.APPLICANT).is_registered
    assert not Household(status=codes.HouseholdStatus.REMOVED).is_registered


# --- services -------------------------------------------------------------------------------------


def test_update_service_refuses_key_facts_and_keeps_minor_fields_direct(users, poor):
    with pytest.raises(services.LockedError) as e:
        services.update_household(
            poor, by=users["county"], status="exited", exit_year=2026, phone="13900000000"
        )
    assert e.value.errors == {
        "status": LOCKED,
        "exit_year": "脱贫年度只能通过识别、退出、返贫程序或经审核的变更申请修改",
    }
    poor.refresh_from_db()
    assert (poor.status, poor.exit_year, poor.phone) == ("poor", None, "")
    # the same value is no change; contact fields stay direct edits
    services.update_household(
        poor, by=users["clerk"], status="poor", phone="13900000000", bank_account="6217000011112222"
    )
    poor.refresh_from_db()
    assert poor.phone == "13900000000" and poor.bank_account == "6217000011112222"


def test_key_facts_change_through_a_named_procedure_step_audited_as_such(users, poor):
    services.apply_key_facts(poor, by=users["township"], action="change_request", household_type="dibao_poor")
    poor.refresh_from_db()
    assert poor.household_type == "dibao_poor"
    entry = AuditEntry.objects.filter(household=poor).order_by("-id").first()
    assert entry.action == "change_request" and entry.changes == {
        "household_type": ["general_poor", "dibao_poor"]
    }
    with pytest.raises(ValueError):
        services.apply_key_facts(poor, by=users["township"], action="update", status="exited")
    applicant = factories.make_household(head="李四", status="applicant")
    with pytest.raises(services.LockedError):  # the initial load is the county's
        services.apply_key_facts(applicant, by=users["clerk"], action="initial_load", status="poor")


# --- the household form ---------------------------------------------------------------------------


def household_post(**overrides):
    """The household form as the page posts it, with a phone number to show the rest of the form is saved."""
    return household_data(phone="13700000000") | overrides


def test_household_form_shows_key_facts_read_only_and_a_forged_post_changes_nothing(users, client, poor):
    login(client, users["clerk"])
    url = reverse("registry:household_edit", args=[poor.pk])
    form = text(client.get(url))
    for name in ("status", "household_type", "registration_year", "exit_year"):
        assert f'name="{name}"' not in form
    assert "建档状态（只读）" in form and "贫困户" in form and "一般贫困户" in form
    response = client.post(
        url,
        household_post(status="exited", exit_year="2026", household_type="wubao", registration_year="2020")
        | factories.based_on(client, url),
    )
    assert response.status_code == 302
    poor.refresh_from_db()
    assert (poor.status, poor.exit_year, poor.household_type, poor.registration_year) == (
        "poor",
        None,
        "general_poor",
        2016,
    )
    assert poor.phone == "13700000000"  # the rest of the form is saved
    assert not AuditEntry.objects.filter(household=poor, action="update", changes__has_key="status").exists()


def test_household_created_through_the_form_starts_outside_the_registry(users, client):
    login(client, users["clerk"])
    response = client.post(
        reverse("registry:household_create"),
        household_post(status="poor", household_type="general_poor", registration_year="2016"),
    )
    assert response.status_code == 302
    household = Household.objects.get()
    assert (household.status, household.household_type, household.registration_year) == (
        "unregistered",
        "",
        None,
    )
    assert not household.is_registered


# --- members and incomes of a registered household ------------------------------------------------


def test_member_add_and_remove_on_a_registered_household_are_refused_on_the_pages(users, client, poor):
    login(client, users["clerk"])
    son = poor.members.get(name="张小1")
    add = reverse("registry:member_add", args=[poor.pk])
    remove = reverse("registry:member_remove", args=[poor.pk, son.pk])
    for response in (
        client.get(add),
        client.post(add, {"name": "张小红", "id_number": factories.id_number(), "relation": "daughter"}),
    ):
        assert response.status_code == 403 and "已建档立卡，不能直接增加家庭成员" in text(response)
        assert "变更申请" in text(response)
    response = client.post(remove, {"reason": "moved_out", "detail": "迁往广州"})
    assert response.status_code == 403 and "不能直接减员" in text(response)
    assert Member.objects.filter(household=poor).count() == 3
    page = text(client.get(reverse("registry:household_detail", args=[poor.pk])))
    assert add not in page and remove not in page and "增减成员、更换户主须提交变更申请" in page


def test_change_of_head_on_a_registered_household_is_refused_and_contact_fields_stay_direct(
    users, client, poor
):
    login(client, users["clerk"])
    son = poor.members.get(name="张小1")
    url = reverse("registry:member_edit", args=[poor.pk, son.pk])
    data = {
        "name": son.name,
        "id_number": son.id_number,
        "relation": "head",
        "ethnicity": "01",
        "political_status": "masses",
        "schooling": "none",
        "health": "healthy",
        "work_status": "not_working",
        "work_months": "0",
        "phone": "13600000000",
    } | factories.based_on(client, url)
    response = client.post(url, data)
    assert response.status_code == 200 and "不能直接更换户主" in text(response)
    assert Member.objects.get(pk=son.pk).relation == "son"
    assert client.post(url, data | {"relation": "son"}).status_code == 302
    assert Member.objects.get(pk=son.pk).phone == "13600000000"
    with pytest.raises(services.LockedError, match="更换户主"):
        services.update_member(poor.members.get(relation="head"), by=users["county"], relation="spouse")


def test_income_of_a_year_used_by_a_procedure_is_refused_on_the_form(users, client, poor):
    used_by_a_procedure(poor, 2025)
    login(client, users["clerk"])
    url = reverse("registry:income_record", args=[poor.pk])
    before = IncomeRecord.objects.get(household=poor, year=2025).per_capita_net_income
    response = client.post(
        url, {"year": "2025", "wages": "99999"} | factories.based_on(client, url + "?year=2025")
    )
    assert (
        response.status_code == 200
        and "2025年收入已用于识别、退出或返贫程序的收入调查，不能直接更正" in text(response)
    )
    assert IncomeRecord.objects.get(household=poor, year=2025).per_capita_net_income == before
    # another year, and a year whose batch is still at its survey, stay direct
    assert client.post(url, {"year": "2024", "wages": "9000"}).status_code == 302
    survey = used_by_a_procedure(factories.make_household(head="李四"), 2025, stage=Stage.SURVEY)
    services.record_income(survey.entries.get().household, by=users["clerk"], year=2025, wages="1")


# --- the import -----------------------------------------------------------------------------------


def run(tmp_path, rows, user, **kwargs):
    return import_file(write_csv(tmp_path / "h.csv", rows), user=user, **kwargs)


def errors_of(result):
    return [(e.row, e.column, e.reason) for e in result.errors]


def existing_rows(household, **cells):
    """The file's rows of a registered household as they stand, with `cells` changed."""
    head = household.members.get(relation="head")
    others = list(household.members.exclude(relation="head"))
    rows = file_household(
        head.name,
        户编号=household.number,
        members=[(m.name, "之子", m.birth_date, "男") for m in others],
        收入年度="",
        工资性收入="",
        生产经营性收入="",
        低保金="",
        生产经营性支出="",
    )
    rows[0]["证件号码"] = head.id_number
    for row, member in zip(rows[1:], others, strict=True):
        row["证件号码"] = member.id_number
    for row in rows:
        row["户主证件号码"] = head.id_number
        row |= cells
    return rows


def test_import_refuses_changed_key_facts_of_an_existing_household(tmp_path, users, poor):
    rows = existing_rows(poor, 户状态="已脱贫", 脱贫年度="2025", 识别年度="2017", 贫困户属性="低保贫困户")
    result = run(tmp_path, rows, users["county"])
    assert not result.imported
    errors = errors_of(result)
    assert (2, "户状态", LOCKED + "（本户登记为“贫困户”）") in errors
    assert (
        2,
        "脱贫年度",
        "脱贫年度只能通过识别、退出、返贫程序或经审核的变更申请修改（本户登记为“空”）",
    ) in errors
    assert (
        2,
        "识别年度",
        "识别年度只能通过识别、退出、返贫程序或经审核的变更申请修改（本户登记为“2016”）",
    ) in errors
    assert any(col == "贫困户属性" and "变更申请" in why for _, col, why in errors)
    poor.refresh_from_db()
    assert (poor.status, poor.exit_year) == ("poor", None)
    # the same file with the registered values changes nothing and is accepted
    result = run(tmp_path, existing_rows(poor), users["clerk"])
    assert result.imported and not result.errors, errors_of(result)


def test_import_refuses_members_in_and_a_new_head_for_a_registered_household(tmp_path, users, poor):
    rows = existing_rows(poor, 家庭人口数="4")
    newcomer = rows[1] | {"姓名": "张小红", "证件号码": new_id(sex="F"), "与户主关系": "之女", "性别": "女"}
    result = run(tmp_path, rows + [newcomer], users["county"])
    assert not result.imported
    assert errors_of(result) == [
        (5, "证件号码", f"户 {poor.number} 已建档立卡，增加家庭成员须提交变更申请，经乡镇审核后生效")
    ]
    rows = existing_rows(poor)
    rows[0]["与户主关系"], rows[1]["与户主关系"] = "之子", "户主"
    rows[0]["户主证件号码"] = rows[1]["户主证件号码"] = rows[2]["户主证件号码"] = rows[1]["证件号码"]
    result = run(tmp_path, rows, users["county"])
    assert not result.imported
    assert any(col == "与户主关系" and "更换户主须提交变更申请" in why for _, col, why in errors_of(result))
    assert Member.objects.filter(household=poor, relation="head").get().name == "张三丰"


def test_import_refuses_an_income_correction_of_a_year_used_by_a_procedure(tmp_path, users, poor):
    used_by_a_procedure(poor, 2025)
    rows = existing_rows(poor, 收入年度="2025", 工资性收入="99999")
    result = run(tmp_path, rows, users["county"])
    assert not result.imported
    assert (
        2,
        "收入年度",
        "2025年收入已用于识别、退出或返贫程序的收入调查，不能由导入更正：请提交变更申请",
    ) in errors_of(result)
    rows = existing_rows(poor, 收入年度="2024", 工资性收入="99999")  # a year no procedure used
    assert run(tmp_path, rows, users["county"]).imported


@pytest.mark.parametrize("who", ["clerk", "team", "township"])
def test_village_or_township_import_cannot_create_registered_households(tmp_path, users, who):
    rows = (
        file_household("王大山")
        + file_household("李四海", 户状态="已脱贫", 脱贫年度="2020")
        + file_household("赵六", 户状态="申请中", 识别年度="", 贫困户属性="")
    )
    result = run(tmp_path, rows, users[who], only_valid_rows=True)
    errors = [(row, col) for row, col, why in errors_of(result) if why.startswith("村、乡镇导入的新户只能为")]
    assert errors == [
        (2, "户状态"),
        (2, "贫困户属性"),
        (2, "识别年度"),
        (4, "户状态"),
        (4, "贫困户属性"),
        (4, "识别年度"),
        (4, "脱贫年度"),
    ]
    assert list(Household.objects.values_list("head_name", "status")) == [("赵六", "applicant")]


def test_county_loads_the_registry(tmp_path, users):
    rows = file_household("王大山") + file_household("李四海", 户状态="已脱贫", 脱贫年度="2020")
    result = run(tmp_path, rows, users["county"])
    assert result.imported, errors_of(result)
    assert sorted(Household.objects.values_list("status", flat=True)) == ["exited", "poor"]


def test_blank_status_means_poor_and_is_refused_for_a_village(tmp_path, users):
    result = run(tmp_path, file_household("王大山", 户状态="", 识别年度="", 贫困户属性=""), users["clerk"])
    status = [e for e in result.errors if e.column == "户状态"]
    assert (
        len(status) == 1
        and status[0].value == "贫困户"
        and status[0].reason.startswith("村、乡镇导入的新户只能为")
    )
    assert not Household.objects.exists()
