"""Masking in every output (issue 17, item 5) for a role allowed to see identifiers: the admin site's
household and member pages and the household export mask ID numbers, phones and bank accounts unless revealed;
an export asked with identifiers needs a purpose and is logged for every member it holds."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from fupin.audit.models import AccessedPerson, AuditEntry
from tests import factories


@pytest.fixture
def household(users):
    return factories.make_household(phone="13812345678", bank_account="6217001234567890123")


def cells(response) -> str:
    body = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(body), read_only=True).active
    return " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None)


def test_the_admin_site_masks_members_and_households(client, users, household):
    head = household.members.get(relation="head")
    client.force_login(users["admin"])
    for url in (
        reverse("admin:registry_member_change", args=[head.pk]),
        reverse("admin:registry_member_changelist"),
        reverse("admin:registry_household_change", args=[household.pk]),
    ):
        page = client.get(url).content.decode()
        assert (
            head.id_number not in page and "13812345678" not in page and "6217001234567890123" not in page
        ), url
        assert head.birth_date.isoformat() not in page, url


def test_the_export_masks_unless_revealed_with_a_purpose_and_then_logs_every_member(client, users, household):
    head = household.members.get(relation="head")
    client.force_login(users["clerk"])
    url = reverse("registry:household_export")
    masked = cells(client.get(url))
    assert head.id_number not in masked and head.id_number[-4:] in masked
    assert client.get(url, {"reveal": "1"}).status_code == 403  # no purpose
    assert not AuditEntry.objects.filter(action__startswith="access.").exists()
    full = cells(client.get(url, {"reveal": "1", "purpose": "inspection"}))
    assert head.id_number in full
    entry = AuditEntry.objects.get(action="access.export")
    assert entry.changes["purpose"] == "inspection"
    assert AccessedPerson.objects.filter(entry=entry).count() == household.members.count()


def test_a_role_without_identifiers_cannot_export_them(client, users, household):
    client.force_login(users["prefecture"])
    response = client.get(reverse("registry:household_export"), {"reveal": "1", "purpose": "verify"})
    assert response.status_code == 403
