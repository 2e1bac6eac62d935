"""The sync API (issue 21): device tokens, the work set, ordered and idempotent sync through the owning
services,
refusals with the services' own reasons, and scope — another helper's household, another region, a disabled
account, a revoked device."""

import datetime

from django.test import Client
from django.utils import timezone

from fupin.assistance.models import Visit, VisitPhoto
from fupin.audit.models import AuditEntry
from fupin.field.models import Device, PhotoTrace, SyncedChange, VisitTrace
from tests import factories

from .conftest import Phone, jpeg

TODAY = timezone.localdate()


def visit(phone, household, **extra):
    data = {"visited_on": TODAY.isoformat(), "kind": "home", "findings": "家中一切正常"} | extra
    return phone.change("visit", household, **data)


def test_a_helper_downloads_only_their_households_with_id_numbers_masked(phone, household, users):
    other = factories.make_household(head="王五")  # same village, not paired to this helper
    answer = phone.work_set()
    assert answer.status_code == 200
    body = answer.json()
    assert [h["id"] for h in body["households"]] == [household.pk]
    assert other.pk not in {h["id"] for h in body["households"]}
    members = body["households"][0]["members"]
    assert members and all("*" in m["id_number"] for m in members)
    full = household.members.first().id_number
    assert full not in answer.content.decode()
    assert body["households"][0]["version"] == household.version
    assert body["wipe_after_days"] >= 1
    # the phone's forms offer the server's own lists (change request kinds and causes, relations, income
    # figures)
    choices = body["choices"]
    assert [k for k, _ in choices["change_kind"]] == ["member_join", "member_leave", "income_correction"]
    assert ["born", "出生"] in choices["join_cause"] and ["died", "死亡"] in choices["leave_cause"]
    assert ["grandson", "之孙子"] in choices["relation"] and choices["income"][0] == ["wages", "工资性收入"]


def test_offices_read_only_roles_and_anonymous_get_no_device(users):
    for name in ("township", "county", "province", "liaison"):
        web = Client()
        web.force_login(users[name])
        answer = web.post("/api/v1/field/devices", {"uid": "abc12345"}, content_type="application/json")
        assert answer.status_code in (403, 422), name
    assert (
        Client()
        .post("/api/v1/field/devices", {"uid": "abc12345"}, content_type="application/json")
        .status_code
        == 401
    )
    assert not Device.objects.exists()


def test_the_work_set_and_sync_need_the_device_token(phone):
    anonymous = Client()
    assert anonymous.get("/api/v1/field/work-set").status_code == 401
    assert (
        anonymous.post("/api/v1/field/sync", {"changes": []}, content_type="application/json").status_code
        == 401
    )
    assert phone.web.get("/api/v1/field/work-set").status_code == 401  # a web session is not a device


def test_a_visit_with_a_photo_is_recorded_once_and_a_retry_records_nothing_twice(phone, household):
    change = visit(
        phone,
        household,
        photos=[{"data": jpeg(), "taken_at": "2026-01-01T08:55:00+08:00"}],
        latitude=25.38,
        longitude=114.92,
        accuracy=12,
    )
    first = phone.sync(change)
    assert first.status_code == 200, first.content
    line = first.json()["results"][0]
    assert line["outcome"] == "accepted" and line["record"]["type"] == "visit"
    audits = AuditEntry.objects.count()
    again = phone.sync(change)
    assert again.json()["results"][0]["replayed"] is True
    assert again.json()["results"][0]["outcome"] == "accepted"
    assert Visit.objects.count() == 1 and VisitPhoto.objects.count() == 1
    assert AuditEntry.objects.count() == audits
    trace = VisitTrace.objects.get()
    assert trace.device_id == phone.device.pk and trace.received_at >= trace.device_time
    assert float(trace.latitude) == 25.38 and trace.accuracy_m == 12
    assert len(PhotoTrace.objects.get().dhash) == 16


def test_changes_apply_in_sequence_and_an_old_sequence_is_refused(phone, household):
    a, b = visit(phone, household), visit(phone, household, findings="第二次")
    answer = phone.sync(b, a).json()  # sent out of order: applied by sequence
    assert [line["seq"] for line in answer["results"]] == [a["seq"], b["seq"]]
    stale = visit(phone, household) | {"seq": 1}
    refused = phone.sync(stale).json()["results"][0]
    assert refused["outcome"] == "refused" and "序号" in refused["message"]
    assert Visit.objects.count() == 2


