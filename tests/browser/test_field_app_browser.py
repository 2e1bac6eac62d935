"""The offline field app on a phone (issue 21): download the work set, go offline, record two visits with
photos, a look-back checklist and a change request (a grandchild born), close and reopen the app offline (all
still there), go online, sync; the web shows each visit once, and a retry of the same upload records nothing
twice. Offline, a visit dated tomorrow, a negative income and a wrong ID number are refused on the phone
beside their fields, in the server's words, and nothing is queued. Online, a change request the server refuses
shows its reason in the form."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from fupin.assistance import roster
from fupin.assistance import services as assistance
from fupin.assistance.models import Visit, VisitPhoto
from fupin.assistance.services import DATE_IN_FUTURE
from fupin.changes.models import ChangeRequest
from fupin.core import money
from fupin.field.models import SyncedChange, VisitTrace
from fupin.monitoring import services as monitoring
from fupin.monitoring.models import LookBackItem
from fupin.registry.validation import check_identity
from tests import factories
from tests.assistance.conftest import load_catalogue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
NEWBORN_ID = factories.id_number(birth=datetime.date(2024, 2, 3))
WRONG_CHECK = NEWBORN_ID[:17] + ("1" if NEWBORN_ID[17] == "0" else "0")


def jpeg(path, colour):
    Image.new("RGB", (320, 240), colour).save(path, "JPEG")
    return str(path)


def test_visits_and_a_checklist_recorded_offline_sync_once(users, browser, live_server, tmp_path):
    load_catalogue()
    county, team = users["county"], users["team"]
    today = timezone.localdate()
    unit = roster.create_unit(by=county, name="信丰县农业农村局", region_code=factories.VILLAGE[:6])
    helper = roster.create_helper(
        by=county, unit=unit, name="李帮扶", phone="13907970001", region_code=factories.VILLAGE[:9]
    )
    first, second = factories.make_household(head="欧阳明"), factories.make_household(head="司马亮")
    for household in (first, second):
        assistance.pair_household(
            household, helper, by=county, started_on=today - datetime.timedelta(days=90)
        )
    monitoring.open_lookback(
        by=county,
        region_code=factories.VILLAGE[:6],
        name="2026年回头看",
        year=today.year - 1,
        starts_on=today,
        ends_on=today + datetime.timedelta(days=30),
        income_line=Decimal("5000"),
    )
    context = browser.new_context(
        locale="zh-CN",
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        service_workers="allow",
        geolocation={"latitude": 25.38, "longitude": 114.92},
        permissions=["geolocation"],
    )
    page = context.new_page()
    page.set_default_timeout(20000)
    base = live_server.url
    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", "team")
    page.fill("input[name=password]", "pw-secret-123")
    page.click("button[type=submit]")
    page.wait_for_load_state()

    page.goto(base + "/field/")
    expect(page.locator("body[data-ready='1']")).to_be_attached()
    page.click("#download")
    expect(page.locator(".household")).to_have_count(2)
    # the service worker installed: the app's page and files are cached for the offline reopening below
    page.wait_for_function("navigator.serviceWorker.ready.then(() => caches.has('fupin-field-pages'))")

    context.set_offline(True)
    for head, colour in (("欧阳明", (200, 40, 40)), ("司马亮", (40, 40, 200))):
        page.locator(".household", has_text=head).get_by_role("button", name="打开").click()
        page.click("#new-visit")
        page.fill("textarea[name=findings]", f"{head}家中一切正常")
        page.set_input_files("#photos", jpeg(tmp_path / f"{colour[0]}.jpg", colour))
        expect(page.locator("#thumbs img")).to_have_count(1)
        page.check("input[name=g_food][value='1']")
        page.click("#visit-form button[type=submit]")
        expect(page.locator("#flash")).to_contain_text("走访已保存在手机上")
        page.click("text=‹ 返回")
    # a visit dated tomorrow (China's date, as the server counts it) is refused on the phone, offline, beside
    # the date and in the server's words, and nothing is queued
    page.locator(".household", has_text="欧阳明").get_by_role("button", name="打开").click()
    page.click("#new-visit")
    page.fill("input[name=visited_on]", (today + datetime.timedelta(days=1)).isoformat())
    page.fill("textarea[name=findings]", "补录的走访")
    page.click("#visit-form button[type=submit]")
    expect(page.locator("input[name=visited_on] + .field-error")).to_have_text(DATE_IN_FUTURE)
    expect(page.locator("#outbox-count")).to_have_text("2")
    page.click("text=‹ 返回")
    page.click("text=‹ 返回")
    page.locator(".household", has_text="欧阳明").get_by_role("button", name="打开").click()
    page.click("button.lookback")
    for item in ("income", "food_clothing", "education", "medical", "housing", "water"):
        page.check(f"input[name=c_{item}][value='1']")
    page.click("#lookback-form button[type=submit]")
    expect(page.locator("#outbox-count")).to_have_text("3")
    # a change request offline: a grandchild born (增员), in the server's own lists of causes and relations
    page.click("#change-request")
    # new income figures with a negative amount: refused beside the amount, as money.parse_yuan words it
    page.select_option("#change-kind", "income_correction")
    page.fill("input[name=wages]", "-5")
    page.fill("textarea[name=reason]", "重新核算")
    page.fill("input[name=evidence_reference]", "收入台账")
    page.click("#change-form button[type=submit]")
    negative = money.messages_for(below=money.CHANGE_INCOME_BELOW)["negative"]
    expect(page.locator("input[name=wages] + .field-error")).to_have_text(negative)
    expect(page.locator("#outbox-count")).to_have_text("3")
    page.select_option("#change-kind", "member_join")
    expect(page.locator("#change-kind")).to_have_value("member_join")
    page.select_option("select[name=cause]", "born")
    page.fill("input[name=name]", "欧阳小宝")
    page.select_option("select[name=relation]", "grandson")
    # a wrong check digit is refused on the phone, offline, in the server's words, and nothing is queued
    page.fill("input[name=id_number]", WRONG_CHECK)
    page.fill("textarea[name=reason]", "新生儿落户")
    page.fill("input[name=evidence_reference]", "出生医学证明 No.123")
    page.click("#change-form button[type=submit]")
    refused = check_identity(id_number=WRONG_CHECK, sex=None, birth_date=None)[0]["id_number"]
    expect(page.locator("input[name=id_number] + .field-error")).to_have_text(refused)
    expect(page.locator("#outbox-count")).to_have_text("3")
    page.fill("input[name=id_number]", NEWBORN_ID)  # corrected: queued
    page.click("#change-form button[type=submit]")
    expect(page.locator("#flash")).to_contain_text("变更申请已保存在手机上")
    expect(page.locator("#outbox-count")).to_have_text("4")
    assert not Visit.objects.exists() and not ChangeRequest.objects.exists()

    # closed and reopened with no network: the app and its unsent work are still there
    page.close()
    page = context.new_page()
    page.set_default_timeout(20000)
    page.goto(base + "/field/")
    expect(page.locator("body[data-ready='1']")).to_be_attached()
    expect(page.locator("#outbox-count")).to_have_text("4")
    expect(page.locator(".household")).to_have_count(2)
    page.click("#tabs button[data-tab=outbox]")
    expect(page.locator(".outbox-item")).to_have_count(4)
    sent = page.evaluate("new Dexie('fupin-field').open().then(db => db.table('outbox').toArray())")

    context.set_offline(False)
    page.click("#sync-outbox")
    expect(page.locator("#receipt .receipt-line.outcome-accepted")).to_have_count(4)
    expect(page.locator("#outbox-count")).to_have_text("0")
    assert Visit.objects.count() == 2 and VisitPhoto.objects.count() == 2
    assert VisitTrace.objects.filter(latitude__isnull=False).count() == 2
    item = LookBackItem.objects.get(household=first)
    assert item.housing is True and item.checked_by == team
    request = ChangeRequest.objects.get()
    assert request.household == first and request.payload["cause"] == "born" and request.proposed_by == team

    # a retry of the same upload (the receipt lost on the way): answered from the first receipt, nothing
    # recorded
    page.evaluate(
        "rows => new Dexie('fupin-field').open().then(db => db.table('outbox').bulkPut(rows))", sent
    )
    page.click("#sync-outbox")
    expect(page.locator("#receipt .receipt-line", has_text="重复提交")).to_have_count(4)
    assert Visit.objects.count() == 2 and SyncedChange.objects.count() == 4
    assert ChangeRequest.objects.count() == 1

    # online, a rule that needs the registry (the ID number is already in another household) comes back from
    # the server and shows in the form at once, in its words, and nothing is left queued
    page.click("#tabs button[data-tab=households]")
    page.locator(".household", has_text="司马亮").get_by_role("button", name="打开").click()
    page.click("#change-request")
    page.fill("input[name=name]", "司马小宝")
    page.select_option("select[name=relation]", "grandson")
    page.fill("input[name=id_number]", first.members.first().id_number)
    page.fill("textarea[name=reason]", "新生儿落户")
    page.fill("input[name=evidence_reference]", "出生医学证明 No.124")
    page.click("#change-form button[type=submit]")
    expected = f"此身份证号已登记在户 {first.number}（一人只能在一户）"
    expect(page.locator("input[name=id_number] + .field-error")).to_have_text(expected)
    expect(page.locator("#outbox-count")).to_have_text("0")
    expect(page.locator("input[name=name]")).to_have_value("司马小宝")  # what was typed stays
    assert ChangeRequest.objects.count() == 1

    # the web shows each visit once
    page.goto(base + f"/assistance/households/{first.pk}/")
    expect(page.get_by_text("欧阳明家中一切正常")).to_have_count(1)
    context.close()
