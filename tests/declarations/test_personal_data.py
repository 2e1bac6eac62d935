"""A declarant's ID number and phone (issue 17): masked on the declaration's page and in the API for every
role, shown in full only on a reveal with a purpose, which the access log records (with the member, when
registered)."""

import pytest
from django.urls import reverse

from fupin.audit.chain import opened_changes
from fupin.audit.models import AccessedPerson, AuditEntry
from fupin.registry import codes
from tests import factories
from tests.changes.test_api import call  # noqa: F401  (the fixture api builds on)

from .conftest import PHONE, declare

pytestmark = pytest.mark.django_db


def accesses():
    return AuditEntry.objects.filter(action__startswith="access.")


def test_the_page_masks_the_declarant_even_for_the_village(client, users, outbox):
    d = declare(outbox=outbox, description=f"身份证 {factories.id_number(sex='F')} 家里老人住院")
    client.force_login(users["clerk"])
    page = client.get(reverse("declarations:detail", args=[d.pk])).content.decode()
    assert d.id_number not in page and PHONE not in page and d.id_number[-4:] in page
    assert d.description.split()[1] not in page  # an ID number in the free text masked too
    assert not accesses().exists()


def test_reveal_with_a_purpose_shows_and_logs_the_declaration(client, users, outbox):
    d = declare(outbox=outbox)
    client.force_login(users["clerk"])
    response = client.post(reverse("declarations:reveal", args=[d.pk]), {"purpose": "contact"})
    page = response.content.decode()
    assert response.status_code == 200 and d.id_number in page and PHONE in page
    entry = accesses().get()
    logged = opened_changes(entry.changes)
    assert entry.action == "access.page" and logged["purpose"] == "contact" and logged["persons"] == []
    assert logged["records"] == [f"申报 {d.receipt}（李四）"] and entry.scope_code == factories.VILLAGE
    client.force_login(users["county"])
    log = client.get(reverse("access:log")).content.decode()
    assert d.receipt in log and "联系本人" in log


def test_reveal_of_a_registered_declarant_names_the_member(client, users, outbox):
    household = factories.make_household(members=2)
    head = household.members.get(relation=codes.Relation.HEAD)
    d = declare(outbox=outbox, id_number=head.id_number)
    client.force_login(users["township"])
    assert client.post(reverse("declarations:reveal", args=[d.pk]), {"purpose": "verify"}).status_code == 200
    assert list(AccessedPerson.objects.values_list("member_id", flat=True)) == [head.pk]
    client.force_login(users["county"])
    log = client.get(reverse("access:log") + f"?member={head.pk}").content.decode()
    assert d.receipt in log


def test_unusual_reading_counts_declarants_who_are_not_registered(client, users, outbox, settings):
    """Issue 17 (finding: revealing declarants not registered as members was not counted for the alarm)."""
    from fupin.monitoring.models import Problem

    settings.FUPIN_ACCESS_ALERT_PERSONS = 3
    phones = [f"1380013800{i}" for i in range(5)]
    declarations = [declare(phone=p, outbox=outbox) for p in phones]
    client.force_login(users["clerk"])
    for d in declarations[:3]:
        assert (
            client.post(reverse("declarations:reveal", args=[d.pk]), {"purpose": "contact"}).status_code
            == 200
        )
    assert not Problem.objects.exists()  # three persons: within the bound
    client.post(reverse("declarations:reveal", args=[declarations[0].pk]), {"purpose": "verify"})
    assert not Problem.objects.exists()  # the same declarant again is not another person
    client.post(reverse("declarations:reveal", args=[declarations[3].pk]), {"purpose": "contact"})
    [problem] = Problem.objects.all()
    assert problem.region_code == factories.VILLAGE[:6] and "clerk" in problem.description
    client.post(reverse("declarations:reveal", args=[declarations[4].pk]), {"purpose": "contact"})
    assert Problem.objects.count() == 1
    assert set(AccessedPerson.objects.values_list("record", flat=True)) == {
        f"declaration:{d.pk}" for d in declarations
    }


def test_reveal_refused_without_purpose_to_other_roles_and_regions(client, users, outbox):
    d = declare(outbox=outbox)
    url = reverse("declarations:reveal", args=[d.pk])
    client.force_login(users["clerk"])
    response = client.post(url, {"purpose": ""})
    assert response.status_code == 422 and d.id_number not in response.content.decode()
    for name, status in (("province", 403), ("sibling_clerk", 404), ("other_county", 404)):
        client.force_login(users[name])
        response = client.post(url, {"purpose": "verify"})
        assert response.status_code == status, name
        assert d.id_number not in response.content.decode()
    assert client.get(url).status_code == 405
    assert not accesses().exists()


@pytest.fixture
def api(call):  # noqa: F811
    return lambda user, path: call(user, "get", "/api/v1/declarations/" + path)


def test_api_masks_by_default_and_reveals_with_a_purpose_logged(api, users, outbox):
    d = declare(outbox=outbox)
    status, body = api(users["clerk"], f"{d.pk}/")
    assert status == 200 and body["id_number"] != d.id_number and body["phone"] != PHONE
    status, body = api(users["clerk"], "")
    assert d.id_number not in str(body) and PHONE not in str(body)
    status, body = api(users["clerk"], f"{d.pk}/?reveal=id_number,phone")
    assert status == 422 and d.id_number not in str(body)
    status, body = api(users["clerk"], f"{d.pk}/?reveal=id_number,phone&purpose=casework")
    assert status == 200 and body["id_number"] == d.id_number and body["phone"] == PHONE
    assert accesses().get().action == "access.api"
    status, body = api(users["province"], f"{d.pk}/?reveal=all&purpose=inspection")
    assert status == 403 and d.id_number not in str(body)
    assert accesses().count() == 1
