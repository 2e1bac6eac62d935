"""Issue 14 follow-up, through the API: a registered household's member keeps their ID number and name
(PATCH /api/v1/members/{id}/ answers 422 pointing to 更正成员身份信息), a year's guarantee check an exit
used is corrected only by change request, and the new kinds are proposed and approved by the API."""

import datetime

from fupin.changes.models import ChangeRequest, ChangeStatus
from fupin.procedures.models import Batch, BatchHousehold, Procedure, Stage
from fupin.registry import services
from fupin.registry.models import GUARANTEES, GuaranteeCheck, Member
from tests import factories


def test_patching_a_registered_members_id_number_or_name_is_refused(api, household):
    son = household.members.get(relation="son")
    client = api("clerk")
    for change in ({"id_number": factories.id_number(sex="M")}, {"name": "李冒名"}):
        response = client.patch(f"/api/v1/members/{son.pk}/", change)
        assert response.status_code == 422, response.json()
        assert "更正成员身份信息" in response.json()["detail"] and "变更申请" in response.json()["detail"]
    assert Member.objects.filter(pk=son.pk, id_number=son.id_number, name=son.name).exists()
    # the stored values are no change; the phone stays a direct edit
    response = client.patch(
        f"/api/v1/members/{son.pk}/", {"id_number": son.id_number, "name": son.name, "phone": "13700000000"}
    )
    assert response.status_code == 200 and Member.objects.get(pk=son.pk).phone == "13700000000"


def test_identity_correction_by_api_is_proposed_masked_and_applied_on_approval(api, household, users):
    son = household.members.get(relation="son")
    new_id = factories.id_number(birth=datetime.date(1999, 1, 2), sex="F")
    response = api("clerk").post(
        "/api/v1/change-requests/",
        {
            "household": household.pk,
            "kind": "member_identity",
            "reason": "户籍证明更正",
            "evidence_reference": "派出所户籍证明",
            "payload": {"member_id": son.pk, "id_number": new_id.lower(), "name": "张秀英"},
        },
    )
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    shown = api("province").get(f"/api/v1/change-requests/{pk}/").json()
    assert new_id not in str(shown) and new_id[:6] in shown["payload"]["id_number"]
    response = api("township").post(f"/api/v1/change-requests/{pk}/approve/", {"comment": "核实"})
    assert response.status_code == 200, response.json()
    son.refresh_from_db()
    assert (son.id_number, son.name, son.sex, son.birth_date) == (
        new_id,
        "张秀英",
        "F",
        datetime.date(1999, 1, 2),
    )
    assert ChangeRequest.objects.get(pk=pk).status == ChangeStatus.APPROVED


def test_guarantees_of_a_year_an_exit_used_are_refused_by_put(api, household, users):
    services.record_guarantees(
        household,
        by=users["clerk"],
        year=2025,
        checked_on=datetime.date(2025, 11, 2),
        items={g: True for g in GUARANTEES},
    )
    now = datetime.datetime.now(datetime.UTC)
    batch = Batch.objects.create(
        kind=Procedure.EXIT,
        village_id=household.village_id,
        year=2025,
        round=1,
        stage=Stage.TOWNSHIP_REVIEW,
        opened_at=now,
        stage_since=now,
    )
    BatchHousehold.objects.create(
        batch=batch,
        household=household,
        persons=household.size,
        guarantees_met=True,
        per_capita_net_income=household.latest_income,
        previous_status=household.status,
    )
    body = {
        "checked_on": "2025-11-02",
        **{g: True for g in GUARANTEES},
        "water": False,
        "notes": {"water": "水源枯竭"},
    }
    response = api("clerk").put(f"/api/v1/households/{household.pk}/guarantees/2025/", body)
    assert response.status_code == 422 and "更正两不愁三保障" in response.json()["detail"]
    assert GuaranteeCheck.objects.get(household=household, year=2025).water
