"""The API's PUTs of a village's yearly record and a household's help plan carry the version they were
based on (issue 16, finding 3): a new record needs none, an existing one needs If-Match (428 without), and a
save on top of another client's change is refused with the current record (412), never overwriting it."""

from fupin.assistance.models import HelpPlan
from fupin.monitoring.models import MonitoringThreshold
from fupin.procedures.models import VillageProfile
from tests import factories

YEAR = 2025


def _put_twice_then_stale(client, url: str, body: dict, changed: dict, field: str):
    created = client._send("put", url, body)
    assert created.status_code == 200, created.content
    etag = created["ETag"]
    assert client._send("put", url, body).status_code == 428  # exists now: the client must say what it saw
    assert client._send("put", url, changed, HTTP_IF_MATCH=etag).status_code == 200
    stale = client._send("put", url, body, HTTP_IF_MATCH=etag)  # based on the version before the change
    assert stale.status_code == 412 and stale.json()["current"][field] == changed[field]
    return stale


def test_a_village_record_put_needs_its_version_once_it_exists(api, users):
    url = f"/api/v1/procedures/village-profiles/{factories.VILLAGE}/{YEAR}/"
    stale = _put_twice_then_stale(api("admin"), url, {"population": 1000}, {"population": 1200}, "population")
    assert stale["ETag"]
    assert VillageProfile.objects.get(village_id=factories.VILLAGE, year=YEAR).population == 1200


def test_a_help_plan_put_needs_its_version_once_it_exists(api, users, household):
    url = f"/api/v1/assistance/households/{household.pk}/plan/"
    _put_twice_then_stale(
        api("team"), url, {"target_exit_year": 2026}, {"target_exit_year": 2027}, "target_exit_year"
    )
    assert HelpPlan.objects.get(household=household).target_exit_year == 2027


def test_a_monitoring_line_put_needs_its_version_once_it_exists(api, users):
    url = f"/api/v1/monitoring/thresholds/{factories.VILLAGE[:6]}/{YEAR}/"
    line = {"threshold": "6500", "unregistered_line": "6000"}
    _put_twice_then_stale(api("county"), url, line, line | {"threshold": "6800.00"}, "threshold")
    assert MonitoringThreshold.objects.get(region_prefix=factories.VILLAGE[:6], year=YEAR).threshold == 6800
