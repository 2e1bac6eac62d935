"""Issue 18, finding 11: the irreversible procedure steps (完成申请, 审核通过, 复审通过并公告, and generating
and ending a notice) ask for confirmation before they are sent: their buttons carry data-confirm, which
fupin.js turns into a confirm() dialog."""

import re

import pytest
from django.urls import reverse

from fupin.procedures import services
from fupin.procedures.models import Batch, Stage
from tests import factories

from .conftest import YEAR, applicant, at


@pytest.fixture
def batch(users, quota):
    clerk = users["clerk"]
    household = applicant("钱二", "2000")
    opened = services.open_batch(
        by=clerk, village_code=factories.VILLAGE, kind="identification", year=YEAR, now=at(0)
    )
    services.add_households(
        opened, by=clerk, household_ids=[household.pk], primary_cause="illness", now=at(0)
    )
    return opened


def _confirmed_buttons(page: str, action: str) -> list[str]:
    """The data-confirm text of the buttons in the forms posting `action`."""
    forms = re.findall(r'<form[^>]*action="[^"]*/' + action + r'/"[^>]*>(.*?)</form>', page, re.S)
    return [m for f in forms for m in re.findall(r'<button[^>]*data-confirm="([^"]+)"', f)]


@pytest.mark.parametrize(
    "stage, who, action, words",
    [
        (Stage.APPLICATION, "clerk", "complete_application", "不能再增减"),
        (Stage.TOWNSHIP_REVIEW, "township", "approve", "不能撤回"),
        (Stage.COUNTY_REVIEW, "county", "announce", "不能撤回"),
    ],
)
def test_an_irreversible_step_asks_for_confirmation(client, users, batch, stage, who, action, words):
    Batch.objects.filter(pk=batch.pk).update(stage=stage)
    client.force_login(users[who])
    page = client.get(reverse("procedures:batch_detail", args=[batch.pk])).content.decode()
    confirms = _confirmed_buttons(page, action)
    assert confirms and all(words in c for c in confirms), confirms
