"""A change request's ID numbers and phones (issue 17): encrypted at rest in its payload and before, masked on
its page and in the API for every role, shown in full only on a reveal with a purpose, which the access log
records."""

import datetime
import json

import pytest
from django.db import connection
from django.urls import reverse

from fupin.accounts.services import issue_token
from fupin.audit.chain import opened_changes
from fupin.audit.models import AccessedPerson, AuditEntry
from fupin.changes import services
from fupin.changes.models import ChangeKind, ChangeRequest
from tests import factories

pytestmark = pytest.mark.django_db

NEW_ID = factories.id_number(birth=datetime.date(1999, 1, 2), sex="F")
BABY_ID = factories.id_number(birth=datetime.date(2025, 3, 4), sex="M")
PHONE = "13912345678"


@pytest.fixture
def household(users):
    return factories.make_household(members=3)


@pytest.fixture
def son(household):
    return household.members.exclude(relation="head").order_by("pk").first()


@pytest.fixture
def identity(users, household, son):
    return services.propose(
        household,
        by=users["clerk"],
        kind=ChangeKind.MEMBER_IDENTITY,
        payload={"member_id": son.pk, "id_number": NEW_ID, "name": "张秀英"},
        reason="户籍证明更正",
        evidence_reference="派出所户籍证明",
    )


@pytest.fixture
def other_household(users):
    return factories.make_household(members=2)


@pytest.fixture
def join(users, other_household):
    member = {"name": "李小", "relation": "son", "id_number": BABY_ID, "phone": PHONE}
    return services.propose(
        other_household,
        by=users["clerk"],
        kind=ChangeKind.MEMBER_JOIN,
        payload={"cause": "born", "member": member},
        reason="出生",
        evidence_reference="出生证明",
    )


def raw_row(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT payload, before FROM changes_changerequest WHERE id = %s", [pk])
        return json.dumps([str(v) for v in cursor.fetchone()])


def test_payload_and_before_hold_no_id_number_or_phone_in_plain_text(identity, join, son):
    for change in (identity, join):
        stored = raw_row(change.pk)
        assert NEW_ID not in stored and BABY_ID not in stored and son.id_number not in stored
        assert PHONE not in stored
        assert "$" in stored  # the sealed form (fupin.core.crypto)
    read = ChangeRequest.objects.get(pk=join.pk)
    assert read.payload["member"]["id_number"] == BABY_ID and read.payload["member"]["phone"] == PHONE
    assert ChangeRequest.objects.get(pk=identity.pk).before["member"]["id_number"] == son.id_number


def test_an_existing_request_is_sealed_by_the_migration(identity, son):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("fupin.changes.migrations.0005_seal_payload_identifiers")
    migration.backwards(apps, None)
    assert NEW_ID in raw_row(identity.pk)  # as a registry before the migration held it
    assert ChangeRequest.objects.get(pk=identity.pk).payload["id_number"] == NEW_ID  # plain still reads
    migration.forwards(apps, None)
    assert NEW_ID not in raw_row(identity.pk) and son.id_number not in raw_row(identity.pk)
    assert ChangeRequest.objects.get(pk=identity.pk).payload["id_number"] == NEW_ID


def test_the_page_masks_numbers_even_for_the_reviewer(client, users, identity, son):
    client.force_login(users["township"])
    page = client.get(reverse("changes:detail", args=[identity.pk])).content.decode()
    assert "张秀英" in page and NEW_ID not in page and son.id_number not in page
    assert not AuditEntry.objects.filter(action__startswith="access.").exists()


def test_reveal_with_a_purpose_shows_the_numbers_and_is_logged(client, users, identity, son):
    client.force_login(users["township"])
    url = reverse("changes:reveal", args=[identity.pk])
    response = client.post(url, {"purpose": "verify"})
    page = response.content.decode()
    assert response.status_code == 200 and NEW_ID in page and son.id_number in page
    entry = AuditEntry.objects.get(action="access.page")
    logged = opened_changes(entry.changes)
    assert entry.user_id == users["township"].pk and logged["purpose"] == "verify"
    assert logged["persons"] == [son.pk] and logged["fields"] == ["id_number", "phone"]
    assert entry.target_label == f"变更申请 #{identity.pk}"
    assert list(AccessedPerson.objects.values_list("member_id", flat=True)) == [son.pk]


def test_reveal_of_a_new_member_logs_the_household(client, users, join, other_household):
    client.force_login(users["clerk"])
    response = client.post(reverse("changes:reveal", args=[join.pk]), {"purpose": "casework"})
    assert response.status_code == 200 and BABY_ID in response.content.decode()
    assert PHONE in response.content.decode()
    assert set(AccessedPerson.objects.values_list("member_id", flat=True)) == set(
        other_household.members.values_list("pk", flat=True)
    )


def test_reveal_without_a_purpose_shows_nothing_and_logs_nothing(client, users, identity):
    client.force_login(users["township"])
    response = client.post(reverse("changes:reveal", args=[identity.pk]), {"purpose": ""})
    assert response.status_code == 422 and NEW_ID not in response.content.decode()
    response = client.post(reverse("changes:reveal", args=[identity.pk]), {"purpose": "other"})
    assert response.status_code == 422 and NEW_ID not in response.content.decode()
    assert not AuditEntry.objects.filter(action__startswith="access.").exists()


def test_reveal_refused_to_other_roles_and_regions(client, users, identity):
    url = reverse("changes:reveal", args=[identity.pk])
    for name, status in (
        ("province", 403),
        ("other_township", 404),
        ("sibling_clerk", 404),
        ("liaison", 404),
    ):
        client.force_login(users[name])
        response = client.post(url, {"purpose": "verify"})
        assert response.status_code in (status, 403), name
        assert NEW_ID not in response.content.decode()
    assert client.get(url).status_code == 405
    assert not AuditEntry.objects.filter(action__startswith="access.").exists()


@pytest.fixture
def call(client):
    def do(user, path):
        token = issue_token(user, name="tests")[1]
        response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
        return response.status_code, response.json()

    return do


def test_api_masks_by_default_and_reveals_with_a_purpose_logged(call, users, identity, son):
    path = f"/api/v1/change-requests/{identity.pk}/"
    status, body = call(users["township"], path)
    assert status == 200 and NEW_ID not in json.dumps(body) and son.id_number not in json.dumps(body)
    status, body = call(users["township"], path + "?reveal=id_number")
    assert status == 422 and NEW_ID not in json.dumps(body)
    status, body = call(users["township"], path + "?reveal=id_number&purpose=inspection")
    assert status == 200 and body["payload"]["id_number"] == NEW_ID
    assert NEW_ID in json.dumps(body["changes"], ensure_ascii=False)
    entry = AuditEntry.objects.get(action="access.api")
    assert opened_changes(entry.changes)["persons"] == [son.pk]
    status, body = call(users["province"], path + "?reveal=id_number&purpose=inspection")
    assert status == 403 and NEW_ID not in json.dumps(body)
    assert AuditEntry.objects.filter(action__startswith="access.").count() == 1
