"""Issue 14, finding 7 (d): a department's list is addressed to one county at upload; only that county's
office sees it and may run it. Before, any county could claim a liaison's unassigned list and match it against
its own households."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fupin.accounts.scope import ScopeError
from fupin.monitoring import cross_checks, services
from fupin.monitoring.models import CrossCheck
from tests import factories

pytestmark = pytest.mark.django_db

COUNTY, OTHER_COUNTY = factories.VILLAGE[:6], factories.OTHER_COUNTY_VILLAGE[:6]


def a_list() -> SimpleUploadedFile:
    return SimpleUploadedFile("车辆.csv", "身份证号,车牌号\n110101199001011234,京A1\n".encode())


def test_a_liaison_names_the_county_the_list_is_for(users):
    with pytest.raises(services.AddresseeError, match="县"):
        cross_checks.upload_cross_check(by=users["liaison"], department="vehicle", upload=a_list())
    with pytest.raises(services.AddresseeError, match="不存在"):
        cross_checks.upload_cross_check(
            by=users["liaison"], department="vehicle", upload=a_list(), county="999999"
        )
    with pytest.raises(services.AddresseeError):  # a township is not a county
        cross_checks.upload_cross_check(
            by=users["liaison"], department="vehicle", upload=a_list(), county=factories.VILLAGE[:9]
        )
    assert not CrossCheck.objects.exists()
    check = cross_checks.upload_cross_check(
        by=users["liaison"], department="vehicle", upload=a_list(), county=COUNTY
    )
    assert check.scope_code == COUNTY
    # a county office's own list is its own, whatever it names
    own = cross_checks.upload_cross_check(
        by=users["other_county"], department="tax", upload=a_list(), county=COUNTY
    )
    assert own.scope_code == OTHER_COUNTY


def test_only_the_addressed_county_sees_and_runs_the_list(client, users):
    check = cross_checks.upload_cross_check(
        by=users["liaison"], department="vehicle", upload=a_list(), county=COUNTY
    )
    client.force_login(users["other_county"])
    assert "车辆.csv" not in client.get("/monitoring/checks/").content.decode()
    assert client.get(f"/monitoring/checks/{check.pk}/").status_code == 404
    assert client.post(f"/monitoring/checks/{check.pk}/run/").status_code == 404
    with pytest.raises(ScopeError):
        cross_checks.start_cross_check(check, by=users["other_county"])
    check.refresh_from_db()
    assert check.status == CrossCheck.Status.UPLOADED and check.run_by is None

    client.force_login(users["county"])
    assert "车辆.csv" in client.get("/monitoring/checks/").content.decode()
    assert client.post(f"/monitoring/checks/{check.pk}/run/").status_code == 302
    check.refresh_from_db()
    assert (
        check.status != CrossCheck.Status.UPLOADED
        and check.run_by == users["county"]
        and check.scope_code == COUNTY
    )


def test_a_list_addressed_to_no_county_is_run_by_an_administrator_only(client, users):
    """Lists uploaded before lists were addressed carry no county: no county office may claim them."""
    check = cross_checks.upload_cross_check(
        by=users["liaison"], department="vehicle", upload=a_list(), county=COUNTY
    )
    CrossCheck.objects.filter(pk=check.pk).update(scope_code="")
    check.refresh_from_db()
    for who in ("county", "other_county"):
        client.force_login(users[who])
        assert client.get(f"/monitoring/checks/{check.pk}/").status_code == 404
        with pytest.raises(ScopeError):
            cross_checks.start_cross_check(check, by=users[who])
    cross_checks.start_cross_check(check, by=users["admin"])
    check.refresh_from_db()
    assert check.status != CrossCheck.Status.UPLOADED and check.scope_code == ""


def test_the_upload_page_asks_a_liaison_for_the_county(client, users):
    client.force_login(users["liaison"])
    response = client.post("/monitoring/checks/", {"department": "vehicle", "file": a_list()})
    assert (
        response.status_code == 200
        and "县（区）" in response.content.decode()
        and not CrossCheck.objects.exists()
    )
    response = client.post(
        "/monitoring/checks/", {"department": "vehicle", "file": a_list(), "county": COUNTY}
    )
    assert response.status_code == 302 and CrossCheck.objects.get().scope_code == COUNTY
    client.force_login(users["county"])
    assert 'name="county"' not in client.get("/monitoring/checks/").content.decode()
