"""Admin pages for policy data save through their services: the rule is checked and the audit entry
written."""

from decimal import Decimal

from fupin.audit.models import AuditEntry
from fupin.monitoring.models import MonitoringThreshold
from fupin.procedures.models import PolicyYear
from tests import factories


def test_a_poverty_line_added_in_the_admin_is_set_by_the_service_and_audited(tree, client):
    client.force_login(factories.admin_user())
    response = client.post(
        "/admin/procedures/policyyear/add/",
        {
            "region_prefix": "36",
            "year": "2031",
            "poverty_line": "4600.00",
            "monitoring_threshold": "",
            "note": "省定",
        },
    )
    assert response.status_code == 302
    line = PolicyYear.objects.get(region_prefix="36", year=2031)
    assert line.poverty_line == Decimal("4600.00")
    entry = AuditEntry.objects.get(action="set_policy_year")
    assert entry.target_id == str(line.pk) and entry.changes == {"poverty_line": [None, "4600.00"]}
    # the row's key is fixed once it exists: the service finds its row by region and year
    page = client.get(f"/admin/procedures/policyyear/{line.pk}/change/").content.decode()
    assert 'name="year"' not in page and 'name="poverty_line"' in page
    client.post(f"/admin/procedures/policyyear/{line.pk}/change/", {"poverty_line": "4700.00", "note": ""})
    assert PolicyYear.objects.get(pk=line.pk).poverty_line == Decimal("4700.00")
    assert AuditEntry.objects.filter(action="set_policy_year").count() == 2
    assert client.post(f"/admin/procedures/policyyear/{line.pk}/delete/", {"post": "yes"}).status_code == 403


def test_a_monitoring_line_added_in_the_admin_is_set_by_the_service_and_audited(tree, client):
    client.force_login(factories.admin_user())
    response = client.post(
        "/admin/monitoring/monitoringthreshold/add/",
        {
            "region_prefix": "360722",
            "year": "2031",
            "threshold": "6000",
            "unregistered_line": "5000",
            "income_drop_percent": "30",
            "large_expense": "10000",
            "requires_village_appraisal": "on",
            "note": "",
        },
    )
    assert response.status_code == 302
    row = MonitoringThreshold.objects.get(region_prefix="360722", year=2031)
    assert row.threshold == Decimal("6000") and row.requires_township_review is False
    assert AuditEntry.objects.filter(action="set_monitoring_threshold", target_id=str(row.pk)).count() == 1


def test_only_administrators_edit_policy_data_in_the_admin(tree, client):
    staff = factories.make_user("staff", "county", "360722")
    staff.is_staff = True
    staff.save()
    client.force_login(staff)
    for url in ("/admin/procedures/policyyear/add/", "/admin/monitoring/monitoringthreshold/add/"):
        assert client.get(url).status_code == 403, url
