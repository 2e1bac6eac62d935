import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from fupin.audit.models import AuditEntry
from fupin.core import sms
from fupin.declarations import cases, services, sweep
from fupin.declarations.models import Declaration, Overdue, PhoneCode, Status
from fupin.monitoring import services as monitoring
from fupin.monitoring.models import MonitoringStage, Problem, ProblemStatus
from fupin.registry import codes
from tests import factories

from .conftest import PHONE, declare

pytestmark = pytest.mark.django_db


def jpeg(size=(40, 30), name="p.jpg") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def at(y, m, d, hour=10):
    return timezone.make_aware(datetime.datetime(y, m, d, hour))


def test_a_household_declares_with_the_code_sent_to_its_phone(tree, outbox):
    d = declare(outbox=outbox, photos=[jpeg()])
    assert d.status == Status.RECEIVED and len(d.receipt) == 14 and d.channel == "self" and d.consent_at
    assert d.photos.count() == 1 and d.due_on == d.verify_due
    texts = [m["template"] for m in outbox.messages(PHONE)]
    assert texts == ["code", "received"]
    assert d.receipt in outbox.messages(PHONE)[-1]["text"]
    assert AuditEntry.objects.filter(action="declaration_received", target_id=d.pk).exists()


def test_a_person_in_the_registry_is_linked_to_their_household(tree, outbox):
    household = factories.make_household(status=codes.HouseholdStatus.EXITED, exit_year=2020)
    head = household.members.get(relation=codes.Relation.HEAD)
    d = declare(outbox=outbox, id_number=head.id_number)
    assert d.household_id == household.pk


def test_a_wrong_code_is_refused_and_counted_and_nothing_is_stored(tree, outbox):
    with pytest.raises(services.DeclarationError) as e:
        _declare_with(outbox, "999999x")
    assert "code" in e.value.errors
    assert not Declaration.objects.exists()
    assert PhoneCode.objects.get().attempts == 1


def _declare_with(outbox, code):
    services.send_code(PHONE)
    return services.declare(
        village_code=factories.VILLAGE,
        name="李四",
        id_number=factories.id_number(),
        phone=PHONE,
        code=code,
        hardship="illness",
        description="住院",
        consent=True,
    )


def test_five_wrong_codes_kill_the_code(tree, outbox):
    services.send_code(PHONE)
    good = outbox.last_code()
    for _ in range(services.CODE_ATTEMPTS):
        with pytest.raises(services.DeclarationError):
            services.declare(
                village_code=factories.VILLAGE,
                name="李四",
                id_number=factories.id_number(),
                phone=PHONE,
                code="000000" if good != "000000" else "111111",
                hardship="illness",
                description="住院",
                consent=True,
            )
    with pytest.raises(services.DeclarationError, match="验证码已失效"):
        services.declare(
            village_code=factories.VILLAGE,
            name="李四",
            id_number=factories.id_number(),
            phone=PHONE,
            code=good,
            hardship="illness",
            description="住院",
            consent=True,
        )
    assert not Declaration.objects.exists()


def test_codes_are_limited_per_minute_and_per_day(tree, outbox, settings):
    now = timezone.now()
    services.send_code(PHONE, now=now)
    with pytest.raises(services.DeclarationError, match="1分钟"):
        services.send_code(PHONE, now=now + datetime.timedelta(seconds=30))
    for i in range(1, settings.FUPIN_DECLARATION_LIMITS["codes_per_day"]):
        services.send_code(PHONE, now=now + datetime.timedelta(minutes=2 * i))
    with pytest.raises(services.DeclarationError, match="次数过多"):
        services.send_code(PHONE, now=now + datetime.timedelta(minutes=30))
    assert PhoneCode.objects.count() == settings.FUPIN_DECLARATION_LIMITS["codes_per_day"]


def test_the_same_person_cannot_declare_twice_while_one_is_open(tree, outbox):
    number = factories.id_number()
    declare(outbox=outbox, id_number=number)
    with pytest.raises(services.DeclarationError, match="正在办理") as e:
        declare(outbox=outbox, id_number=number, phone="13900139000")
    assert "id_number" in e.value.errors
    assert Declaration.objects.filter(id_number=number).count() == 1


def test_the_same_phone_declaring_repeatedly_is_refused(tree, outbox, settings):
    for _ in range(settings.FUPIN_DECLARATION_LIMITS["per_phone_day"]):
        declare(outbox=outbox)
    with pytest.raises(services.DeclarationError, match="手机号今天提交的申报过多"):
        declare(outbox=outbox)
    assert Declaration.objects.count() == settings.FUPIN_DECLARATION_LIMITS["per_phone_day"]


def test_bad_input_is_refused_field_by_field_and_the_code_is_not_spent(tree, outbox):
    services.send_code(PHONE)
    with pytest.raises(services.DeclarationError) as e:
        services.declare(
            village_code="360722100",
            name="",
            id_number="360722197005170010",
            phone=PHONE,
            code=outbox.last_code(),
            hardship="x",
            description="",
            consent=False,
        )
    assert set(e.value.errors) == {"village", "name", "id_number", "hardship", "description", "consent"}
    assert not PhoneCode.objects.get().used and PhoneCode.objects.get().attempts == 0


