import datetime
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.utils import timezone

from fupin.declarations import services
from fupin.declarations.models import PhoneCode
from tests import factories

PHONE = "13800138000"


class Outbox:
    """What the console back end wrote (FUPIN_SMS_FILE), read back: the tests' view of the household's
    phone."""

    def __init__(self, path):
        self.path = path

    def messages(self, phone: str | None = None) -> list[dict]:
        if not self.path.exists():
            return []
        rows = [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines()]
        return [r for r in rows if phone is None or r["phone"] == phone]

    def last_code(self, phone: str = PHONE) -> str:
        return [m for m in self.messages(phone) if m["template"] == "code"][-1]["params"]["code"]


@pytest.fixture(autouse=True)
def _send_at_once(monkeypatch):
    """A test runs inside one transaction that never commits: messages queued for after the commit go at
    once."""
    from fupin.core import sms

    monkeypatch.setattr(sms.transaction, "on_commit", lambda fn, *a, **k: fn())


@pytest.fixture
def outbox(settings, tmp_path):
    settings.FUPIN_SMS_BACKEND = "console"
    settings.FUPIN_SMS_FILE = str(tmp_path / "sms.jsonl")
    return Outbox(tmp_path / "sms.jsonl")


class FakeGateway(BaseHTTPRequestHandler):
    received: list = []
    fail_first = 0

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if FakeGateway.fail_first > 0:
            FakeGateway.fail_first -= 1
            self.send_response(503)
            self.end_headers()
            return
        FakeGateway.received.append({"body": json.loads(body), "auth": self.headers.get("Authorization")})
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'{"ok": true}')

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(settings):
    """A local SMS gateway (http.server in a thread) that records what it is sent."""
    server = HTTPServer(("127.0.0.1", 0), FakeGateway)
    FakeGateway.received, FakeGateway.fail_first = [], 0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.FUPIN_SMS_BACKEND = "http"
    settings.FUPIN_SMS_URL = f"http://127.0.0.1:{server.server_port}/send"
    settings.FUPIN_SMS_KEY, settings.FUPIN_SMS_SECRET = "key", "secret"
    settings.FUPIN_SMS_TEMPLATES = {"code": "TPL_CODE"}
    settings.FUPIN_SMS_RETRY_SECONDS = 0.01
    yield FakeGateway
    server.shutdown()
    server.server_close()


def declare(phone=PHONE, id_number=None, village=factories.VILLAGE, *, outbox=None, **fields):
    """Send a code and declare with it (the public form's two steps), at a time free of the one-minute gap."""
    now = fields.pop("now", None) or timezone.now()
    PhoneCode.objects.filter(phone=phone).update(sent_at=now - datetime.timedelta(minutes=2))
    services.send_code(phone, now=now)
    code = outbox.last_code(phone) if outbox else fields.pop("code")
    values = {
        "village_code": village,
        "name": "李四",
        "id_number": id_number or factories.id_number(),
        "phone": phone,
        "code": code,
        "hardship": "illness",
        "description": "家里老人住院，花费很大",
        "consent": True,
    }
    values.update(fields)
    return services.declare(now=now, **values)
