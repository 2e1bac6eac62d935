"""Sync never overwrites newer data (issue 21): an edit made on an old copy is merged field by field, a field
changed on both sides is a conflict (the newer value kept, the phone's shown to the reviewer), the audit shows
both; a household on a 7-day notice refuses edits with the reason; the look-back checklist and help measures
sync too."""

import datetime
from decimal import Decimal

from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fupin.audit.chain import opened_changes
from fupin.audit.models import AuditEntry
from fupin.changes.models import ChangeRequest
from fupin.field.models import Conflict
from fupin.monitoring import services as monitoring
from fupin.monitoring.models import LookBackItem
from fupin.procedures.models import Batch, BatchHousehold, Procedure, Stage
from fupin.registry import services as registry
from tests import factories

from .conftest import Phone

TODAY = timezone.localdate()


def edit(phone, household, downloaded, member_changes, household_changes):
    hh = next(h for h in downloaded["households"] if h["id"] == household.pk)
    member = hh["members"][0]
    base = {k: member[k] for k in ("phone", "health", "schooling", "work_status", "work_months")}
    return (
        phone.change(
            "member",
            household,
            member=member["id"],
            version=member["version"],
            base=base,
            changes=member_changes,
        ),
        phone.change(
            "household",
            household,
            version=hh["version"],
            base={
                k: hh[k]
                for k in ("phone", "address", "is_dangerous_house", "water_safe", "has_sanitary_toilet")
            },
            changes=household_changes,
        ),
    )


def test_same_field_is_a_conflict_other_fields_merge_nothing_lost_and_the_audit_shows_both(
    clerk_phone, users
):
    household = factories.make_household(head="孙八")
    downloaded = clerk_phone.work_set().json()
    head = household.members.order_by("id").first()
    # meanwhile, on the web: the same member's phone, and the household's address
    registry.update_member(head, by=users["team"], phone="13900000001")
    registry.update_household(household, by=users["team"], address="新地址 1 号")
    member_change, household_change = edit(
        clerk_phone,
        household,
        downloaded,
        {"phone": "13911112222", "health": "chronic"},  # phone: both changed; health: only the phone
        {"phone": "0797-1234567"},  # the web changed the address, the phone the household's phone
    )
    answer = clerk_phone.sync(member_change, household_change).json()
    member_line, household_line = answer["results"]
    assert member_line["outcome"] == "conflict"
    assert member_line["conflicts"] == [
        {"field": "phone", "label": "联系电话", "theirs": "13900000001", "mine": "13911112222"}
    ]
    assert household_line["outcome"] == "merged" and household_line["kept"] == ["address"]
    head.refresh_from_db()
    household.refresh_from_db()
    assert head.phone == "13900000001"  # the newer value was not overwritten
    assert head.health == "chronic"  # the other field merged
    assert household.address == "新地址 1 号" and household.phone == "0797-1234567"
    conflict = Conflict.objects.get()
    assert (conflict.theirs, conflict.mine, conflict.field) == ("13900000001", "13911112222", "phone")
    with connection.cursor() as cursor:  # stored encrypted (issue 17: no phone in plain text in the database)
        cursor.execute("SELECT base, theirs, mine FROM field_conflict WHERE id = %s", [conflict.pk])
        stored = " ".join(str(v) for v in cursor.fetchone())
        cursor.execute("SELECT receipt FROM field_syncedchange")  # the receipt's line names both values too
        stored += " ".join(str(v) for (v,) in cursor.fetchall())
    assert "13900000001" not in stored and "13911112222" not in stored
    # the audit shows both sides: the web's edit, and the phone's value that was not applied
    web = AuditEntry.objects.filter(action="update_member", user=users["team"]).get()
    assert opened_changes(web.changes)["phone"][1] == "13900000001"
    kept = AuditEntry.objects.get(action="field_sync_conflict")
    assert opened_changes(kept.changes)["phone"] == {
        "base": "",
        "theirs_kept": "13900000001",
        "mine": "13911112222",
    }
    assert (
        AuditEntry.objects.filter(action="update_member", user=users["clerk"]).get().changes["health"][1]
        == "chronic"
    )


