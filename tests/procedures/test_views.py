"""Procedure pages through HTTP: scope, the stage forms, refusals shown as messages, never a 500."""

import re

import pytest

from fupin.procedures import services
from fupin.procedures.models import Batch, Stage
from tests import factories

from .conftest import YEAR, applicant, at


@pytest.fixture
def batch(users, quota):
    h = applicant("赵一", "2000")
    b = services.open_batch(
        by=users["clerk"], village_code=factories.VILLAGE, kind="identification", year=YEAR, now=at(0)
    )
    services.add_households(b, by=users["clerk"], household_ids=[h.pk], primary_cause="illness", now=at(0))
    return b


def test_clerk_runs_the_application_stage_through_the_page(client, users, batch):
    client.force_login(users["clerk"])
    page = client.get(f"/procedures/batches/{batch.pk}/").content.decode()
    assert "赵一" in page and "完成申请" in page
    response = client.post(f"/procedures/batches/{batch.pk}/complete_application/", follow=True)
    assert "进入调查与初选" in response.content.decode()
    assert Batch.objects.get(pk=batch.pk).stage == Stage.SURVEY


def test_refusals_are_messages_not_errors(client, users, batch):
    client.force_login(users["clerk"])
    response = client.post(f"/procedures/batches/{batch.pk}/close_notice/", follow=True)
    assert response.status_code == 200 and "只能在" in response.content.decode()
    response = client.post(
        f"/procedures/batches/{batch.pk}/appraisal/", {"representatives": "x"}, follow=True
    )
    assert response.status_code == 200
    assert client.post(f"/procedures/batches/{batch.pk}/no_such_action/").status_code == 404


def test_out_of_scope_batches_are_404(client, users, batch):
    client.force_login(users["sibling_clerk"])
    assert client.get(f"/procedures/batches/{batch.pk}/").status_code == 404
    assert client.post(f"/procedures/batches/{batch.pk}/complete_application/").status_code == 404
    client.force_login(users["other_county"])
    assert batch.village.name not in client.get("/procedures/").content.decode()


def test_pages_render_for_each_role(client, users, batch):
    for role in ("clerk", "township", "county", "province"):
        client.force_login(users[role])
        for url in (
            "/procedures/",
            f"/procedures/quotas/?year={YEAR}",
            f"/procedures/plans/?year={YEAR}",
            f"/procedures/villages/?year={YEAR}",
            f"/procedures/yearly/?year={YEAR}",
            "/procedures/?year=abc",
        ):
            assert client.get(url).status_code == 200, (role, url)
    client.force_login(users["county"])
    assert client.get("/procedures/settings/").status_code == 200
    page = client.get(f"/procedures/quotas/?year={YEAR}").content.decode()
    assert "嘉定镇" in page


def test_county_adjusts_quota_through_the_page_and_a_wrong_total_is_refused(client, users, quota):
    client.force_login(users["county"])
    page = client.get(f"/procedures/quotas/?year={YEAR}").content.decode()
    adjust_token = re.findall(r'name="based_on" value="([^"]*)"', page)[
        -1
    ]  # the adjustment's (fupin.core.versions)
    response = client.post(
        f"/procedures/quotas/?year={YEAR}",
        {
            "based_on": adjust_token,
            "action": "adjust",
            "region": "360722",
            "year": YEAR,
            "child_360722100": "1",
            "child_360722101": "2",
        },
        follow=True,
    )
    assert "与上级下达的 60 人不等" in response.content.decode()
