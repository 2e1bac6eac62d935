"""The registry's pages through the Django test client: what each role sees, may change and is told."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fupin.audit.chain import opened_changes
from fupin.audit.models import AuditEntry
from fupin.core.idnumber import check_character, mask
from fupin.registry import codes, services, views
from fupin.registry.models import GuaranteeCheck, Household, IncomeRecord, Member
from tests import factories

pytestmark = pytest.mark.django_db

LIST = reverse("registry:household_list")


def login(client, user):
    client.force_login(user)
    return client


def wrong_check_digit(number: str) -> tuple[str, str]:
    """The number with a wrong last character, and the character it should have."""
    right = check_character(number[:17])
    wrong = "0" if right != "0" else "1"
    return number[:17] + wrong, right


def head_of(household) -> Member:
    return household.members.get(relation=codes.Relation.HEAD)


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def household(tree):
    return factories.make_household(head="张三丰", members=3, phone="13912345678")


@pytest.fixture
def applicant_household(tree):
    """A household outside the registry (申请中): its members are still entered directly."""
    return factories.make_household(head="张三丰", members=3, phone="13912345678", status="applicant")


# --- the list -----------------------------------------------------------------------------


def test_list_shows_only_households_in_the_users_region(users, client):
    mine = factories.make_household(head="张三丰")
    sibling = factories.make_household(factories.SIBLING_VILLAGE, head="李四")
    page = text(login(client, users["clerk"]).get(LIST))
    assert mine.number in page and "张三丰" in page
    assert sibling.number not in page and "李四" not in page


def test_list_has_the_registry_columns_and_masks_id_numbers(users, client, household):
    head = head_of(household)
    page = text(login(client, users["clerk"]).get(LIST))
    for column in ("户编号", "户主", "村", "人口", "属性", "状态", "主要致贫原因", "年人均纯收入"):
        assert "<th" in page and column in page
    assert "南山居委会" in page and "一般贫困户" in page and "因病" in page and "3,500.00" in page
    assert mask(head.id_number) in page
    assert head.id_number not in page


@pytest.mark.parametrize("query", ["张三", "ZSF", "zs"])
def test_list_search_by_name_and_initials(users, client, query):
    found = factories.make_household(head="张三丰")
    other = factories.make_household(head="欧阳修")
    page = text(login(client, users["clerk"]).get(LIST, {"q": query}))
    assert found.number in page and other.number not in page


def test_list_search_by_full_and_partial_id_number(users, client):
    found = factories.make_household(head="张三丰")
    other = factories.make_household(head="欧阳修")
    number = head_of(found).id_number
    login(client, users["clerk"])
    for query in (number, number[-8:], number[-8:].lower(), number[10:]):
        page = text(client.get(LIST, {"q": query}))
        assert found.number in page and other.number not in page, query


def test_list_search_finds_a_household_by_a_members_name(users, client):
    found = factories.make_household(head="张三丰", members=2)  # the son is 张小1
    factories.make_household(head="欧阳修")
    page = text(login(client, users["clerk"]).get(LIST, {"q": "张小"}))
    assert found.number in page and "共 1 户" in page


def test_list_filters_by_status_type_cause_and_income_band(users, client):
    poor = factories.make_household(head="张三丰", income="3500")
    exited = factories.make_household(
        head="李四",
        status="exited",
        exit_year=2020,
        income="6000",
        primary_cause="disability",
        household_type=codes.HouseholdType.DIBAO_POOR,
    )
    no_income = factories.make_household(head="王五", income=None)
    login(client, users["clerk"])
    cases = [
        ({"status": "exited"}, {exited}),
        ({"household_type": "dibao_poor"}, {exited}),
        ({"cause": "disability"}, {exited}),
        ({"income_band": "3000_4000"}, {poor}),
        ({"income_band": "5000_8000"}, {exited}),
        ({"income_band": "none"}, {no_income}),
        ({"status": "poor", "cause": "illness"}, {poor, no_income}),
    ]
    everyone = {poor, exited, no_income}
    for params, expected in cases:
        page = text(client.get(LIST, params))
        for h in everyone:
            assert (h.number in page) == (h in expected), (params, h.head_name)


def test_income_bands_are_labelled_in_yuan(users, client, household):
    page = text(login(client, users["clerk"]).get(LIST))
    assert "3000–4000元" in page and "3000元以下" in page and "未录入收入" in page


@pytest.mark.parametrize(
    "params",
    [
        {"status": "bogus"},
        {"income_band": "9999"},
        {"household_type": "x"},
        {"cause": "<script>"},
        {"page": "abc"},
        {"page": "-1"},
        {"page": "99999"},
        {"q": "x" * 300},
    ],
)
def test_bad_query_parameters_never_fail_the_list(users, client, household, params):
    response = login(client, users["clerk"]).get(LIST, params)
    assert response.status_code == 200
    page = text(response)
    assert household.number in page
    if "page" not in params:
        assert "以下条件无效，已忽略" in page


def test_region_filter_narrows_to_a_village_in_scope(users, client):
    mine = factories.make_household(head="张三丰")
    sibling = factories.make_household(factories.SIBLING_VILLAGE, head="李四")
    login(client, users["township"])
    both = text(client.get(LIST))
    assert mine.number in both and sibling.number in both
    only = text(client.get(LIST, {"region": factories.SIBLING_VILLAGE}))
    assert sibling.number in only and mine.number not in only


@pytest.mark.parametrize("region", [factories.OTHER_COUNTY_VILLAGE, "36", "3607", "not-a-code", "9" * 40])
def test_region_filter_outside_scope_shows_a_message_and_no_foreign_data(users, client, region):
    factories.make_household(factories.OTHER_COUNTY_VILLAGE, head="赵六")
    mine = factories.make_household(head="张三丰")
    response = login(client, users["clerk"]).get(LIST, {"region": region})
    assert response.status_code == 200
    page = text(response)
    assert "所选区域不存在或不在您的管辖范围内" in page
    assert "赵六" not in page and mine.number in page


def test_list_breadcrumb_starts_at_the_users_own_region(users, client, household):
    page = text(login(client, users["township"]).get(LIST, {"region": factories.VILLAGE}))
    crumbs = page.split('class="crumbs"')[1].split("</nav>")[0]
    assert "嘉定镇" in crumbs and "南山居委会" in crumbs
    assert "信丰县" not in crumbs and "江西省" not in crumbs


def test_list_pages(users, client, settings):
    settings.FUPIN_PAGE_SIZE = 2
    households = [factories.make_household(head=name) for name in ("张一", "张二", "张三", "张四", "张五")]
    numbers = [h.number for h in households]
    login(client, users["clerk"])
    first, second, last = (text(client.get(LIST, {"page": p})) for p in ("1", "2", "3"))
    assert numbers[0] in first and numbers[2] not in first
    assert numbers[2] in second and numbers[3] in second and numbers[0] not in second
    assert numbers[4] in last and "第 3/3 页" in last and "共 5 户" in first
    assert numbers[4] in text(client.get(LIST, {"page": "999"}))
    assert "page=2" in first and 'rel="next"' in first


def test_list_count_stops_at_the_cap(users, client, monkeypatch):
    monkeypatch.setattr(views, "LIST_CAP", 2)
    for name in ("张一", "张二", "张三"):
        factories.make_household(head=name)
    page = text(login(client, users["clerk"]).get(LIST))
    assert "超过 2 户" in page


def test_list_htmx_request_gets_only_the_results(users, client, household):
    response = login(client, users["clerk"]).get(LIST, {"q": "张"}, HTTP_HX_REQUEST="true")
    page = text(response)
    assert household.number in page and "<html" not in page and 'id="results"' not in page
    assert "HX-Request" in response["Vary"]


def test_list_runs_a_constant_number_of_queries(users, client, django_assert_num_queries):
    factories.make_household(head="张一")
    login(client, users["township"])
    client.get(LIST)  # warm the one-time work (the session, the navigation's to-do count cached per user)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST, {"region": factories.VILLAGE})
    for name in ("张二", "张三", "张四", "张五"):
        factories.make_household(head=name, members=3)
        factories.make_household(factories.SIBLING_VILLAGE, head=name)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(LIST, {"region": factories.VILLAGE, "q": "张", "status": "poor"})
    assert "张五" in text(response)
    assert len(few.captured_queries) <= 8


def test_administrator_sees_every_province_and_picks_a_village_to_create(users, client, household):
    login(client, users["admin"])
    page = text(client.get(LIST))
    assert household.number in page and "江西省" in page
    picker = text(client.get(reverse("registry:household_create")))
    assert "新建户须在一个行政村下进行" in picker
    county = text(client.get(reverse("registry:household_create"), {"region": factories.VILLAGE[:6]}))
    assert "南山居委会" in county and "大塘埠村" in county and "新城村" not in county


def test_liaison_without_a_region_cannot_open_the_list(users, client):
    assert login(client, users["liaison"]).get(LIST).status_code == 403


def test_anonymous_users_are_sent_to_login(client, household):
    for url in (LIST, reverse("registry:household_detail", args=[household.pk])):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- the household page -------------------------------------------------------------------


def detail(household):
    return reverse("registry:household_detail", args=[household.pk])


def test_household_page_shows_the_national_form_sections(users, client, household):
    page = text(login(client, users["clerk"]).get(detail(household)))
    for heading in (
        "基本情况",
        "生产生活条件",
        "住房",
        "识别/脱贫年度",
        "家庭成员",
        "年收入情况",
        "两不愁三保障及饮水安全",
        "操作记录",
    ):
        assert heading in page
    assert household.number in page and "张三丰" in page and "南山居委会" in page
    assert "耕地面积（亩）" in page and "入户路类型" in page and "识别年度" in page


def test_household_page_masks_identifiers_for_the_village_clerk_until_revealed_with_a_purpose(
    users, client, household
):
    head = head_of(household)
    login(client, users["clerk"])
    page = text(client.get(detail(household)))
    assert head.id_number not in page and mask(head.id_number) in page
    assert "13912345678" not in page and "139****5678" in page
    url = reverse("registry:household_reveal", args=[household.pk])
    refused = client.post(url, {"purpose": ""})
    assert refused.status_code == 422 and head.id_number not in text(refused)
    page = text(client.post(url, {"purpose": "verify"}))
    assert head.id_number in page
    assert "13912345678" in page


def test_household_page_masks_identifiers_for_supervising_roles(users, client, household):
    head = head_of(household)
    page = text(login(client, users["prefecture"]).get(detail(household)))
    assert head.id_number not in page and mask(head.id_number) in page
    assert "13912345678" not in page and "139****5678" in page


def test_household_page_shows_incomes_by_year_with_components(users, client, household):
    services.record_income(
        household,
        by=users["clerk"],
        year=2024,
        wages=Decimal("6000"),
        dibao=Decimal("1200.50"),
        productive_expenditure=Decimal("300"),
    )
    page = text(login(client, users["clerk"]).get(detail(household)))
    for label in (
        "工资性收入",
        "生产经营性收入",
        "财产性收入",
        "转移性收入",
        "计划生育金",
        "低保金",
        "特困供养金",
        "养老保险金",
        "生态补偿金",
        "其他转移性收入",
        "生产经营性支出",
        "年人均纯收入",
    ):
        assert label in page
    assert "2024年" in page and "2025年" in page
    assert "1,200.50" in page and "2,300.17" in page  # (6000 + 1200.50 − 300) ÷ 3


def test_household_page_shows_the_guarantee_checklist_with_notes(users, client, household):
    services.record_guarantees(
        household,
        by=users["clerk"],
        year=2025,
        checked_on=datetime.date(2025, 11, 1),
        items={"housing": False},
        notes={"housing": "土坯房墙体开裂"},
    )
    page = text(login(client, users["clerk"]).get(detail(household)))
    for label in ("不愁吃", "不愁穿", "义务教育有保障", "基本医疗有保障", "住房安全有保障", "饮水安全有保障"):
        assert label in page
    assert "土坯房墙体开裂" in page and "1 项未达标" in page


def test_household_page_shows_the_audit_trail_in_words(users, client, applicant_household):
    household = applicant_household  # a registered household's member names change by change request
    head = head_of(household)
    services.update_member(head, by=users["clerk"], name="张三峰", education=codes.Education.JUNIOR)
    page = text(login(client, users["clerk"]).get(detail(household)))
    assert "修改成员信息" in page and "新建户" in page and "新增成员" in page
    assert "姓名" in page and "张三丰" in page and "张三峰" in page
    assert "文化程度" in page and "初中" in page
    assert "clerk" in page and "村扶贫专干" in page


def test_audit_trail_masks_identifiers_for_supervising_roles(users, client, household):
    head = head_of(household)
    page = text(login(client, users["province"]).get(detail(household)))
    assert "证件号码" in page and mask(head.id_number) in page
    assert head.id_number not in page and "13912345678" not in page


def test_household_page_hides_edit_buttons_from_read_only_roles(users, client, household):
    edit = reverse("registry:household_edit", args=[household.pk])
    assert edit in text(login(client, users["clerk"]).get(detail(household)))
    page = text(login(Client(), users["prefecture"]).get(detail(household)))
    for url in (
        edit,
        reverse("registry:member_add", args=[household.pk]),
        reverse("registry:income_record", args=[household.pk]),
        reverse("registry:guarantees_record", args=[household.pk]),
    ):
        assert url not in page
    assert "/members/" not in page  # no member edit or removal links


def test_household_page_runs_a_constant_number_of_queries(users, client, django_assert_num_queries):
    small = factories.make_household(head="张一", members=1)
    big = factories.make_household(head="张二", members=5)
    by = users["clerk"]
    for year in (2022, 2023, 2024):
        services.record_income(big, by=by, year=year, wages=Decimal("10000"))
        services.record_guarantees(big, by=by, year=year, checked_on=datetime.date(year, 12, 1), items={})
    login(client, by)
    client.get(LIST)  # warm the one-time work (the session, the navigation's to-do count cached per user)
    with CaptureQueriesContext(connection) as one:
        client.get(detail(small))
    with django_assert_num_queries(len(one.captured_queries)):
        client.get(detail(big))
    assert len(one.captured_queries) <= 10


def test_history_page_lists_every_entry(users, client, household):
    for n in range(3):
        services.update_household(household, by=users["clerk"], address=f"第{n}组")
    response = login(client, users["clerk"]).get(reverse("registry:household_history", args=[household.pk]))
    page = text(response)
    assert page.count("修改户信息") == 3 and "第2组" in page


# --- out of scope and read-only -----------------------------------------------------------


def household_urls(household):
    member = head_of(household)
    return [
        reverse("registry:household_detail", args=[household.pk]),
        reverse("registry:household_history", args=[household.pk]),
        reverse("registry:household_edit", args=[household.pk]),
        reverse("registry:member_add", args=[household.pk]),
        reverse("registry:member_edit", args=[household.pk, member.pk]),
        reverse("registry:member_remove", args=[household.pk, member.pk]),
        reverse("registry:income_record", args=[household.pk]),
        reverse("registry:guarantees_record", args=[household.pk]),
    ]


@pytest.mark.parametrize("who", ["sibling_clerk", "other_township", "other_county", "liaison"])
def test_every_household_url_is_404_outside_scope(users, client, household, who):
    login(client, users[who])
    before = AuditEntry.objects.count()
    for url in household_urls(household):
        assert client.get(url).status_code == 404, url
        assert (
            client.post(url, {"name": "X", "address": "X", "reason": "death", "year": "2024"}).status_code
            == 404
        ), url
    assert AuditEntry.objects.count() == before
    assert text(client.get(reverse("registry:household_detail", args=[household.pk]))).count("张三丰") == 0


def test_member_of_another_household_is_404(users, client, household):
    other = factories.make_household(head="李四")
    member = head_of(other)
    login(client, users["clerk"])
    assert client.get(reverse("registry:member_edit", args=[household.pk, member.pk])).status_code == 404
    assert client.get(reverse("registry:member_remove", args=[household.pk, member.pk])).status_code == 404


@pytest.mark.parametrize("who", ["prefecture", "province"])
def test_read_only_roles_are_refused_every_form_and_change_nothing(users, client, household, who):
    login(client, users[who])
    before = (
        AuditEntry.objects.count(),
        Member.objects.count(),
        Household.objects.get(pk=household.pk).address,
    )
    urls = household_urls(household)[2:]
    for url in urls:
        assert client.get(url).status_code == 403, url
        assert (
            client.post(url, {"name": "X", "address": "改过", "reason": "death", "year": "2024"}).status_code
            == 403
        ), url
    assert client.get(reverse("registry:household_create")).status_code == 403
    assert (
        client.post(
            reverse("registry:household_create") + f"?region={factories.VILLAGE}", {"status": "poor"}
        ).status_code
        == 403
    )
    assert (
        AuditEntry.objects.count(),
        Member.objects.count(),
        Household.objects.get(pk=household.pk).address,
    ) == before


def test_writes_need_the_csrf_token(users, household):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["clerk"])
    response = client.post(reverse("registry:household_edit", args=[household.pk]), {"address": "X"})
    assert response.status_code == 403
    assert Household.objects.get(pk=household.pk).address != "X"


# --- creating and editing households ------------------------------------------------------


def household_data(**overrides):
    data = {
        "status": "poor",
        "household_type": "general_poor",
        "identification_standard": "national",
        "primary_cause": "illness",
        "other_causes": ["lack_skills"],
        "address": "南山村3组",
        "phone": "",
        "bank_name": "",
        "bank_account": "",
        "farmland_area": "2.5",
        "irrigated_area": "0",
        "forest_area": "0",
        "returned_forest_area": "0",
        "pasture_area": "0",
        "water_area": "0",
        "road_distance_km": "0.8",
        "road_type": "cement",
        "has_electricity": "on",
        "has_broadcast_tv": "on",
        "water_safe": "on",
        "fuel_type": "firewood",
        "housing_area": "96",
        "registration_year": "2016",
        "exit_year": "",
        "group": "",
    }
    return data | overrides


def test_clerk_creates_a_household_in_their_village(users, client):
    login(client, users["clerk"])
    form = client.get(reverse("registry:household_create"))
    assert form.status_code == 200 and "新建户" in text(form) and "南山居委会" in text(form)
    response = client.post(reverse("registry:household_create"), household_data())
    household = Household.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "registry:member_add", args=[household.pk]
    )
    assert household.village_id == factories.VILLAGE and household.number.startswith(factories.VILLAGE)
    assert household.farmland_area == Decimal("2.50") and household.other_causes == ["lack_skills"]
    assert AuditEntry.objects.filter(action="create", household=household).exists()


def test_create_household_rejects_a_malformed_number(users, client):
    login(client, users["clerk"])
    response = client.post(reverse("registry:household_create"), household_data(farmland_area="两亩"))
    assert response.status_code == 200 and "输入一个数字" in text(response)
    assert not Household.objects.exists()


def test_township_officer_picks_a_village_first(users, client):
    login(client, users["township"])
    picker = text(client.get(reverse("registry:household_create")))
    assert (
        "选择行政村" in picker
        and "南山居委会" in picker
        and "人民路居委会" in picker
        and "大塘埠村" not in picker
    )
    form = client.get(reverse("registry:household_create"), {"region": factories.SIBLING_VILLAGE})
    assert "人民路居委会" in text(form) and "未建档" in text(form) and 'name="status"' not in text(form)
    client.post(
        reverse("registry:household_create") + f"?region={factories.SIBLING_VILLAGE}", household_data()
    )
    assert Household.objects.get().village_id == factories.SIBLING_VILLAGE


def test_create_household_outside_scope_is_404(users, client):
    login(client, users["clerk"])
    url = reverse("registry:household_create") + f"?region={factories.SIBLING_VILLAGE}"
    assert client.get(url).status_code == 404
    assert client.post(url, household_data()).status_code == 404
    assert not Household.objects.exists()


def test_edit_household_saves_and_audits(users, client, household):
    login(client, users["clerk"])
    url = reverse("registry:household_edit", args=[household.pk])
    assert "南山村" not in text(client.get(url))
    response = client.post(
        url, household_data(address="南山村5组", is_dangerous_house="on") | factories.based_on(client, url)
    )
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.address == "南山村5组" and household.is_dangerous_house
    entry = AuditEntry.objects.filter(action="update", household=household).get()
    assert entry.changes["address"] == ["", "南山村5组"]
    assert "farmland_area" in entry.changes and "updated_at" not in entry.changes


def test_unchanged_household_form_records_no_spurious_changes(users, client, household):
    login(client, users["clerk"])
    url = reverse("registry:household_edit", args=[household.pk])
    form = client.get(url).context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
    assert client.post(url, data | factories.based_on(client, url)).status_code == 302
    assert not AuditEntry.objects.filter(action="update", household=household).exists()


def test_edit_household_refusal_lands_on_the_field(users, client, household):
    login(client, users["clerk"])
    url = reverse("registry:household_edit", args=[household.pk])
    response = client.post(url, household_data(primary_cause="") | factories.based_on(client, url))
    page = text(response)
    assert response.status_code == 200
    assert 'id="id_primary_cause_error"><li>贫困户须填写主要致贫原因</li>' in page
    assert Household.objects.get(pk=household.pk).primary_cause == "illness"


# --- members ------------------------------------------------------------------------------


def member_data(**overrides):
    data = {
        "name": "张小红",
        "id_number": factories.id_number(birth=datetime.date(2001, 4, 5), sex="F"),
        "relation": "daughter",
        "ethnicity": "01",
        "political_status": "masses",
        "education": "senior",
        "schooling": "none",
        "health": "healthy",
        "labour_skill": "ordinary",
        "work_status": "out_of_province",
        "work_months": "10",
        "has_medical_insurance": "on",
        "has_serious_illness_insurance": "on",
        "disability_category": "",
        "disability_level": "",
        "phone": "",
    }
    return data | overrides


def test_add_member_derives_sex_and_birth_date_from_the_id_number(users, client, applicant_household):
    household = applicant_household
    login(client, users["clerk"])
    data = member_data()
    response = client.post(reverse("registry:member_add", args=[household.pk]), data)
    assert response.status_code == 302
    member = Member.objects.get(name="张小红")
    assert member.sex == "F" and member.birth_date == datetime.date(2001, 4, 5) and member.work_months == 10
    household.refresh_from_db()
    assert household.size == 4


def test_add_member_then_add_another(users, client, applicant_household):
    household = applicant_household
    login(client, users["clerk"])
    response = client.post(
        reverse("registry:member_add", args=[household.pk]), member_data() | {"then": "add"}
    )
    assert response["Location"] == reverse("registry:member_add", args=[household.pk])


def test_add_member_with_a_wrong_check_digit_says_which_is_right(users, client, applicant_household):
    household = applicant_household
    login(client, users["clerk"])
    number, right = wrong_check_digit(factories.id_number())
    response = client.post(reverse("registry:member_add", args=[household.pk]), member_data(id_number=number))
    assert response.status_code == 200
    assert f"身份证号校验位错误：应为 {right}" in text(response)
    assert not Member.objects.filter(name="张小红").exists()


@pytest.mark.parametrize(
    "id_number, message",
    [
        ("36072219700517", "身份证号应为18位，实际为14位"),
        ("360722197005170", "这是15位旧身份证号，请先升级为18位"),
        ("", "这个字段是必填项"),
    ],
)
def test_add_member_id_number_messages(users, client, applicant_household, id_number, message):
    household = applicant_household
    login(client, users["clerk"])
    response = client.post(
        reverse("registry:member_add", args=[household.pk]), member_data(id_number=id_number)
    )
    assert message in text(response)


def test_add_member_refuses_a_person_already_in_a_household(users, client, applicant_household):
    household = applicant_household
    other = factories.make_household(head="李四")
    login(client, users["clerk"])
    response = client.post(
        reverse("registry:member_add", args=[household.pk]), member_data(id_number=head_of(other).id_number)
    )
    assert f"此身份证号已登记在户 {other.number}（一人只能在一户）" in text(response)


def test_add_member_refuses_a_second_head(users, client, applicant_household):
    household = applicant_household
    login(client, users["clerk"])
    response = client.post(reverse("registry:member_add", args=[household.pk]), member_data(relation="head"))
    assert "该户已有户主，每户只能有一名户主" in text(response)


def test_add_member_checks_work_months_and_disability(users, client, applicant_household):
    household = applicant_household
    login(client, users["clerk"])
    response = client.post(
        reverse("registry:member_add", args=[household.pk]),
        member_data(work_months="14", disability_category="physical"),
    )
    page = text(response)
    assert "务工时间应在0到12个月之间" in page and "残疾类别与残疾等级须同时填写或同时为空" in page
    assert not Member.objects.filter(name="张小红").exists()


def test_edit_member_saves_and_audits(users, client, applicant_household):
    household = applicant_household  # a registered household's member ID numbers change by change request
    head = head_of(household)
    login(client, users["clerk"])
    url = reverse("registry:member_edit", args=[household.pk, head.pk])
    form = text(client.get(url))
    assert head.id_number in form and "张三丰" in form
    new_number = factories.id_number(birth=datetime.date(1968, 3, 1))
    response = client.post(
        url,
        member_data(name="张三丰", relation="head", id_number=new_number, phone="13800001111")
        | factories.based_on(client, url),
    )
    assert response.status_code == 302
    head.refresh_from_db()
    assert head.id_number == new_number and head.phone == "13800001111"
    entry = AuditEntry.objects.filter(action="update_member", target_id=str(head.pk)).get()
    assert opened_changes(entry.changes)["id_number"][1] == new_number


def test_edit_member_with_a_wrong_check_digit_keeps_the_old_number(users, client, household):
    head = head_of(household)
    login(client, users["clerk"])
    number, right = wrong_check_digit(factories.id_number())
    response = client.post(
        reverse("registry:member_edit", args=[household.pk, head.pk]),
        member_data(name="张三丰", relation="head", id_number=number),
    )
    assert f"身份证号校验位错误：应为 {right}" in text(response)
    assert Member.objects.get(pk=head.pk).id_number == head.id_number


def test_remove_member_with_a_reason(users, client, applicant_household):
    household = applicant_household
    son = household.members.exclude(relation="head").first()
    login(client, users["clerk"])
    url = reverse("registry:member_remove", args=[household.pk, son.pk])
    assert son.name in text(client.get(url))
    response = client.post(url, {"reason": "moved_out", "detail": "2025年迁往广州"})
    assert response.status_code == 302
    assert not Member.objects.filter(pk=son.pk).exists()
    entry = AuditEntry.objects.get(action="remove_member", target_id=str(son.pk))
    assert entry.changes["reason"] == [None, "户籍迁出：2025年迁往广州"]
    household.refresh_from_db()
    assert household.size == 2
    assert "户籍迁出：2025年迁往广州" in text(client.get(detail(household)))


def test_remove_member_needs_a_reason(users, client, applicant_household):
    household = applicant_household
    son = household.members.exclude(relation="head").first()
    login(client, users["clerk"])
    url = reverse("registry:member_remove", args=[household.pk, son.pk])
    assert "这个字段是必填项" in text(client.post(url, {"reason": ""}))
    assert "原因为“其他”时请说明具体情况" in text(client.post(url, {"reason": "other", "detail": " "}))
    assert Member.objects.filter(pk=son.pk).exists()


def test_remove_head_before_naming_a_new_one_is_refused(users, client, applicant_household):
    household = applicant_household
    head = head_of(household)
    login(client, users["clerk"])
    response = client.post(
        reverse("registry:member_remove", args=[household.pk, head.pk]), {"reason": "death"}
    )
    assert "请先指定新的户主，再移除原户主" in text(response)
    assert Member.objects.filter(pk=head.pk).exists()


def test_id_check_says_what_is_wrong_as_it_is_typed(users, client):
    login(client, users["clerk"])
    number, right = wrong_check_digit(factories.id_number(birth=datetime.date(1980, 2, 3), sex="F"))
    url = reverse("registry:id_check")
    assert f"身份证号校验位错误：应为 {right}" in text(client.post(url, {"id_number": number}))
    good = text(client.post(url, {"id_number": number[:17] + right}))
    assert "女" in good and "1980-02-03" in good
    assert text(client.post(url, {"id_number": ""})).strip() == ""
    assert client.get(url, {"id_number": number}).status_code == 405


# --- incomes and guarantees ---------------------------------------------------------------


def income_data(**overrides):
    data = {
        "year": "2024",
        "wages": "8000",
        "production": "2500.50",
        "property_income": "",
        "family_planning": "",
        "dibao": "1200",
        "wubao": "",
        "pension": "",
        "eco_compensation": "",
        "other_transfers": "",
        "productive_expenditure": "700",
        "household_size": "",
    }
    return data | overrides


def test_record_income_derives_the_per_capita_net_income(users, client, household):
    login(client, users["clerk"])
    response = client.post(reverse("registry:income_record", args=[household.pk]), income_data(), follow=True)
    income = IncomeRecord.objects.get(household=household, year=2024)
    assert income.per_capita_net_income == Decimal("3666.83")  # (8000 + 2500.50 + 1200 − 700) ÷ 3
    assert income.household_size == 3
    assert "2024年收入已保存，年人均纯收入 3,666.83 元" in text(response)


def test_record_income_for_an_existing_year_prefills_the_form(users, client, household):
    login(client, users["clerk"])
    page = text(client.get(reverse("registry:income_record", args=[household.pk]), {"year": "2025"}))
    assert "2025年已有记录" in page and 'value="10500.00"' in page


def test_record_income_refuses_bad_amounts_in_chinese(users, client, household):
    login(client, users["clerk"])
    url = reverse("registry:income_record", args=[household.pk])
    assert "金额不能为负数" in text(client.post(url, income_data(wages="-5")))
    assert "输入一个数字" in text(client.post(url, income_data(dibao="一千")))
    assert "确保该值大于或等于1" in text(client.post(url, income_data(household_size="0")))
    assert not IncomeRecord.objects.filter(household=household, year=2024).exists()


def test_record_income_refuses_a_future_year(users, client, household):
    login(client, users["clerk"])
    next_year = timezone.localdate().year + 1
    response = client.post(
        reverse("registry:income_record", args=[household.pk]), income_data(year=str(next_year))
    )
    assert response.status_code == 200 and "选择一个有效的选项" in text(response)


def guarantee_data(**overrides):
    data = {"year": "2025", "checked_on": "2025-11-20"}
    for item in ("food", "clothing", "education", "medical", "housing", "water"):
        data[item] = "1"
        data[f"{item}_note"] = ""
    return data | overrides


def test_record_guarantees_with_a_note_on_the_unmet_item(users, client, household):
    login(client, users["clerk"])
    data = guarantee_data(water="0", water_note="自来水未入户，靠挑水")
    response = client.post(reverse("registry:guarantees_record", args=[household.pk]), data)
    assert response.status_code == 302
    check = GuaranteeCheck.objects.get(household=household, year=2025)
    assert not check.water and check.food and check.notes == {"water": "自来水未入户，靠挑水"}


def test_unmet_guarantee_needs_a_note_next_to_it(users, client, household):
    login(client, users["clerk"])
    response = client.post(
        reverse("registry:guarantees_record", args=[household.pk]), guarantee_data(housing="0")
    )
    page = text(response)
    assert response.status_code == 200 and "未达标的项目须说明情况" in page
    assert 'id="id_housing_note_error"' in page
    assert not GuaranteeCheck.objects.exists()


def test_guarantee_check_date_cannot_be_in_the_future(users, client, household):
    login(client, users["clerk"])
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = client.post(
        reverse("registry:guarantees_record", args=[household.pk]),
        guarantee_data(checked_on=tomorrow, year=str(timezone.localdate().year)),
    )
    assert "核查日期不能晚于今天" in text(response)


def test_guarantee_form_prefills_an_existing_year(users, client, household):
    services.record_guarantees(
        household,
        by=users["clerk"],
        year=2024,
        checked_on=datetime.date(2024, 12, 1),
        items={"medical": False},
        notes={"medical": "未参加医保"},
    )
    login(client, users["clerk"])
    page = text(client.get(reverse("registry:guarantees_record", args=[household.pk]), {"year": "2024"}))
    assert "2024年已有核查记录" in page and "未参加医保" in page


# --- English ------------------------------------------------------------------------------


def test_pages_read_in_english_when_chosen(users, client, household):
    login(client, users["clerk"])
    client.post(reverse("set_language"), {"language": "en", "next": LIST})
    page = text(client.get(LIST))
    assert "Households" in page and "Household no." in page and "General poor household" in page
    assert "Illness" in page
    detail_page = text(client.get(detail(household)))
    assert "Members" in detail_page and "Head of household" in detail_page and "Wage income" in detail_page
    form = text(client.get(reverse("registry:member_edit", args=[household.pk, head_of(household).pk])))
    assert "ID number" in form and "Relation to head" in form


# --- the admin site -----------------------------------------------------------------------


def test_admin_shows_the_registry_read_only(users, client, household):
    login(client, users["admin"])
    for url in (
        "/admin/registry/household/",
        f"/admin/registry/household/{household.pk}/change/",
        "/admin/registry/member/",
        "/admin/audit/auditentry/",
        "/admin/regions/region/",
        f"/admin/accounts/user/{users['clerk'].pk}/change/",
    ):
        assert client.get(url).status_code == 200, url
    assert client.get("/admin/registry/household/add/").status_code == 403
    entry = AuditEntry.objects.first()
    assert client.post(f"/admin/audit/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    before = Household.objects.get(pk=household.pk).address
    client.post(f"/admin/registry/household/{household.pk}/change/", {"address": "改过"})
    assert Household.objects.get(pk=household.pk).address == before
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_admin_refuses_a_role_bound_to_the_wrong_level(users, client):
    login(client, users["admin"])
    clerk = users["clerk"]
    response = client.post(
        f"/admin/accounts/user/{clerk.pk}/change/",
        {
            "username": "clerk",
            "full_name": "clerk",
            "role": "village_clerk",
            "region": factories.VILLAGE[:9],
            "is_active": "on",
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "2025-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 200 and "村扶贫专干须绑定到行政村级区划，嘉定镇不是" in text(response)
