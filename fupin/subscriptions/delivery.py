"""Sending deliveries: the JSON body, its HMAC-SHA256 signature, the receiver's address checked against SSRF,
retries with exponential back-off and a cap, each try logged.

The body: {"id": event id (the receiver's idempotency key: a retry sends the same id), "type", "occurred_at",
"region", "data"}. The header `X-Fupin-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`;
a receiver checks it with `verify` and refuses a timestamp older than five minutes (a replayed request).

A receiver's address may not be a private, loopback, link-local or otherwise reserved IP, by its name either:
the name is resolved, every address checked, and the connection made to the address checked (so a name that
changes its answer between the check and the connection reaches nothing new); redirects are not followed.
Receivers on a private network (tests, an embedded site's own systems) need FUPIN_WEBHOOK_ALLOW_PRIVATE=1.

Each delivery is claimed by moving its `next_attempt_at` a lease ahead under a row lock (SKIP LOCKED on
PostgreSQL), so two workers never send it at once; a worker that dies mid-send leaves it to be sent again when
the lease runs out. Delivery is at least once: a receiver drops an event id it has already handled.
"""

import datetime
import hmac
import http.client
import ipaddress
import json
import socket
import ssl
import time
from hashlib import sha256
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from .models import Delivery, DeliveryAttempt, DeliveryStatus

SIGNATURE_HEADER = "X-Fupin-Signature"
SECRET_PURPOSE = "webhook_secret"  # the purpose Subscription.secret (an EncryptedField) is sealed with
REPLAY_TOLERANCE = 300  # seconds
LEASE = datetime.timedelta(minutes=2)
BATCH = 50


class UnsafeTarget(ValueError):
    """The receiver's address is refused (the message is Chinese)."""


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


# ---------------------------------------------------------------- signing


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, *, now: float | None = None) -> bool:
    """What a receiver does: the signature is the secret's, and not older than REPLAY_TOLERANCE."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > REPLAY_TOLERANCE:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


def body_of(delivery: Delivery) -> bytes:
    event = delivery.event
    payload = {
        "id": str(event.event_id),
        "type": event.type,
        "occurred_at": event.occurred_at.isoformat(),
        "region": event.region_code,
        "data": event.data,
    }
    return json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()


# ---------------------------------------------------------------- the receiver's address


def check_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an acceptable receiver URL; UnsafeTarget otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeTarget(gettext("接收地址不是有效的网址")) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeTarget(gettext("接收地址须以 https:// 或 http:// 开头"))
    if parts.username or parts.password:
        raise UnsafeTarget(gettext("接收地址不能含用户名或密码"))
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def resolve(host: str, port: int) -> str:
    """The address to connect to: every address of the name must be public (unless private ones are
    allowed)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UnsafeTarget(gettext("接收地址的主机名无法解析：%(host)s") % {"host": host}) from None
    addresses = [str(info[4][0]) for info in infos]
    if not _setting("FUPIN_WEBHOOK_ALLOW_PRIVATE", False):
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
            if not ip.is_global or ip.is_multicast:
                raise UnsafeTarget(
                    gettext("接收地址指向内网、本机或保留地址（%(ip)s），不允许") % {"ip": address}
                )
    return addresses[0]


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST to a checked address; the receiver's status code. Raises UnsafeTarget or OSError."""
    scheme, host, port = check_url(url)
    address = resolve(host, port)
    timeout = float(_setting("FUPIN_WEBHOOK_TIMEOUT", 10))
    kind = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
    conn = kind(host, port, address, timeout)
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request("POST", target, body=body, headers=headers)
        response = conn.getresponse()
        response.read(1024)  # the answer's body is not kept
        return response.status
    finally:
        conn.close()


# ---------------------------------------------------------------- trying deliveries


def backoff(attempts: int) -> datetime.timedelta:
    """The wait after the `attempts`-th failed try: base × 2^(attempts-1), at most the cap."""
    base = float(_setting("FUPIN_WEBHOOK_BACKOFF_SECONDS", 30))
    cap = float(_setting("FUPIN_WEBHOOK_BACKOFF_CAP_SECONDS", 6 * 3600))
    return datetime.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), cap))


def _claim(now: datetime.datetime) -> list[int]:
    """The due deliveries' ids, each claimed for LEASE (another worker skips them meanwhile)."""
    with transaction.atomic():
        due = Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now).order_by(
            "next_attempt_at", "id"
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("id", flat=True)[:BATCH])
        Delivery.objects.filter(pk__in=ids).update(next_attempt_at=now + LEASE)
    return ids


def _refusal(delivery: Delivery) -> str:
    """Why a subscription may no longer receive (stopped, or its owner lost the scope it was made in); '' if
    it may."""
    subscription, owner = delivery.subscription, delivery.subscription.owner
    if not subscription.active:
        return gettext("订阅已停用")
    if not owner.is_active or not owner.in_scope(subscription.region_id):
        return gettext("订阅人已无该区划的权限")
    return ""


def _send(delivery: Delivery, now: datetime.datetime) -> tuple[int | None, str]:
    body = body_of(delivery)
    secret = delivery.subscription.secret or ""
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "fupin-webhooks/1",
        "X-Fupin-Event-Id": str(delivery.event.event_id),
        "X-Fupin-Event-Type": delivery.event.type,
        SIGNATURE_HEADER: sign(secret, int(now.timestamp()), body),
    }
    try:
        return post(delivery.subscription.target_url, body, headers), ""
    except UnsafeTarget as e:
        return None, str(e)
    except (OSError, http.client.HTTPException) as e:
        return None, f"{type(e).__name__}: {e}"[:300]


def attempt(delivery_id: int, now: datetime.datetime | None = None) -> Delivery:
    """One try of a claimed delivery, logged; delivered on 2xx, else retried later or, past the cap,
    failed."""
    now = now or timezone.now()
    delivery = Delivery.objects.select_related("event", "subscription__owner").get(pk=delivery_id)
    started = time.perf_counter()
    refusal = _refusal(delivery)
    code, error = (None, refusal) if refusal else _send(delivery, now)
    delivery.attempts += 1
    delivery.last_status_code, delivery.last_error = code, error[:300]
    if code is not None and 200 <= code < 300:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = DeliveryStatus.DELIVERED, now, None
    elif refusal or delivery.attempts >= int(_setting("FUPIN_WEBHOOK_MAX_ATTEMPTS", 8)):
        delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
        if code is not None and not error:
            delivery.last_error = gettext("接收方返回 %(code)s") % {"code": code}
    else:
        delivery.next_attempt_at = now + backoff(delivery.attempts)
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            delivery=delivery,
            at=now,
            status_code=code,
            error=delivery.last_error if code is None or not 200 <= code < 300 else "",
            milliseconds=int((time.perf_counter() - started) * 1000),
        )
        delivery.save(
            update_fields=[
                "attempts",
                "last_status_code",
                "last_error",
                "status",
                "delivered_at",
                "next_attempt_at",
            ]
        )
    return delivery


def deliver_due(now: datetime.datetime | None = None) -> int:
    """Try every delivery due at `now`; how many were tried."""
    tried = 0
    while ids := _claim(now or timezone.now()):
        for delivery_id in ids:
            attempt(delivery_id, now)
            tried += 1
        if now is not None:  # a given time (tests, a catch-up): one pass over what is due then
            break
    return tried


def next_due() -> datetime.datetime | None:
    """When the earliest pending delivery is next tried (the task queues itself for then)."""
    return (
        Delivery.objects.filter(status=DeliveryStatus.PENDING)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
