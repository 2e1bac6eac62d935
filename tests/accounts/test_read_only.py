"""Issue 14, finding 6: a read-only role (prefecture, province) writes nothing, by any route: pages, htmx, the
API by session or token, and the services themselves. The all-routes test tries every unsafe route too."""

import pytest
from django.middleware.csrf import _get_new_csrf_string

from fupin.accounts.scope import ScopeError
from fupin.accounts.services import issue_token
from fupin.audit.models import AuditEntry
from fupin.monitoring import services as monitoring
from fupin.monitoring import sweeps as monitoring_sweeps
from fupin.monitoring.models import Sweep
from fupin.registry.models import Household
from tests import factories

READ_ONLY = ["prefecture", "province"]


def last_audit() -> int:
    return AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


@pytest.mark.parametrize("who", READ_ONLY)
def test_read_only_roles_cannot_start_a_monitoring_sweep(client, users, who):
    before = last_audit()
    client.force_login(users[who])
    for kind in ("signals", "suspect"):
        assert client.post("/monitoring/sweeps/", {"year": 2025, "kind": kind}).status_code == 403
    assert 'action="/monitoring/sweeps/"' not in client.get("/monitoring/signals/").content.decode()
    with pytest.raises(ScopeError):
        monitoring_sweeps.start_sweep(by=users[who], kind="suspect", year=2025)
    assert not Sweep.objects.exists() and last_audit() == before


def test_county_and_township_offices_run_sweeps(users):
    for who in ("county", "township"):
        sweep = monitoring_sweeps.start_sweep(by=users[who], kind="suspect", year=2025)
        assert sweep.scope_code == users[who].region_id


@pytest.mark.parametrize("who", READ_ONLY)
def test_read_only_roles_write_nothing_through_the_api_by_token_or_session(client, users, who):
    household = factories.make_household(address="旧址")
    _, raw = issue_token(users[who], name="t")
    before = last_audit()
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert (
        client.patch(
            f"/api/v1/households/{household.pk}/",
            {"address": "新址"},
            content_type="application/json",
            **bearer,
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/api/v1/households/", {"village": factories.VILLAGE}, content_type="application/json", **bearer
        ).status_code
        == 403
    )
    client.force_login(users[who])
    secret = _get_new_csrf_string()
    client.cookies["csrftoken"] = secret
    response = client.patch(
        f"/api/v1/households/{household.pk}/",
        {"address": "新址"},
        content_type="application/json",
        headers={"X-CSRFToken": secret},
    )
    assert response.status_code == 403 and "只能查看" in response.json()["detail"]
    household.refresh_from_db()
    assert household.address == "旧址" and last_audit() == before


@pytest.mark.parametrize("who", READ_ONLY)
def test_read_only_roles_may_still_sign_out_switch_language_and_read(client, users, who):
    client.force_login(users[who])
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 302
    assert client.get("/households/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302


def test_editing_roles_are_not_affected(client, users):
    household = factories.make_household(address="旧址")
    client.force_login(users["clerk"])
    assert client.post("/households/id-check/", {"id_number": "1"}).status_code == 200
    assert Household.objects.filter(pk=household.pk).exists()


@pytest.mark.parametrize("who", READ_ONLY)
def test_services_refuse_read_only_roles_whatever_the_route(users, who):
    import decimal

    from fupin.monitoring.models import MonitoringThreshold

    user = users[who]
    with pytest.raises(ScopeError):
        monitoring.set_threshold(
            by=user,
            region_prefix=user.region_id,
            year=2025,
            threshold=decimal.Decimal("6000"),
            unregistered_line=decimal.Decimal("5000"),
        )
    assert not MonitoringThreshold.objects.filter(region_prefix=user.region_id).exists()
    monitoring.set_threshold(
        by=users["county"],
        region_prefix=users["county"].region_id,
        year=2025,
        threshold=decimal.Decimal("6000"),
        unregistered_line=decimal.Decimal("5000"),
    )
