"""Consents (电子授权书, issue 17 item 3): recorded per member on the household's page and through the API (in
person, a signature drawn on a phone, a scanned paper form), withdrawable, audited, in scope; the
identification procedure's application and the monitoring procedure's entry refuse a household without one."""

import base64
import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fupin.audit.models import AuditEntry
from fupin.registry import consents
from fupin.registry.models import Consent
from tests import factories
from tests.api.conftest import token_client

# a 1×1 PNG
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@pytest.fixture
def household(users):
    return factories.make_household(consent=False)


def post_consent(client, household, **data):
    head = household.members.get(relation="head")
    form = {
        "member": head.pk,
        "given_on": "2025-05-01",
        "scopes": ["income", "vehicle"],
        "method": "in_person",
    } | data
    return client.post(reverse("registry:consent_record", args=[household.pk]), form)


def test_the_village_records_a_consent_in_person_and_it_is_audited(client, users, household):
    client.force_login(users["clerk"])
    response = post_consent(client, household)
    assert response.status_code == 302
    [consent] = Consent.objects.all()
    assert consent.scopes == ["income", "vehicle"] and consent.method == "in_person" and consent.in_force
    assert AuditEntry.objects.filter(action="record_consent", household=household).exists()
    page = client.get(reverse("registry:household_detail", args=[household.pk])).content.decode()
    assert "经济状况核对授权书" in page and "本人到场" in page


def test_a_signature_drawn_on_a_phone_is_stored_as_its_png(client, users, household):
    client.force_login(users["clerk"])
    data_url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert post_consent(client, household, method="signature", signature=data_url).status_code == 302
    consent = Consent.objects.get()
    assert consent.evidence.read()[:8] == PNG[:8]
    file = client.get(reverse("registry:consent_file", args=[household.pk, consent.pk]))
    assert file.status_code == 200


def test_a_paper_consent_needs_its_scan_and_refuses_what_is_not_an_image_or_pdf(client, users, household):
    client.force_login(users["clerk"])
    missing = post_consent(client, household, method="paper")
    assert missing.status_code == 200 and "纸质授权书须上传扫描件" in missing.content.decode()
    fake = SimpleUploadedFile("a.jpg", b"<html>not an image</html>")
    refused = post_consent(client, household, method="paper", upload=fake)
    assert refused.status_code == 200 and not Consent.objects.exists()
    scan = SimpleUploadedFile("scan.png", PNG)
    assert post_consent(client, household, method="paper", upload=scan).status_code == 302
    assert Consent.objects.get().evidence


def test_a_consent_is_withdrawn_with_a_reason_and_audited(client, users, household):
    client.force_login(users["clerk"])
    post_consent(client, household)
    consent = Consent.objects.get()
    url = reverse("registry:consent_withdraw", args=[household.pk, consent.pk])
    client.post(url, {"reason": ""})
    consent.refresh_from_db()
    assert consent.in_force
    client.post(url, {"reason": "本人要求撤回"})
    consent.refresh_from_db()
    assert not consent.in_force and consent.withdraw_reason == "本人要求撤回"
    assert AuditEntry.objects.filter(action="withdraw_consent").exists()


@pytest.mark.parametrize("who", ["sibling_clerk", "prefecture", "province", "liaison", "other_county"])
def test_other_regions_and_read_only_roles_record_and_withdraw_nothing(client, users, household, who):
    factories.give_consent(household)
    consent = Consent.objects.first()
    client.force_login(users[who])
    assert post_consent(client, household).status_code in (403, 404)
    url = reverse("registry:consent_withdraw", args=[household.pk, consent.pk])
    assert client.post(url, {"reason": "x"}).status_code in (403, 404)
    assert client.get(reverse("registry:consent_file", args=[household.pk, consent.pk])).status_code == 404
    assert Consent.objects.count() == household.members.count()
    assert all(c.in_force for c in Consent.objects.all())


def test_the_api_lists_records_and_withdraws(users, household):
    api = token_client(users["clerk"])
    head = household.members.get(relation="head")
    url = f"/api/v1/households/{household.pk}/consents/"
    made = api.post(
        url, {"member": head.pk, "given_on": "2025-05-01", "scopes": ["income"], "method": "in_person"}
    )
    assert made.status_code == 201, made.content
    assert [c["scopes"] for c in api.get(url).json()] == [["income"]]
    assert (
        api.post(url, {"member": head.pk, "given_on": "2025-05-01", "scopes": [], "method": "x"}).status_code
        == 422
    )
    withdrawn = api.post(f"/api/v1/consents/{made.json()['id']}/withdraw/", {"reason": "撤回"})
    assert withdrawn.status_code == 200 and withdrawn.json()["in_force"] is False
    assert token_client(users["sibling_clerk"]).get(url).status_code == 404


def test_households_without_consent_are_named_with_where_to_record_it(users, household):
    assert consents.households_without_consent([household.pk]) == [household]
    message = consents.missing_consent_message([household])
    assert household.head_name in message and "经济状况核对授权书" in message
    factories.give_consent(household)
    assert consents.households_without_consent([household.pk]) == []
    Consent.objects.filter(member__relation="son").update(
        withdrawn_at=datetime.datetime(2025, 6, 1, tzinfo=datetime.UTC)
    )
    assert consents.households_without_consent([household.pk]) == [household]  # an adult son withdrew
