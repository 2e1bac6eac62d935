"""The procedure batches' list to Excel (issue 18, build item 3): the page's columns and rows for this user,
filtered as the page (year, procedure); another county's user gets none of them."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from fupin.procedures import services
from tests import factories

from .conftest import YEAR, applicant, at

pytestmark = pytest.mark.django_db


def _export(client, name, **params):
    response = client.get(reverse("core:export_start", args=[name]), params)
    if response.status_code != 200:
        return response.status_code, []
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return 200, [[c.value for c in row] for row in sheet.iter_rows()]


def test_batches_list(client, users):
    household = applicant("钱二", "2000")
    batch = services.open_batch(
        by=users["clerk"], village_code=factories.VILLAGE, kind="identification", year=YEAR, now=at(0)
    )
    services.add_households(
        batch, by=users["clerk"], household_ids=[household.pk], primary_cause="illness", now=at(0)
    )
    client.force_login(users["county"])
    page = client.get(reverse("procedures:batch_list"), {"year": YEAR}).content.decode()
    assert reverse("core:export_start", args=["procedures.batches"]) in page
    status, rows = _export(client, "procedures.batches", year=YEAR)
    assert status == 200 and len(rows) == 2
    assert rows[1][0] == YEAR and rows[1][2] == batch.village.name and rows[1][6] == 1 and rows[1][7] == 0
    assert _export(client, "procedures.batches", year=YEAR, kind="exit")[1][1:] == []
    assert _export(client, "procedures.batches", year=YEAR - 1)[1][1:] == []
    client.force_login(users["other_county"])
    assert _export(client, "procedures.batches", year=YEAR)[1][1:] == []
    client.force_login(users["liaison"])
    assert _export(client, "procedures.batches", year=YEAR)[1][1:] == []


def test_the_batches_page_says_it_shows_the_first_and_the_export_holds_all(client, users, monkeypatch):
    from fupin.procedures import views

    monkeypatch.setattr(views, "BATCHES_SHOWN", 1)
    for clerk, village in (("clerk", factories.VILLAGE), ("sibling_clerk", factories.SIBLING_VILLAGE)):
        services.open_batch(
            by=users[clerk], village_code=village, kind="identification", year=YEAR, now=at(0)
        )
    client.force_login(users["county"])
    page = client.get(reverse("procedures:batch_list"), {"year": YEAR}).content.decode()
    assert "显示前 1 条，共 2 条；导出包含全部。" in page
    assert len(_export(client, "procedures.batches", year=YEAR)[1]) == 3  # headings and both batches
    client.force_login(users["clerk"])  # one batch of its own: all of it shown, nothing to say
    assert "显示前" not in client.get(reverse("procedures:batch_list"), {"year": YEAR}).content.decode()


def test_the_village_profiles_export_the_page_s_rows(client, users):
    from decimal import Decimal

    from fupin.procedures import village_profiles

    village_profiles.save_village_profile(
        by=users["clerk"],
        village_code=factories.VILLAGE,
        year=YEAR,
        rural_population=1200,
        estimated_poor=80,
        collective_income=Decimal("52000"),
    )
    client.force_login(users["county"])
    page = client.get(reverse("procedures:villages"), {"year": YEAR}).content.decode()
    assert reverse("core:export_start", args=["procedures.villages"]) in page
    status, rows = _export(client, "procedures.villages", year=YEAR)
    assert status == 200 and rows[0][:4] == ["行政村", "贫困村", "农业人口", "测算贫困人口"]
    assert len(rows) == 2 and rows[1][2:4] == [1200, 80] and Decimal(str(rows[1][4])) == Decimal("52000")
    # the exit conditions: all met, or those missed with the village's figure, as on the page
    assert rows[1][5] and all(part in page for part in rows[1][5].split(" "))
    assert _export(client, "procedures.villages", year=YEAR - 1)[1][1:] == []
    client.force_login(users["other_county"])
    assert _export(client, "procedures.villages", year=YEAR)[1][1:] == []
