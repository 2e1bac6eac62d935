"""Every write is audited, the admin's too: a page that edits rows either saves through a service (which
audits), or audits the save itself (AuditedAdmin), or is read only; the procedures' case records are never
edited there."""

import datetime

import pytest
from django.contrib import admin

from fupin.accounts.models import User
from fupin.audit.admin import AuditedAdmin
from fupin.audit.models import AuditEntry
from fupin.core.admin import ReadOnlyAdmin, ServiceAdmin
from fupin.monitoring.models import LookBack, MonitoredHousehold
from fupin.procedures.models import ProcedureSettings
from tests import factories

pytestmark = pytest.mark.django_db


def test_every_fupin_admin_page_that_can_write_is_audited():
    unaudited = [
        f"{model._meta.label}: {type(model_admin).__name__}"
        for model, model_admin in admin.site._registry.items()
        if model.__module__.startswith("fupin.")
        and not isinstance(model_admin, ReadOnlyAdmin | ServiceAdmin | AuditedAdmin)
    ]
    assert unaudited == []


def test_a_county_setting_changed_in_the_admin_is_audited_with_old_and_new(tree, client):
    client.force_login(factories.admin_user())
    settings = ProcedureSettings.objects.create(county_id="360722", notice_days=7)
    url = f"/admin/procedures/proceduresettings/{settings.pk}/change/"
    form = {
        "county": "360722",
        "notice_days": "10",
        "day_rule": settings.day_rule,
        "holidays": "[]",
        "extra_workdays": "[]",
        "survey_deadline": "01-31",
        "update_deadline": "02-28",
        "supervision_phone": "0797-12317",
    }
    assert client.post(url, form).status_code == 302
    entry = AuditEntry.objects.get(action="admin_change", target_type="proceduresettings")
    assert entry.changes["notice_days"] == [7, 10] and entry.scope_code == "360722"
    assert entry.username == factories.admin_user().username
    assert (
        client.post(f"/admin/procedures/proceduresettings/{settings.pk}/delete/", {"post": "yes"}).status_code
        == 302
    )
    assert AuditEntry.objects.filter(action="admin_delete", target_id=str(settings.pk)).exists()


def test_a_users_role_and_region_changed_in_the_admin_are_audited_and_passwords_never_kept(tree, client):
    client.force_login(factories.admin_user())
    answer = client.post(
        "/admin/accounts/user/add/",
        {
            "username": "newclerk",
            "password1": "Xin-mima-2026!",
            "password2": "Xin-mima-2026!",
            "usable_password": "true",
        },
    )
    assert answer.status_code == 302
    added = AuditEntry.objects.get(action="admin_add", target_type="user")
    assert "Xin-mima" not in str(added.changes)
    user = User.objects.get(username="newclerk")
    url = f"/admin/accounts/user/{user.pk}/change/"
    answer = client.post(
        url,
        {
            **factories.based_on(
                client, url
            ),  # the version the page showed (fupin.core.admin.VersionedAdmin)
            "username": "newclerk",
            "full_name": "新文书",
            "role": "village_clerk",
            "region": factories.VILLAGE,
            "is_active": "on",
            "date_joined_0": "2026-12-06",
            "date_joined_1": "10:00:00",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    changed = AuditEntry.objects.get(action="admin_change", target_type="user")
    assert changed.changes["role"][1] == "village_clerk" and changed.changes["region"] == [
        None,
        factories.VILLAGE,
    ]


def test_case_records_are_read_only_in_the_admin(tree, client):
    client.force_login(factories.admin_user())
    assert isinstance(admin.site._registry[MonitoredHousehold], ReadOnlyAdmin)
    assert client.get("/admin/monitoring/monitoredhousehold/add/").status_code == 403


def test_a_lookback_opened_in_the_admin_lists_its_households_through_the_service(tree, client):
    client.force_login(factories.admin_user())
    factories.make_household()
    answer = client.post(
        "/admin/monitoring/lookback/add/",
        {
            "name": "2026年回头看",
            "region": factories.VILLAGE[:9],
            "year": "2025",
            "starts_on": "2026-12-01",
            "ends_on": "2026-12-31",
            "income_line": "8000",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:3000]
    campaign = LookBack.objects.get()
    assert campaign.items.count() == 1 and campaign.ends_on == datetime.date(2026, 12, 31)
    assert AuditEntry.objects.filter(target_type="lookback", target_id=str(campaign.pk)).exists()
    # opened, it is worked on its pages: the admin shows it but does not change it
    page = client.get(f"/admin/monitoring/lookback/{campaign.pk}/change/").content.decode()
    assert 'name="name"' not in page
