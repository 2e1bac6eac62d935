"""Fixtures of the field app's tests: a helper paired to a household, a phone signed in for them, and a client
that talks to the sync API with the device token."""

import base64
import io
import itertools
import uuid

import pytest
from django.test import Client
from PIL import Image

from fupin.assistance import roster
from fupin.field.models import Device
from tests import factories
from tests.assistance.conftest import load_catalogue, pair

SEQ = itertools.count(1)


def jpeg(colour=(200, 120, 40), size=(64, 48), pattern: int = 0) -> str:
    image = Image.new("RGB", size, colour)
    step = max(1, size[0] // 8)  # stripes relative to the size: a resized copy is the same picture
    for x in range(size[0]):  # a pattern, so the perceptual hash has something to see
        for y in range(size[1]):
            if (x // step + pattern) % 2:
                image.putpixel((x, y), (20, 20, 20))
    out = io.BytesIO()
    image.save(out, "JPEG")
    return base64.b64encode(out.getvalue()).decode()


class Phone:
    """A signed-in phone: its device token and its own sequence numbers."""

    def __init__(self, user, uid: str | None = None):
        self.user = user
        web = Client()
        web.force_login(user)
        self.web = web
        csrf = Client(enforce_csrf_checks=False)
        csrf.force_login(user)
        answer = csrf.post(
            "/api/v1/field/devices",
            {"uid": uid or uuid.uuid4().hex, "name": "测试手机"},
            content_type="application/json",
        )
        assert answer.status_code == 201, answer.content
        self.signed_in = answer.json()
        self.token = self.signed_in["token"]
        self.device = Device.objects.get(pk=self.signed_in["device"]["id"])
        self.client = Client()
        self.seq = 0

    def headers(self) -> dict:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"}

    def work_set(self):
        return self.client.get("/api/v1/field/work-set", **self.headers())

    def change(self, op: str, household=None, /, **data) -> dict:
        self.seq += 1
        return {
            "key": uuid.uuid4().hex,
            "seq": self.seq,
            "kind": op,
            "household": getattr(household, "pk", household),
            "at": "2026-01-01T09:00:00+08:00",
            "data": data,
        }

    def sync(self, *changes):
        return self.client.post(
            "/api/v1/field/sync",
            {"changes": list(changes)},
            content_type="application/json",
            **self.headers(),
        )


@pytest.fixture(autouse=True)
def _catalogue(db):
    load_catalogue()


@pytest.fixture
def helper(users):
    county = users["county"]
    unit = roster.create_unit(by=county, name="信丰县农业农村局", region_code=factories.VILLAGE[:6])
    h = roster.create_helper(
        by=county, unit=unit, name="李帮扶", phone="13907970001", region_code=factories.VILLAGE[:9]
    )
    roster.give_helper_login(h, by=county, username="helper1", password="pw-secret-123")
    h.refresh_from_db()
    h.unit_obj = unit
    return h


@pytest.fixture
def household(users, helper):
    hh = factories.make_household(head="张三丰")
    pair(hh, helper, users["county"])
    return hh


@pytest.fixture
def phone(helper, household):
    return Phone(helper.user)


@pytest.fixture
def clerk_phone(users):
    return Phone(users["clerk"])
