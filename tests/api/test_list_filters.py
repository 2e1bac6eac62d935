"""The API's lists filter as their pages do (issue 19): the monitoring lists by year, the funds lists by
region; and
the field app's device operations reach only a token scoped to the field app."""

from django.test import Client

from fupin.accounts.services import issue_token
from fupin.field import services as field_services
from fupin.funds.models import Fund, FundSource
from fupin.monitoring.models import MonitoredHousehold, MonitoringKind, MonitoringSource, Sweep
from tests import factories


def _case(household, year: int) -> MonitoredHousehold:
    return MonitoredHousehold.objects.create(
        household=household,
        village_code=household.village_id,
        kind=MonitoringKind.MARGINAL,
        source=MonitoringSource.HOUSEHOLD_REPORT,
        year=year,
        risk_description="因病支出大",
    )


def test_monitored_households_sweeps_and_lookbacks_filter_by_year(api, users, household):
    old, new = _case(factories.make_household(head="上年户"), 2024), _case(household, 2025)
    Sweep.objects.create(kind=Sweep.Kind.SIGNALS, year=2024, scope_code=factories.VILLAGE[:6])
    Sweep.objects.create(kind=Sweep.Kind.SIGNALS, year=2025, scope_code=factories.VILLAGE[:6])
    client = api("county")
    cases = client.get("/api/v1/monitoring/cases/", {"year": 2025}).json()["results"]
    assert [c["id"] for c in cases] == [new.pk]
    every = client.get("/api/v1/monitoring/cases/").json()["results"]
    assert {c["id"] for c in every} == {old.pk, new.pk}
    sweeps = client.get("/api/v1/monitoring/sweeps/", {"year": 2024}).json()["results"]
    assert [s["year"] for s in sweeps] == [2024]
    assert client.get("/api/v1/monitoring/lookbacks/", {"year": 2024}).status_code == 200
    refused = client.get("/api/v1/monitoring/cases/", {"year": "abc"})
    assert refused.status_code == 422 and "year" in refused.json()["errors"]


def _fund(county: str) -> Fund:
    return Fund.objects.create(
        county_id=county, year=2025, source=FundSource.CENTRAL, name=f"{county}专项资金", amount_fen=100_00
    )


def test_funds_filter_by_region_within_scope(api, users, tree):
    here, there = _fund(factories.VILLAGE[:6]), _fund(factories.OTHER_COUNTY_VILLAGE[:6])
    client = api("prefecture")
    every = client.get("/api/v1/funds/funds/").json()["results"]
    assert {f["id"] for f in every} == {here.pk, there.pk}
    narrowed = client.get("/api/v1/funds/funds/", {"region": factories.OTHER_COUNTY_VILLAGE[:6]}).json()
    assert [f["id"] for f in narrowed["results"]] == [there.pk]
    for path in ("projects", "allocations", "payments", "ledgers"):
        response = client.get(f"/api/v1/funds/{path}/", {"region": factories.VILLAGE[:6]})
        assert response.status_code == 200, path
    # a region outside the caller's scope narrows to nothing, never widens it
    county = api("county")
    outside = county.get("/api/v1/funds/funds/", {"region": factories.OTHER_COUNTY_VILLAGE[:6]}).json()
    assert outside["results"] == []
    bad = client.get("/api/v1/funds/funds/", {"region": "36x"})
    assert bad.status_code == 422 and "region" in bad.json()["errors"]


def _bearer(user, **kwargs) -> Client:
    _, raw = issue_token(user, name="scoped", **kwargs)
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_field_device_operations_need_a_token_scoped_to_the_field_app(users):
    device, _ = field_services.issue_device(by=users["team"], uid="phone-1", name="工作队手机")
    registry_only = _bearer(users["county"], scopes={"registry": "write"})
    for response in (
        registry_only.get("/api/v1/field/devices"),
        registry_only.post(f"/api/v1/field/devices/{device.pk}/revoke"),
    ):
        assert response.status_code == 403 and "field" in response.json()["detail"]
    device.refresh_from_db()
    assert device.revoked_at is None
    field_read = _bearer(users["county"], scopes={"field": "read"})
    assert field_read.get("/api/v1/field/devices").status_code == 200
    assert field_read.post(f"/api/v1/field/devices/{device.pk}/revoke").status_code == 403
    field_write = _bearer(users["county"], scopes={"field": "write"})
    assert field_write.post(f"/api/v1/field/devices/{device.pk}/revoke").status_code == 200


def test_a_device_token_reaches_only_the_sync_and_an_api_token_not_the_sync(users, household):
    _, device_raw = field_services.issue_device(by=users["team"], uid="phone-2", name="工作队手机")
    phone = Client(headers={"Authorization": f"Bearer {device_raw}"})
    assert phone.get("/api/v1/field/work-set").status_code == 200
    for path in ("/api/v1/households/", "/api/v1/field/devices", "/api/v1/me/"):
        assert phone.get(path).status_code == 401, path
    api_token = _bearer(users["team"])
    assert api_token.get("/api/v1/field/work-set").status_code == 401
