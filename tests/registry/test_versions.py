"""Concurrent edits never undo each other silently (issue 16, finding 3): every edit carries the version it
was based on; a save on top of a newer version is refused with what changed meanwhile, and the user merges
field by field."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from fupin.audit.models import AuditEntry
from fupin.core import versions
from fupin.registry import services
from fupin.registry.models import Household, Member
from tests import factories
from tests.registry.import_files import household as import_rows
from tests.registry.test_import import run as run_import
from tests.registry.test_views import household_data

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _based_on(response) -> str:
    return re.search(r'name="based_on" value="([^"]*)"', response.content.decode()).group(1)


def _household_form(household, **overrides):
    return (
        household_data(
            status="",
            household_type="",
            registration_year="",
            phone=household.phone,
            address=household.address,
            primary_cause=household.primary_cause,
            other_causes=household.other_causes,
        )
        | overrides
    )


def test_a_second_save_of_the_household_form_does_not_put_back_the_first_users_phone(users):
    household = factories.make_household(phone="13800000001", address="南山村3组")
    url = reverse("registry:household_edit", args=[household.pk])
    first, second = _client(users["clerk"]), _client(users["team"])
    first_token, second_token = _based_on(first.get(url)), _based_on(second.get(url))
    assert (
        first.post(url, _household_form(household, phone="13900000002", based_on=first_token)).status_code
        == 302
    )

    # the second user changed the address only; their form still holds the old phone
    stale = second.post(url, _household_form(household, address="北山村1组", based_on=second_token))
    page = stale.content.decode()
    assert stale.status_code == 200 and versions.MESSAGE in page
    assert "联系电话" in page and "13900000002" in page and "13800000001" in page
    assert re.search(
        r'name="keep_phone" value="theirs" checked', page
    )  # they did not change it: theirs proposed
    household.refresh_from_db()
    assert (household.phone, household.address) == ("13900000002", "南山村3组")
    assert not AuditEntry.objects.filter(action="update", username="team").exists()

    # the merge: keep their phone, save the address against the new version
    merged = second.post(
        url, _household_form(household, address="北山村1组", based_on=_based_on(stale), keep_phone="theirs")
    )
    assert merged.status_code == 302
    household.refresh_from_db()
    assert (household.phone, household.address) == ("13900000002", "北山村1组")
    entry = AuditEntry.objects.get(action="update", username="team")
    assert "phone" not in entry.changes and entry.changes["address"] == ["南山村3组", "北山村1组"]


def test_keeping_my_value_in_the_merge_overwrites_theirs_knowingly(users):
    household = factories.make_household(phone="13800000001")
    url = reverse("registry:household_edit", args=[household.pk])
    first, second = _client(users["clerk"]), _client(users["team"])
    first_token, second_token = _based_on(first.get(url)), _based_on(second.get(url))
    first.post(url, _household_form(household, phone="13900000002", based_on=first_token))
    stale = second.post(url, _household_form(household, phone="13700000003", based_on=second_token))
    assert re.search(r'name="keep_phone" value="mine" checked', stale.content.decode())  # both changed it
    second.post(
        url, _household_form(household, phone="13700000003", based_on=_based_on(stale), keep_phone="mine")
    )
    household.refresh_from_db()
    assert household.phone == "13700000003"


def test_a_form_posted_without_its_version_is_not_saved_blindly(users):
    household = factories.make_household(phone="13800000001")
    url = reverse("registry:household_edit", args=[household.pk])
    response = _client(users["clerk"]).post(url, _household_form(household, phone="13900000002"))
    assert response.status_code == 200 and versions.MESSAGE in response.content.decode()
    household.refresh_from_db()
    assert household.phone == "13800000001"


def test_a_second_save_of_the_member_form_is_refused_with_what_changed(users):
    household = factories.make_household(members=2, status="applicant")
    son = household.members.exclude(relation="head").get()
    url = reverse("registry:member_edit", args=[household.pk, son.pk])
    first, second = _client(users["clerk"]), _client(users["team"])
    first_token, second_token = _based_on(first.get(url)), _based_on(second.get(url))
    data = {
        "name": son.name,
        "id_number": son.id_number,
        "relation": son.relation,
        "ethnicity": son.ethnicity,
        "political_status": son.political_status,
        "schooling": son.schooling,
        "health": son.health,
        "work_status": son.work_status,
        "work_months": son.work_months,
        "has_medical_insurance": "on",
        "has_serious_illness_insurance": "on",
    }
    saved = first.post(url, data | {"phone": "13900000002", "based_on": first_token})
    assert saved.status_code == 302, re.findall(r'class="errorlist[^>]*>(.*?)</', saved.content.decode())
    stale = second.post(url, data | {"phone": "", "health": "chronic", "based_on": second_token})
    assert stale.status_code == 200 and versions.MESSAGE in stale.content.decode()
    son.refresh_from_db()
    assert son.phone == "13900000002" and son.health != "chronic"


def test_the_version_rises_with_every_change_whoever_writes_and_never_goes_back(users):
    household = factories.make_household(status="applicant")
    start = Household.objects.get(pk=household.pk).version
    services.update_household(household, by=users["clerk"], phone="13900000002")
    assert Household.objects.get(pk=household.pk).version == start + 1
    services.update_household(household, by=users["clerk"], phone="13900000002")  # no change: same version
    assert Household.objects.get(pk=household.pk).version == start + 1
    Household.objects.filter(pk=household.pk).update(address="直接写入")  # a bulk write past the services
    assert Household.objects.get(pk=household.pk).version == start + 2
    household.address = "旧对象"
    household.version = 1  # a stale object saved whole cannot bring an old version back
    household.save()
    assert Household.objects.get(pk=household.pk).version == start + 3
    son = household.members.exclude(relation="head").get()
    Member.objects.filter(pk=son.pk).update(phone="13600000000")
    assert Member.objects.get(pk=son.pk).version == son.version + 1


def test_a_form_opened_before_an_import_cannot_undo_the_imports_change(tmp_path, users):
    rows = import_rows("王大山")
    run_import(tmp_path, rows, users["county"])
    household = Household.objects.get(head_name="王大山")
    url = reverse("registry:household_edit", args=[household.pk])
    client = _client(users["county"])
    token = _based_on(client.get(url))
    for row in rows:
        row["联系电话"] = "13911112222"
    result = run_import(tmp_path, rows, users["county"])
    assert result.households_updated == 1
    response = client.post(url, _household_form(household, address="新地址", based_on=token))
    assert response.status_code == 200 and "13911112222" in response.content.decode()
    household.refresh_from_db()
    assert household.phone == "13911112222" and household.address != "新地址"
