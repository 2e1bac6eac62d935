"""Issue 14, finding 1, through the API: `PATCH /api/v1/households/{id}/` with {"status": "exited",
"exit_year": 2026} as a village clerk answered 200. Key facts are read-only here; a registered
household's members and the income of a year a procedure used change by change request."""

import pytest
from django.utils import timezone

from fupin.audit.models import AuditEntry
from fupin.procedures.models import Batch, BatchHousehold, Procedure, Stage
from fupin.registry.models import Household, IncomeRecord, Member
from tests import factories

LOCKED = "只能通过识别、退出、返贫程序或经审核的变更申请修改"


def detail(household) -> str:
    return f"/api/v1/households/{household.pk}/"


def test_patching_status_and_exit_year_as_a_clerk_is_refused(api, household):
    audit = AuditEntry.objects.filter(household=household).count()
    for who in ("clerk", "team", "township", "county"):
        response = api(who).patch(detail(household), {"status": "exited", "exit_year": 2026})
        assert response.status_code == 422, response.content
        errors = response.json()["errors"]
        assert errors == {"status": "户状态" + LOCKED, "exit_year": "脱贫年度" + LOCKED}
    for field, value in (("household_type", "wubao"), ("registration_year", 2020)):
        response = api("clerk").patch(detail(household), {field: value})
        assert response.status_code == 422 and LOCKED in response.json()["errors"][field]
    household.refresh_from_db()
    assert (household.status, household.exit_year, household.household_type) == ("poor", None, "general_poor")
    assert AuditEntry.objects.filter(household=household).count() == audit
    # read-only, still shown; the stored value sent back is no change
    body = (
        api("clerk")
        .patch(detail(household), {"status": "poor", "registration_year": 2016, "phone": "13900001111"})
        .json()
    )
    assert (
        body["status"] == "poor" and body["status_display"] == "贫困户" and body["registration_year"] == 2016
    )


def test_the_openapi_document_says_the_key_facts_are_read_only(api, tree):
    schema = api("clerk").get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert "只读" in schema["HouseholdPatchIn"]["properties"]["status"]["description"]
    assert "只读" in schema["HouseholdCreateIn"]["properties"]["exit_year"]["description"]


def test_a_household_created_through_the_api_starts_outside_the_registry(api, tree):
    client = api("county")
    for body in (
        {"status": "poor", "household_type": "general_poor", "primary_cause": "illness"},
        {"status": "exited", "exit_year": 2020},
        {"registration_year": 2016},
        {"household_type": "dibao"},
    ):
        response = client.post("/api/v1/households/", {"village": factories.VILLAGE} | body)
        assert response.status_code == 422, body
        assert any("识别程序" in m or LOCKED in m for m in response.json()["errors"].values())
    assert not Household.objects.exists()
    response = client.post("/api/v1/households/", {"village": factories.VILLAGE, "status": "applicant"})
    assert response.status_code == 201 and response.json()["status"] == "applicant"
    assert (
        client.post("/api/v1/households/", {"village": factories.VILLAGE}).json()["status"] == "unregistered"
    )


def test_members_of_a_registered_household_change_only_by_change_request(api, household):
    client = api("clerk")
    response = client.post(
        f"{detail(household)}members/",
        {"name": "张小红", "id_number": factories.id_number(), "relation": "daughter"},
    )
    assert response.status_code == 422 and "不能直接增加家庭成员" in response.json()["detail"]
    assert "变更申请" in response.json()["detail"]
    son = household.members.get(relation="son")
    response = client.delete(f"/api/v1/members/{son.pk}/", {"reason": "婚出"})
    assert response.status_code == 422 and "不能直接减员" in response.json()["detail"]
    response = client.patch(f"/api/v1/members/{son.pk}/", {"relation": "head"})
    assert response.status_code == 422 and "不能直接更换户主" in response.json()["detail"]
    assert list(
        Member.objects.filter(household=household).values_list("relation", flat=True).order_by("id")
    ) == ["head", "son"]
    # other member fields stay direct edits
    response = client.patch(f"/api/v1/members/{son.pk}/", {"phone": "13700000000", "education": "senior"})
    assert response.status_code == 200 and Member.objects.get(pk=son.pk).phone == "13700000000"


@pytest.mark.parametrize(
    "stage, refused", [(Stage.APPRAISAL, True), (Stage.ANNOUNCED, True), (Stage.SURVEY, False)]
)
def test_income_of_a_year_a_procedure_used_is_corrected_only_by_change_request(
    api, household, stage, refused
):
    now = timezone.now()
    batch = Batch.objects.create(
        kind=Procedure.EXIT,
        village_id=household.village_id,
        year=2025,
        stage=stage,
        opened_at=now,
        stage_since=now,
    )
    BatchHousehold.objects.create(
        batch=batch, household=household, persons=2, per_capita_net_income=household.latest_income
    )
    before = IncomeRecord.objects.get(household=household, year=2025).per_capita_net_income
    response = api("clerk").put(f"{detail(household)}incomes/2025/", {"wages": "99999"})
    if refused:
        assert response.status_code == 422
        assert response.json()["errors"]["year"].startswith("2025年收入已用于识别、退出或返贫程序的收入调查")
        assert IncomeRecord.objects.get(household=household, year=2025).per_capita_net_income == before
    else:
        assert response.status_code == 200
    assert api("clerk").put(f"{detail(household)}incomes/2024/", {"wages": "9000"}).status_code == 200
