"""Subscriptions (webhooks, issue 19 item 3) with a local receiver: signed deliveries, retries with back-off
without duplicates, the cap, scope (region, event type, token areas), SSRF, the outbox following the change's
transaction."""

import datetime
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection, transaction
from django.utils import timezone

from fupin.monitoring import problems
from fupin.subscriptions import delivery, services
from fupin.subscriptions.models import Delivery, DeliveryStatus, Event, Subscription
from tests import factories
from tests.api.conftest import token_client

URL = "/api/v1/subscriptions/"


class Receiver:
    """An HTTP receiver in a thread: answers each POST with the next of `statuses` (the last one repeats)."""

    def __init__(self, statuses=(200,)):
        self.statuses, self.received = list(statuses), []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                receiver.received.append((dict(self.headers), body, status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.FUPIN_WEBHOOK_ALLOW_PRIVATE = True
    made = []

    def make(*statuses):
        made.append(Receiver(statuses or (200,)))
        return made[-1]

    yield make
    for r in made:
        r.close()


def subscribe(user, url, types=("problem.opened", "problem.closed"), **kw):
    return services.create_subscription(
        by=user, name="省监测平台", target_url=url, event_types=list(types), **kw
    )


def open_problem(user, village=factories.VILLAGE, household=None):
    return problems.create_problem(
        by=user,
        source="manual",
        region_code=village,
        description="户主张三丰住房漏雨",
        deadline=timezone.localdate() + datetime.timedelta(days=10),
        household=household,
    )


@pytest.mark.django_db
def test_a_delivery_is_signed_and_carries_no_personal_data(
    users, receiver, django_capture_on_commit_callbacks
):
    hook = receiver(200)
    subscription, secret = subscribe(users["county"], hook.url)
    household = factories.make_household(head="张三丰")
    with django_capture_on_commit_callbacks(execute=True):
        problem = open_problem(users["county"], household=household)
    assert len(hook.received) == 1
    headers, body, _ = hook.received[0]
    assert delivery.verify(secret, headers[delivery.SIGNATURE_HEADER], body)
    assert not delivery.verify("whsec_other", headers[delivery.SIGNATURE_HEADER], body)
    assert not delivery.verify(secret, headers[delivery.SIGNATURE_HEADER], body + b" ")
    payload = json.loads(body)
    event = Event.objects.get()
    assert payload["id"] == str(event.event_id) == headers["X-Fupin-Event-Id"]
    assert payload["type"] == "problem.opened" and payload["region"] == factories.VILLAGE
    assert payload["data"]["problem"] == {
        "id": problem.pk,
        "source": "manual",
        "region": factories.VILLAGE,
        "status": "open",
        "deadline": problem.deadline.isoformat(),
        "household": household.pk,
    }
    head = household.members.get(relation="head")
    text = body.decode()
    assert "张三丰" not in text and head.id_number not in text and head.id_number[-4:] not in text
    row = Delivery.objects.get()
    assert row.status == DeliveryStatus.DELIVERED and row.attempts == 1 and row.last_status_code == 200
    with connection.cursor() as cursor:  # only the secret's encryption is stored
        cursor.execute("SELECT secret FROM subscriptions_subscription WHERE id = %s", [subscription.pk])
        stored = cursor.fetchone()[0]
    assert stored.startswith("$k") and secret not in stored and Subscription.objects.get().secret == secret


def test_an_old_signature_is_refused_as_a_replay():
    header = delivery.sign("whsec_x", 1_000_000, b"{}")
    assert delivery.verify("whsec_x", header, b"{}", now=1_000_100)
    assert not delivery.verify("whsec_x", header, b"{}", now=1_000_000 + delivery.REPLAY_TOLERANCE + 1)
    assert not delivery.verify("whsec_x", "garbage", b"{}")


@pytest.mark.django_db
def test_a_failing_receiver_is_retried_with_back_off_then_succeeds_once(
    users, receiver, django_capture_on_commit_callbacks
):
    hook = receiver(500, 503, 200)
    _, secret = subscribe(users["county"], hook.url)
    with django_capture_on_commit_callbacks(execute=True):
        open_problem(users["county"])
    row = Delivery.objects.get()
    assert (row.status, row.attempts, row.last_status_code) == (DeliveryStatus.PENDING, 1, 500)
    first_wait = row.next_attempt_at - timezone.now()
    assert datetime.timedelta(seconds=25) < first_wait <= datetime.timedelta(seconds=30)
    start = timezone.now()
    assert delivery.deliver_due(start + datetime.timedelta(seconds=5)) == 0  # not due yet
    assert delivery.deliver_due(start + datetime.timedelta(seconds=31)) == 1
    row.refresh_from_db()
    assert (row.attempts, row.last_status_code) == (2, 503)
    second = start + datetime.timedelta(seconds=31)
    assert row.next_attempt_at == second + datetime.timedelta(seconds=60)  # doubled
    assert delivery.deliver_due(second + datetime.timedelta(seconds=61)) == 1
    row.refresh_from_db()
    assert row.status == DeliveryStatus.DELIVERED and row.next_attempt_at is None
    assert delivery.deliver_due(second + datetime.timedelta(days=1)) == 0  # nothing sent again
    ids = {headers["X-Fupin-Event-Id"] for headers, _, _ in hook.received}
    assert len(hook.received) == 3 and len(ids) == 1  # one event, the same id each time
    assert [status for _, _, status in hook.received].count(200) == 1
    for headers, body, _ in hook.received:
        stamp = int(headers[delivery.SIGNATURE_HEADER].split(",")[0][2:])
        assert delivery.verify(secret, headers[delivery.SIGNATURE_HEADER], body, now=stamp)
    # the delivery log, through the API: each try with its status code
    log = token_client(users["county"]).get(f"{URL}{row.subscription_id}/deliveries/").json()["results"]
    assert [t["status_code"] for t in log[0]["tries"]] == [500, 503, 200]
    assert log[0]["status"] == "delivered" and log[0]["event"]["type"] == "problem.opened"


@pytest.mark.django_db
def test_past_the_cap_a_delivery_is_failed(users, receiver, settings, django_capture_on_commit_callbacks):
    settings.FUPIN_WEBHOOK_MAX_ATTEMPTS = 2
    hook = receiver(500)
    subscribe(users["county"], hook.url)
    with django_capture_on_commit_callbacks(execute=True):
        open_problem(users["county"])
    delivery.deliver_due(timezone.now() + datetime.timedelta(hours=1))
    row = Delivery.objects.get()
    assert (row.status, row.attempts, row.next_attempt_at) == (DeliveryStatus.FAILED, 2, None)
    assert delivery.deliver_due(timezone.now() + datetime.timedelta(days=2)) == 0
    assert len(hook.received) == 2
    assert delivery.backoff(30) == datetime.timedelta(hours=6)  # the cap


@pytest.mark.django_db
def test_out_of_scope_events_are_never_delivered(users, receiver, django_capture_on_commit_callbacks):
    hook = receiver(200)
    subscribe(users["county"], hook.url, types=["problem.closed"])
    subscribe(users["other_county"], hook.url)
    with django_capture_on_commit_callbacks(execute=True):
        open_problem(users["county"])  # another county's subscription; this one's does not want openings
    assert hook.received == [] and not Event.objects.exists()
    # a token limited to the registry area may not subscribe to the monitoring area's problems
    limited = token_client(users["county"])
    from fupin.accounts.models import ApiToken

    ApiToken.objects.filter(user=users["county"]).update(scopes={"registry": "read"})
    answer = limited.post(URL, {"name": "x", "target_url": hook.url, "event_types": ["problem.opened"]})
    assert answer.status_code == 422 and "event_types" in answer.json()["errors"]
    # a subscription whose owner lost the county's scope receives nothing more
    subscription, _ = subscribe(users["county"], hook.url, types=["problem.opened"])
    users["county"].region_id = factories.OTHER_COUNTY_VILLAGE[:6]
    users["county"].save()
    with django_capture_on_commit_callbacks(execute=True):
        open_problem(users["admin"])
    row = Delivery.objects.get(subscription=subscription)
    assert row.status == DeliveryStatus.FAILED and "权限" in row.last_error and hook.received == []


@pytest.mark.django_db
def test_a_rolled_back_change_raises_nothing(users, receiver, django_capture_on_commit_callbacks):
    hook = receiver(200)
    subscribe(users["county"], hook.url)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            open_problem(users["county"])
            raise RuntimeError("the change fails after the event was raised")
    assert not Event.objects.exists() and not Delivery.objects.exists() and hook.received == []


@pytest.mark.django_db
def test_private_and_loopback_receivers_are_refused(users, settings, receiver):
    settings.FUPIN_WEBHOOK_ALLOW_PRIVATE = False
    for url in (
        "http://127.0.0.1:8000/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.5/",
        "http://[::1]/",
        "http://localhost/",
        "ftp://example.org/",
        "http://user:pw@example.org/",
    ):
        with pytest.raises(services.SubscriptionError) as refused:
            subscribe(users["county"], url)
        assert "target_url" in refused.value.errors, url
    # a subscription made while local receivers were allowed is refused at delivery once they are not
    settings.FUPIN_WEBHOOK_ALLOW_PRIVATE = True
    hook = receiver(200)
    subscribe(users["county"], hook.url)
    settings.FUPIN_WEBHOOK_ALLOW_PRIVATE = False
    open_problem(users["county"])
    delivery.deliver_due(timezone.now())
    row = Delivery.objects.get()
    assert row.status == DeliveryStatus.PENDING and "内网" in row.last_error and hook.received == []


@pytest.mark.django_db
def test_other_counties_and_roles_neither_see_nor_change_a_subscription(users, receiver):
    hook = receiver(200)
    county = token_client(users["county"])
    made = county.post(URL, {"name": "平台", "target_url": hook.url, "event_types": ["household.exited"]})
    assert made.status_code == 201 and made.json()["secret"].startswith("whsec_")
    assert made.json()["region"] == factories.VILLAGE[:6]
    pk = made.json()["id"]
    assert "secret" not in county.get(f"{URL}{pk}/").json()
    for who in ("other_county", "township", "clerk", "prefecture"):
        client = token_client(users[who])
        assert client.get(f"{URL}{pk}/").status_code == 404, who
        assert client.get(f"{URL}{pk}/deliveries/").status_code == 404, who
        assert client.post(f"{URL}{pk}/deactivate/").status_code in (403, 404), who
        assert client.get(URL).json().get("results", []) == [], who
    assert token_client(users["liaison"]).get(URL).status_code == 403
    assert (
        token_client(users["clerk"])
        .post(URL, {"name": "x", "target_url": hook.url, "event_types": ["household.exited"]})
        .status_code
        == 404
    )
    assert Subscription.objects.get(pk=pk).active
    assert county.post(f"{URL}{pk}/deactivate/").json()["active"] is False


@pytest.mark.django_db
def test_the_page_makes_a_subscription_and_shows_its_log(client, users, receiver):
    hook = receiver(200)
    client.force_login(users["county"])
    page = client.post(
        "/subscriptions/", {"name": "省平台", "target_url": hook.url, "event_types": ["problem.opened"]}
    )
    assert page.status_code == 200 and "whsec_" in page.content.decode()
    subscription = Subscription.objects.get()
    assert subscription.region_id == factories.VILLAGE[:6] and subscription.owner == users["county"]
    refused = client.post("/subscriptions/", {"name": "x", "target_url": "ftp://x", "event_types": []})
    assert "接收地址须以" in refused.content.decode() and Subscription.objects.count() == 1
    open_problem(users["county"])
    delivery.deliver_due(timezone.now())
    detail = client.get(f"/subscriptions/{subscription.pk}/").content.decode()
    assert "problem.opened" not in detail or "问题登记" in detail
    assert "200" in detail and "已送达" in detail
    client.force_login(users["other_county"])
    assert client.get(f"/subscriptions/{subscription.pk}/").status_code == 404
    client.force_login(users["clerk"])
    assert client.get("/subscriptions/").status_code == 404


@pytest.mark.django_db
def test_a_claimed_delivery_is_not_sent_by_a_second_worker_until_its_lease_runs_out(users, receiver):
    hook = receiver(200)
    subscribe(users["county"], hook.url)
    open_problem(users["county"])  # its delivery task waits for a commit that never comes in this test
    now = timezone.now()
    first = delivery._claim(now)
    assert len(first) == 1 and delivery._claim(now) == []  # a second worker at the same moment finds nothing
    # the first worker died before sending: once the lease runs out, it is sent (once)
    assert delivery.deliver_due(now + delivery.LEASE + datetime.timedelta(seconds=1)) == 1
    assert len(hook.received) == 1 and Delivery.objects.get().status == DeliveryStatus.DELIVERED
