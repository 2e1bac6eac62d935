"""Visits that really happened (issue 21, item 5): the helper-monitoring report flags visits typed long after
the fact, photos reused across households (perceptual hash), and visits located far from their village."""

import datetime

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fupin.assistance.selectors import helper_monitoring
from fupin.field.models import PhotoTrace
from fupin.field.traces import distance
from tests import factories
from tests.assistance.conftest import pair

from .conftest import jpeg

TODAY = timezone.localdate()


def period():
    return TODAY.year, (6 if TODAY.month <= 6 else 12)


def test_late_reused_and_far_visits_are_flagged_in_the_june_december_report(phone, household, helper, users):
    second = factories.make_household(head="周九")
    pair(second, helper, users["county"])
    same_photo = jpeg(pattern=1)
    start = datetime.date(TODAY.year, 1 if TODAY.month <= 6 else 7, 1)
    late_day = max(start, TODAY - datetime.timedelta(days=10))
    changes = [
        phone.change(
            "visit",
            household,
            visited_on=late_day.isoformat(),
            findings="补录",
            photos=[{"data": same_photo}],
            latitude=25.40,
            longitude=114.90,
        ),
        phone.change(
            "visit",
            second,
            visited_on=TODAY.isoformat(),
            findings="同一张照片",
            photos=[{"data": same_photo}],
            latitude=25.40,
            longitude=114.90,
        ),
        phone.change(
            "visit",
            household,
            visited_on=TODAY.isoformat(),
            findings="正常",
            latitude=25.40,
            longitude=114.91,
        ),
        phone.change(
            "visit",
            second,
            visited_on=TODAY.isoformat(),
            findings="在县城录入",
            latitude=25.80,
            longitude=115.40,
        ),
    ]
    assert {line["outcome"] for line in phone.sync(*changes).json()["results"]} == {"accepted"}
    year, month = period()
    report = helper_monitoring(users["county"], year=year, month=month)
    reasons = {(v["household"], k) for v in report["flagged_visits"] for k in v["kinds"]}
    if late_day < TODAY - datetime.timedelta(days=3):
        assert (household.number, "late") in reasons
    assert (household.number, "reused") in reasons and (second.number, "reused") in reasons
    assert (second.number, "far") in reasons
    row = next(r for r in report["rows"] if r["helper_id"] == helper.pk)
    assert row["reused_photos"] == 2 and row["far_visits"] == 1
    assert "村未登记坐标" in report["flag_notes"][0]
    page = Client()
    page.force_login(users["county"])
    html = page.get(reverse("assistance:monitoring"), {"period": f"{year}-{month:02d}"}).content.decode()
    assert "需核实的走访" in html and "照片与其他户走访的照片相同或近似" in html


def test_a_recompressed_photo_hashes_close_and_another_photo_does_not(phone, household):
    phone.sync(
        phone.change(
            "visit",
            household,
            visited_on=TODAY.isoformat(),
            findings="a",
            photos=[
                {"data": jpeg(pattern=1)},
                {"data": jpeg(pattern=1, size=(128, 96))},
                {"data": jpeg(pattern=0)},
            ],
        )
    )
    a, b, c = PhotoTrace.objects.order_by("photo_id").values_list("dhash", flat=True)
    assert distance(a, b) <= 4 and distance(a, c) > 10
