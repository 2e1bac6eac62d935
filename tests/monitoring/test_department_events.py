"""Events a department pushes one at a time (POST /api/v1/department-events/): matched through the blind index
by the
cross-check's own code, the same findings and signals, idempotent by the department's event id."""

import datetime
import threading
import time
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from fupin.monitoring import cross_checks
from fupin.monitoring.models import (
    CrossCheck,
    DepartmentEvent,
    Finding,
    MonitoringThreshold,
    RiskEvent,
    RiskSignal,
)
from fupin.registry.models import Consent
from tests import factories
from tests.api.conftest import token_client

URL = "/api/v1/department-events/"
COUNTY = factories.VILLAGE[:6]
SAME = ("household_id", "member_id", "village_code", "rule", "severity", "detail", "department")


@pytest.fixture
def own(users):
    return factories.make_household(head="王五", members=2)


def death(person, event_id="MZ-2025-0001", **extra):
    return {
        "event_id": event_id,
        "kind": "death",
        "id_number": person.id_number,
        "occurred_on": "2025-03-02",
        "county": COUNTY,
        "details": {"死亡日期": "2025-03-02"},
    } | extra


def _batch_finding(users, person) -> Finding:
    """What the county's batch cross-check makes of the same death on a list."""
    check = cross_checks.upload_cross_check(
        by=users["liaison"],
        department="death",
        upload=SimpleUploadedFile("死亡.csv", f"身份证号,死亡日期\n{person.id_number},2025-03-02\n".encode()),
        county=COUNTY,
    )
    cross_checks.start_cross_check(check, by=users["county"])
    return Finding.objects.get(cross_check=check)


@pytest.mark.django_db(transaction=True)
def test_pushed_death_is_the_batch_finding_within_two_seconds(users, own):
    head = own.members.get(relation="head")
    liaison = token_client(users["liaison"])
    started = time.perf_counter()
    response = liaison.post(URL, death(head))
    pushed = Finding.objects.filter(member=head).first()
    elapsed = time.perf_counter() - started
    assert response.status_code == 201, response.content
    assert pushed is not None and elapsed < 2, elapsed
    body = response.json()
    assert body["matched_members"] == 1 and body["findings_count"] == 1 and body["kind"] == "death"
    batch = _batch_finding(users, head)
    assert [getattr(pushed, f) for f in SAME] == [getattr(batch, f) for f in SAME]
    assert pushed.rule == "deceased_listed" and head.name in pushed.detail
    assert pushed.evidence == batch.evidence == {"死亡日期": "2025-03-02"}
    # the county decides it where it decides a list's: a cross-check of its own, finished
    check = CrossCheck.objects.get(pk=body["cross_check"])
    assert check.status == CrossCheck.Status.DONE and check.scope_code == COUNTY and check.findings_count == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_event_id_twice_answers_the_first_result_and_writes_nothing(users, own):
    head = own.members.get(relation="head")
    liaison = token_client(users["liaison"])
    first = liaison.post(URL, death(head))
    again = liaison.post(URL, death(head))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Finding.objects.filter(member=head).count() == 1
    assert DepartmentEvent.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_pushes_of_one_event_at_once_make_one(users, own):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers: the race needs two connections writing at once")
    head = own.members.get(relation="head")
    statuses = []

    def push():
        try:
            statuses.append(token_client(users["liaison"]).post(URL, death(head)).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=push) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 201]
    assert DepartmentEvent.objects.count() == 1 and Finding.objects.filter(member=head).count() == 1


@pytest.mark.django_db
def test_refusals_are_the_one_error_shape_and_write_nothing(users, own):
    liaison = token_client(users["liaison"])
    head = own.members.get(relation="head")
    bad_id = liaison.post(URL, death(head, id_number="360722196803011230"))
    assert bad_id.status_code == 422
    assert bad_id.json()["code"] == "refused" and "校验位" in bad_id.json()["errors"]["id_number"]
    no_county = liaison.post(URL, death(head, county=""))
    assert no_county.status_code == 422 and "county" in no_county.json()["errors"]
    no_amount = liaison.post(URL, death(head, kind="medical_bill"))
    assert no_amount.status_code == 422 and "amount" in no_amount.json()["errors"]
    unknown = liaison.post(URL, death(head, kind="wedding"))
    assert unknown.status_code == 422 and unknown.json()["code"] == "invalid_request"
    bad_column = liaison.post(URL, death(head, details={"<script>": "x"}))
    assert bad_column.status_code == 422 and "details" in bad_column.json()["errors"]
    assert not DepartmentEvent.objects.exists() and not Finding.objects.exists()


@pytest.mark.django_db
def test_only_liaisons_and_county_offices_push_and_each_reads_its_own(users, own):
    head = own.members.get(relation="head")
    assert token_client(users["clerk"]).post(URL, death(head)).status_code == 404  # as a list upload
    assert token_client(users["liaison"]).post(URL, death(head)).status_code == 201
    event = DepartmentEvent.objects.get()
    for who, sees in (
        ("liaison", True),
        ("county", True),
        ("prefecture", True),
        ("other_county", False),
        ("township", False),
        ("clerk", False),
    ):
        client = token_client(users[who])
        assert client.get(f"{URL}{event.pk}/").status_code == (200 if sees else 404), who
        assert len(client.get(URL).json()["results"]) == (1 if sees else 0), who
    other = factories.make_user("other_liaison", "liaison", None)
    assert token_client(other).get(f"{URL}{event.pk}/").status_code == 404


@pytest.mark.django_db
def test_another_countys_member_and_a_member_without_consent_are_not_matched(users, own):
    liaison = token_client(users["liaison"])
    elsewhere = factories.make_household(factories.OTHER_COUNTY_VILLAGE, head="外县乙")
    foreign = elsewhere.members.get(relation="head")
    assert liaison.post(URL, death(foreign)).json()["matched_members"] == 0
    head = own.members.get(relation="head")
    Consent.objects.filter(member=head).update(vehicle=False)
    body = liaison.post(
        URL, death(head, event_id="JJ-1", kind="vehicle", details={"车辆类型": "小型轿车"})
    ).json()
    assert body["matched_members"] == 0 and body["unauthorised_members"] == 1
    assert not Finding.objects.exists()
    son = own.members.get(relation="son")
    body = liaison.post(
        URL, death(son, event_id="JJ-2", kind="vehicle", details={"车辆类型": "二轮摩托车"})
    ).json()
    assert body["findings_count"] == 1
    assert Finding.objects.get(member=son).severity == 1  # a motorcycle, as on a list


@pytest.mark.django_db(transaction=True)
def test_a_large_medical_bill_raises_the_sweeps_signal(users):
    year = datetime.date.today().year
    MonitoringThreshold.objects.create(
        region_prefix="", year=year, threshold=Decimal("6000"), unregistered_line=Decimal("5000")
    )
    exited = factories.make_household(head="脱贫户", status="exited", exit_year=2020)
    head = exited.members.get(relation="head")
    body = (
        token_client(users["liaison"])
        .post(
            URL,
            death(
                head,
                event_id="YB-1",
                kind="medical_bill",
                amount="25000.00",
                occurred_on=datetime.date.today().isoformat(),
                description="住院",
            ),
        )
        .json()
    )
    risk = RiskEvent.objects.get(pk=body["risk_event"])
    assert risk.household_id == exited.pk and risk.amount == Decimal("25000.00") and risk.kind == "medical"
    signal = RiskSignal.objects.get(household=exited, kind="large_medical")
    assert signal.source_id == risk.pk and signal.value == Decimal("25000.00")
    assert body["sweep"] is not None