def test_oversized_and_fake_photos_are_refused(tree, outbox, settings):
    settings.FUPIN_DECLARATION_LIMITS = {**settings.FUPIN_DECLARATION_LIMITS, "photo_mb": 1}
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8" + b"0" * (1024 * 1024 + 10), content_type="image/jpeg")
    with pytest.raises(services.DeclarationError, match="超过1MB"):
        declare(outbox=outbox, photos=[big])
    fake = SimpleUploadedFile("x.jpg", b"<script>alert(1)</script>", content_type="image/jpeg")
    with pytest.raises(services.DeclarationError, match="不是有效的图片"):
        declare(outbox=outbox, photos=[fake])
    with pytest.raises(services.DeclarationError, match="最多上传3张"):
        declare(outbox=outbox, photos=[jpeg() for _ in range(4)])
    assert not Declaration.objects.exists()


def test_staff_intake_is_scoped_and_marks_its_channel(users):
    d = services.intake(
        by=users["township"],
        channel="hotline",
        village_code=factories.VILLAGE,
        name="王五",
        id_number=factories.id_number(),
        phone="",
        hardship="disaster",
        description="房屋受损",
    )
    assert d.channel == "hotline" and d.received_by == users["township"]
    with pytest.raises(services.ScopeError):
        services.intake(
            by=users["sibling_clerk"],
            channel="walk_in",
            village_code=factories.VILLAGE,
            name="王五",
            id_number=factories.id_number(),
            phone="",
            hardship="disaster",
            description="房屋受损",
        )
    with pytest.raises(services.ScopeError):
        services.intake(
            by=users["province"],
            channel="walk_in",
            village_code=factories.VILLAGE,
            name="王五",
            id_number=factories.id_number(),
            phone="",
            hardship="disaster",
            description="房屋受损",
        )
    with pytest.raises(services.DeclarationError):
        services.intake(
            by=users["clerk"],
            channel="self",
            village_code=factories.VILLAGE,
            name="王五",
            id_number=factories.id_number(),
            phone="",
            hardship="disaster",
            description="房屋受损",
        )


def test_the_whole_journey_moves_with_the_monitoring_case_and_texts_each_step(users, outbox):
    d = declare(outbox=outbox)
    d = cases.verify(d, by=users["clerk"], findings="入户看到病历和住院发票", photos=[jpeg()])
    assert d.status == Status.IN_PROCEDURE and d.case.stage == MonitoringStage.REPORTED
    assert d.household.members.get().id_number == d.id_number  # made from the declaration, nothing retyped
    assert d.photos.filter(at_verification=True).count() == 1 and d.due_on == d.review_due
    case = monitoring.appraise_monitored(d.case, by=users["clerk"], note="参会32人，同意30人")
    case = monitoring.review_monitored(case, by=users["township"], note="同意")
    d.refresh_from_db()
    assert d.status == Status.REVIEWED and d.due_on == d.total_due
    monitoring.include_monitored(case, by=users["county"], note="认定")
    d.refresh_from_db()
    assert d.status == Status.CONCLUDED and d.due_on is None and d.concluded_at
    steps = [m["params"].get("step") for m in outbox.messages(PHONE) if m["template"] == "step"]
    assert steps == [
        "村已入户核实，正在评议审核",
        "村民主评议已完成，等待乡镇审核",
        "乡镇已审核，等待县级认定",
        "已纳入监测，落实帮扶措施",
    ]
    assert [e.status for e in d.events.all()] == [
        "received",
        "in_procedure",
        "in_procedure",
        "reviewed",
        "concluded",
    ]


def test_rejection_records_the_reason_and_tells_the_household(users, outbox):
    d = declare(outbox=outbox)
    with pytest.raises(services.DeclarationError):
        cases.reject(d, by=users["clerk"], reason=" ")
    d = cases.reject(d, by=users["clerk"], reason="家庭收入稳定，无返贫风险")
    assert d.status == Status.REJECTED and d.rejection_reason
    assert outbox.messages(PHONE)[-1]["params"]["reason"] == "家庭收入稳定，无返贫风险"
    with pytest.raises(services.DeclarationError):
        cases.verify(d, by=users["clerk"], findings="再看")


def test_only_the_village_verifies_and_only_in_its_scope(users, outbox):
    d = declare(outbox=outbox)
    for who in ("sibling_clerk", "township", "county", "province"):
        with pytest.raises(services.ScopeError):
            cases.verify(d, by=users[who], findings="x")
    assert Declaration.objects.get().status == Status.RECEIVED


