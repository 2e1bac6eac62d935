"""A verified declaration can enter the village's identification (or relapse) batch instead of the 监测户
procedure, without retyping: the household's application carries the declaration's facts and cause, and the
declaration follows the batch to its announcement (or out of it), the household reading each step."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from fupin.audit.models import AuditEntry
from fupin.declarations import cases
from fupin.declarations.models import Declaration, Route, Status
from fupin.procedures import notices, quotas, selection, village_profiles
from fupin.procedures import services as procedures
from fupin.procedures.models import Application, Batch, EntryState, Procedure, Stage
from fupin.registry import codes
from fupin.registry.models import Household
from tests import factories

from .conftest import PHONE, declare

pytestmark = pytest.mark.django_db

OTHER_PHONE = "13900139000"


def _year() -> int:
    return timezone.localdate().year


def _later(days: int) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=days)


def _minutes() -> SimpleUploadedFile:
    return SimpleUploadedFile("minutes.pdf", b"%PDF-1.4 minutes", content_type="application/pdf")


def _photo() -> SimpleUploadedFile:
    return SimpleUploadedFile("posted.jpg", b"\xff\xd8\xff fake jpeg", content_type="image/jpeg")


def _applicant(head: str, income: str) -> Household:
    return factories.make_household(
        head=head,
        income=income,
        year=_year(),
        status=codes.HouseholdStatus.UNREGISTERED,
        household_type="",
        primary_cause="",
        registration_year=None,
    )


def _head_id(household: Household) -> str:
    return household.members.get(relation=codes.Relation.HEAD).id_number


@pytest.fixture
def quota(users):
    village_profiles.save_village_profile(
        by=users["admin"],
        village_code=factories.VILLAGE,
        year=_year(),
        population=1000,
        rural_population=900,
        estimated_poor=8,
    )
    return quotas.set_county_allocation(
        by=users["county"], county_code="360722", year=_year(), persons=8, basis="estimated_poor"
    )


def test_a_verified_declaration_follows_the_identification_batch_to_its_announcement(users, quota, outbox):
    clerk, township, county = users["clerk"], users["township"], users["county"]
    first, second = _applicant("赵一", "2000"), _applicant("钱二", "2600")
    d1 = declare(outbox=outbox, id_number=_head_id(first))
    d2 = declare(OTHER_PHONE, id_number=_head_id(second), outbox=outbox, hardship="disaster")

    d1 = cases.verify(d1, by=clerk, findings="入户看到住院发票，收入低于标准", route=Route.IDENTIFICATION)
    d2 = cases.verify(d2, by=clerk, findings="房屋受灾", route=Route.IDENTIFICATION)
    batch = Batch.objects.get()
    assert (batch.kind, batch.year, batch.stage) == (Procedure.IDENTIFICATION, _year(), Stage.APPLICATION)
    assert d1.status == d2.status == Status.IN_PROCEDURE and d1.case is None
    assert d1.entry.batch == d2.entry.batch == batch
    application = Application.objects.get(entry=d1.entry)
    assert application.source == Application.Source.SELF and "老人住院" in application.statement
    assert "住院发票" in application.statement  # the home visit's findings travel too: nothing is retyped
    assert (d1.entry.primary_cause, d2.entry.primary_cause) == (
        codes.PovertyCause.ILLNESS,
        codes.PovertyCause.DISASTER,
    )
    assert Household.objects.get(pk=first.pk).status == codes.HouseholdStatus.APPLICANT
    assert AuditEntry.objects.get(action="declaration_verified", target_id=d1.pk).changes["route"] == [
        None,
        "identification",
    ]

    procedures.complete_application(batch, by=clerk, now=_later(1))
    selection.complete_survey(batch, by=clerk, exceptions={}, now=_later(2))
    batch.refresh_from_db()
    votes = {d1.entry.pk: (9, 0), d2.entry.pk: (2, 7)}  # the meeting votes the second household down
    selection.record_appraisal(
        batch,
        by=clerk,
        held_on=timezone.localdate(),
        representatives=12,
        present=9,
        votes=votes,
        minutes=_minutes(),
        now=_later(2),
    )
    d2.refresh_from_db()
    assert d2.status == Status.REJECTED and d2.due_on is None and d2.rejection_reason
    assert d2.events.last().label == "调查初选未入围，不予纳入"

    notices.post_notice(batch, by=clerk, photo=_photo(), now=_later(3))
    notices.close_notice(batch, by=clerk, now=_later(12))
    batch.refresh_from_db()
    procedures.approve_review(batch, by=township, opinion="名单符合识别标准", now=_later(13))
    d1.refresh_from_db()
    assert d1.status == Status.REVIEWED and d1.due_on == d1.total_due
    notices.post_notice(batch, by=township, photo=_photo(), now=_later(13))
    notices.close_notice(batch, by=township, now=_later(22))
    batch.refresh_from_db()
    procedures.announce(batch, by=county, opinion="复审通过，予以公告", now=_later(23))

    d1.refresh_from_db()
    assert d1.status == Status.CONCLUDED and d1.concluded_at and d1.due_on is None
    assert d1.status_text == "经公告认定为贫困户，纳入帮扶"
    assert Household.objects.get(pk=first.pk).status == codes.HouseholdStatus.POOR
    labels = list(d1.events.values_list("label", flat=True))
    assert labels[-1] == "县级已公告，认定为贫困户识别对象"
    assert any("民主评议" in label for label in labels)  # each stage the batch passed is on the status page
    texts = [m["text"] for m in outbox.messages(PHONE)]
    assert "认定为贫困户识别对象" in texts[-1]
    assert [m["template"] for m in outbox.messages(OTHER_PHONE)][-1] == "rejected"


def test_the_status_page_and_the_api_read_the_procedure(users, quota, outbox, client):
    household = _applicant("孙三", "2200")
    d = declare(outbox=outbox, id_number=_head_id(household))
    client.force_login(users["clerk"])
    answer = client.post(
        reverse("declarations:verify", args=[d.pk]), {"findings": "属实", "route": "identification"}
    )
    assert answer.status_code == 302
    d.refresh_from_db()
    page = client.get(reverse("declarations:detail", args=[d.pk])).content.decode()
    assert reverse("procedures:batch_detail", args=[d.entry.batch_id]) in page
    body = client.get(f"/api/v1/declarations/{d.pk}/").json()
    assert body["batch"] == d.entry.batch_id and body["case"] is None


def test_a_household_already_poor_cannot_enter_identification_and_nothing_is_written(users, outbox):
    household = factories.make_household(year=_year())
    d = declare(outbox=outbox, id_number=_head_id(household))
    with pytest.raises(cases.DeclarationError) as e:
        cases.verify(d, by=users["clerk"], findings="属实", route=Route.IDENTIFICATION)
    assert "不能进入贫困户识别程序" in e.value.errors["route"]
    d.refresh_from_db()
    assert d.status == Status.RECEIVED and not Batch.objects.exists()


def test_a_batch_past_its_application_stage_takes_no_more_applications(users, quota, outbox):
    clerk = users["clerk"]
    batch = procedures.open_batch(
        by=clerk, village_code=factories.VILLAGE, kind=Procedure.IDENTIFICATION, year=_year()
    )
    procedures.add_households(batch, by=clerk, household_ids=[_applicant("李四", "2100").pk])
    procedures.complete_application(batch, by=clerk)
    d = declare(outbox=outbox, id_number=_head_id(_applicant("周五", "2300")))
    with pytest.raises(cases.DeclarationError) as e:
        cases.verify(d, by=clerk, findings="属实", route=Route.IDENTIFICATION)
    assert "已在“调查与初选”环节" in e.value.errors["route"] and "纳入监测" in e.value.errors["route"]
    assert Declaration.objects.get(pk=d.pk).status == Status.RECEIVED


def test_an_exited_household_enters_the_relapse_batch_with_its_cause(users, outbox):
    household = factories.make_household(year=_year(), status=codes.HouseholdStatus.EXITED, exit_year=2020)
    d = declare(outbox=outbox, id_number=_head_id(household), hardship="job_loss")
    d = cases.verify(d, by=users["clerk"], findings="务工收入中断", route=Route.RELAPSE)
    assert d.entry.batch.kind == Procedure.RELAPSE
    assert d.entry.primary_cause == codes.PovertyCause.LACK_LABOUR
    assert d.entry.state == EntryState.PROPOSED