def test_the_reviewer_sees_the_conflict_masked_on_the_web_and_a_sibling_village_does_not(clerk_phone, users):
    household = factories.make_household(head="孙八")
    downloaded = clerk_phone.work_set().json()
    registry.update_member(household.members.order_by("id").first(), by=users["team"], phone="13900000001")
    clerk_phone.sync(edit(clerk_phone, household, downloaded, {"phone": "13911112222"}, {})[0])
    page = Client()
    page.force_login(users["township"])
    listing = page.get(reverse("field:conflicts"))
    assert listing.status_code == 200 and "139****2222" in listing.content.decode()
    assert "13911112222" not in listing.content.decode()  # masked, as every page masks phones (issue 17)
    page.force_login(users["sibling_clerk"])
    assert "13911112222" not in page.get(reverse("field:conflicts")).content.decode()
    page.force_login(users["township"])
    conflict = Conflict.objects.get()
    assert page.post(reverse("field:resolve", args=[conflict.pk])).status_code == 302
    conflict.refresh_from_db()
    assert conflict.resolved_by == users["township"]


def test_an_unchanged_record_is_accepted_as_is(clerk_phone):
    household = factories.make_household(head="孙八")
    downloaded = clerk_phone.work_set().json()
    line = clerk_phone.sync(edit(clerk_phone, household, downloaded, {"health": "serious"}, {})[0]).json()
    assert line["results"][0]["outcome"] == "accepted"


def test_a_household_on_its_seven_day_notice_refuses_edits_with_the_reason(clerk_phone, users):
    household = factories.make_household(head="孙八")
    downloaded = clerk_phone.work_set().json()
    now = timezone.now()
    batch = Batch.objects.create(
        kind=Procedure.EXIT,
        village_id=household.village_id,
        year=TODAY.year,
        stage=Stage.FIRST_NOTICE,
        opened_at=now,
        stage_since=now,
    )
    BatchHousehold.objects.create(
        batch=batch, household=household, persons=2, previous_status=household.status
    )
    member_change, _ = edit(clerk_phone, household, downloaded, {"health": "serious"}, {})
    line = clerk_phone.sync(member_change).json()["results"][0]
    assert line["outcome"] == "refused"
    assert "村级公示" in line["message"] and "公示期间不能修改" in line["message"]
    assert household.members.order_by("id").first().health != "serious"
    son = household.members.order_by("id").last()
    request = clerk_phone.change(
        "change_request",
        household,
        change_kind="member_leave",
        payload={"cause": "died", "member_id": son.pk},
        reason="病故",
        evidence_reference="死亡证明",
    )
    line = clerk_phone.sync(request).json()["results"][0]  # a change request waits for the notice to end too
    assert line["outcome"] == "refused" and "公示期间不能修改" in line["message"]
    assert not ChangeRequest.objects.exists()
    visit = clerk_phone.change("visit", household, visited_on=TODAY.isoformat(), findings="公示期间走访")
    line = clerk_phone.sync(visit).json()["results"][
        0
    ]  # a visit edits nothing: no notice lock (no helper here)
    assert "公示" not in line["message"] and line["errors"] == {"helper": "该户尚未结对，请选择走访人"}


def test_a_look_back_checklist_syncs_and_a_field_checked_meanwhile_is_a_conflict(clerk_phone, users):
    household = factories.make_household(head="孙八")
    monitoring.open_lookback(
        by=users["county"],
        region_code=factories.VILLAGE[:6],
        name="2026年回头看",
        year=2025,
        starts_on=TODAY,
        ends_on=TODAY + datetime.timedelta(days=30),
        income_line=Decimal("5000"),
    )
    items = clerk_phone.work_set().json()["lookback_items"]
    item = next(i for i in items if i["household"] == household.pk)
    results = dict.fromkeys(("income", "food_clothing", "education", "medical", "housing", "water"), True)
    line = clerk_phone.sync(
        clerk_phone.change(
            "lookback",
            household,
            item=item["id"],
            base=item["base"],
            results=results,
            notes={},
            checked_on=TODAY.isoformat(),
        )
    ).json()["results"][0]
    assert line["outcome"] == "accepted", line
    saved = LookBackItem.objects.get(pk=item["id"])
    assert saved.housing is True and saved.checked_by == users["clerk"]
    # a second phone, on the first download, says housing is not met: the web's (first phone's) value stands
    other = Phone(users["team"])
    line = other.sync(
        other.change(
            "lookback",
            household,
            item=item["id"],
            base=item["base"],
            results=results | {"housing": False},
            notes={"housing": "漏雨"},
            checked_on=TODAY.isoformat(),
        )
    ).json()["results"][0]
    assert line["outcome"] == "conflict" and line["conflicts"][0]["field"] == "housing"
    saved.refresh_from_db()
    assert saved.housing is True