def test_the_paired_helper_records_the_visit_but_does_not_decide(users, outbox):
    from fupin.assistance import roster
    from fupin.assistance import services as assistance

    household = factories.make_household()
    unit = roster.create_unit(by=users["county"], name="县农业局", region_code=factories.VILLAGE[:6])
    helper = roster.create_helper(
        by=users["county"], unit=unit, name="赵六", phone="13907970001", region_code=factories.VILLAGE[:9]
    )
    helper_user = roster.give_helper_login(
        helper, by=users["county"], username="helper1", password="pw-secret-123"
    )
    assistance.pair_household(
        household, helper, by=users["county"], started_on=timezone.localdate() - datetime.timedelta(days=30)
    )
    d = declare(outbox=outbox, id_number=household.members.get(relation="head").id_number)
    services.record_visit(d, by=helper_user, findings="已入户", photos=[jpeg()])
    assert "已入户" in Declaration.objects.get(pk=d.pk).findings
    with pytest.raises(services.ScopeError):
        cases.verify(d, by=helper_user, findings="x")
    other = declare(outbox=outbox, phone="13900139001")
    with pytest.raises(services.ScopeError):
        services.record_visit(other, by=helper_user, findings="x")


def test_a_risk_signal_and_a_finding_open_cases_once(users):
    from fupin.monitoring.models import Finding, RiskSignal

    household = factories.make_household(status=codes.HouseholdStatus.EXITED, exit_year=2020)
    signal = RiskSignal.objects.create(
        household=household,
        village_code=household.village_id,
        year=2025,
        kind=RiskSignal._meta.get_field("kind").choices[0][0],
        source_type="income",
        source_id=1,
        source_label="收入下降",
    )
    d = services.open_from_signal(signal, by=users["clerk"])
    assert d.channel == "department" and d.household == household and d.source_signal == signal
    with pytest.raises(services.DeclarationError):
        services.open_from_signal(signal, by=users["clerk"])
    other = factories.make_household(status=codes.HouseholdStatus.EXITED, head="钱七", exit_year=2020)
    finding = Finding.objects.create(
        household=other,
        village_code=other.village_id,
        department="tax",
        rule="r",
        severity=1,
        detail="名下有企业",
    )
    with pytest.raises(services.ScopeError):
        services.open_from_finding(finding, by=users["sibling_clerk"])
    assert services.open_from_finding(finding, by=users["county"]).source_finding == finding


def test_a_deadline_missed_over_the_spring_festival_opens_a_problem_exactly_when_due(users, outbox):
    """Received Friday 13 Feb 2026: verification is due on the 2nd working day, Tuesday the 24th (Saturday the
    14th is worked, the 15th to 23rd are the holiday). The sweep opens nothing through the 24th, opens one
    village-level problem on the 25th, opens no second one, and closes it when the village verifies."""
    d = declare(outbox=outbox, now=at(2026, 2, 13))
    assert d.verify_due == datetime.date(2026, 2, 24)
    for day in (14, 20, 24):
        assert sweep.sweep(datetime.date(2026, 2, day)) == {"opened": 0, "settled": 0}
    assert sweep.sweep(datetime.date(2026, 2, 25)) == {"opened": 1, "settled": 0}
    assert sweep.sweep(datetime.date(2026, 2, 26)) == {"opened": 0, "settled": 0}
    problem = Problem.objects.get()
    assert problem.source == "deadline" and problem.region_code == factories.VILLAGE
    assert problem.responsible_level == 5 and d.receipt in problem.description
    assert problem.deadline == datetime.date(2026, 2, 26)
    cases.verify(d, by=users["clerk"], findings="补核实")
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.CLOSED
    assert Overdue.objects.get().closed_on is not None
    assert sweep.sweep(datetime.date(2026, 2, 27)) == {"opened": 0, "settled": 0}


def test_the_township_step_late_opens_a_township_problem(users, outbox):
    d = declare(outbox=outbox)
    d = cases.verify(d, by=users["clerk"], findings="核实")
    late = d.review_due + datetime.timedelta(days=1)
    assert sweep.sweep(late)["opened"] == 1
    problem = Problem.objects.get()
    assert problem.region_code == factories.VILLAGE[:9] and problem.responsible_level == 4
    case = monitoring.appraise_monitored(d.case, by=users["clerk"], note="评议")
    assert (
        Problem.objects.get().status == ProblemStatus.OPEN
    )  # the step is the township's review, not yet done
    monitoring.review_monitored(case, by=users["township"], note="同意")
    assert Problem.objects.get().status == ProblemStatus.CLOSED


def test_sms_through_the_gateway_with_retries_and_masked_logs(gateway, caplog):
    gateway.fail_first = 2
    caplog.set_level("INFO", logger="fupin.core.sms")
    assert sms.send_now(PHONE, "code", {"code": "123456"}) == 3
    sent = gateway.received[-1]
    assert sent["body"] == {"phone": PHONE, "template": "TPL_CODE", "params": {"code": "123456"}, "sign": ""}
    assert sent["auth"].startswith("Basic ")
    assert PHONE not in caplog.text and "123456" not in caplog.text and "138****8000" in caplog.text


def test_sms_gives_up_after_the_last_attempt(gateway):
    gateway.fail_first = 5
    with pytest.raises(sms.SmsError):
        sms.send_now(PHONE, "step", {"receipt": "1", "step": "x"})
    assert gateway.received == []