def test_the_services_own_refusals_come_back_in_the_receipt(phone, household):
    answer = phone.sync(visit(phone, household, findings="", visited_on="2026-13-01")).json()
    line = answer["results"][0]
    assert line["outcome"] == "refused" and line["errors"]["visited_on"]
    line = phone.sync(visit(phone, household, findings="  ")).json()["results"][0]
    assert line["errors"] == {"findings": "请填写走访情况"}  # assistance.services.record_visit's own message
    assert not Visit.objects.exists()
    assert SyncedChange.objects.filter(outcome="refused").count() == 2


def test_another_helpers_household_and_another_region_are_not_found(phone, users, clerk_phone):
    foreign = factories.make_household(factories.SIBLING_VILLAGE, head="赵六")
    unpaired = factories.make_household(head="钱七")
    for target in (foreign, unpaired):
        line = phone.sync(visit(phone, target)).json()["results"][0]
        assert line["outcome"] == "refused" and line["message"] == "未找到，或不在您的管辖范围内"
    line = clerk_phone.sync(visit(clerk_phone, foreign)).json()["results"][0]
    assert line["outcome"] == "refused"
    assert not Visit.objects.exists()


def test_a_disabled_account_is_told_to_wipe(phone, helper):
    helper.user.is_active = False
    helper.user.save()
    answer = phone.work_set()
    assert answer.status_code == 401 and answer.json()["wipe"] is True
    assert phone.sync().json()["wipe"] is True


def test_a_revoked_device_is_told_to_wipe_and_cannot_sign_in_again(phone, users, household):
    web = Client()
    web.force_login(users["other_county"])
    assert web.post(f"/api/v1/field/devices/{phone.device.pk}/revoke").status_code == 404
    web.force_login(users["county"])
    assert web.post(f"/api/v1/field/devices/{phone.device.pk}/revoke").status_code == 200
    answer = phone.sync(visit(phone, household))
    assert answer.status_code == 401 and answer.json()["wipe"] is True
    assert not Visit.objects.exists()
    again = phone.web.post(
        "/api/v1/field/devices", {"uid": phone.device.uid}, content_type="application/json"
    )
    assert again.status_code == 422
    assert AuditEntry.objects.filter(action="field_device_revoked").exists()


def test_an_expired_token_asks_to_sign_in_without_wiping(phone):
    Device.objects.filter(pk=phone.device.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    answer = phone.work_set()
    assert answer.status_code == 401 and answer.json()["wipe"] is False


def test_signing_in_again_voids_the_old_token(phone, helper):
    old = phone.token
    Phone(helper.user, uid=phone.device.uid)
    phone.token = old
    assert phone.work_set().status_code == 401


def test_malformed_data_is_refused_on_its_own_line_never_a_500(phone, household):
    good = visit(phone, household)
    bad = [
        phone.change("visit", household, photos=["not a photo"], visited_on=TODAY.isoformat(), findings="x"),
        phone.change("lookback", household, item="1", results=[]),
        phone.change("member", household, member=1, changes="phone"),
        phone.change("nonsense", household),
    ]
    answer = phone.sync(*bad, good)
    assert answer.status_code == 200
    outcomes = {line["key"]: line["outcome"] for line in answer.json()["results"]}
    assert outcomes.pop(good["key"]) == "accepted"
    assert list(outcomes.values()) == ["refused"] * 4


def test_refusals_read_in_the_phones_language(phone, helper, household):
    """Issue 15: the device's refusals and a change's refusal were Chinese on a phone asking for English."""
    english = {"HTTP_ACCEPT_LANGUAGE": "en"}
    bad = phone.change("change_request", household, change_kind="bogus", payload={})
    line = phone.client.post(
        "/api/v1/field/sync",
        {"changes": [bad]},
        content_type="application/json",
        **phone.headers(),
        **english,
    ).json()["results"][0]
    assert line["outcome"] == "refused" and "Invalid value; choose from: " in str(line), line
    helper.user.is_active = False
    helper.user.save()
    answer = phone.client.get("/api/v1/field/work-set", **phone.headers(), **english)
    assert answer.status_code == 401 and answer.json()["wipe"] is True
    assert "The account is disabled: the data on this device has been cleared" in answer.content.decode()
    chinese = phone.work_set()
    assert "账号已停用：本机数据已清除" in chinese.content.decode()
