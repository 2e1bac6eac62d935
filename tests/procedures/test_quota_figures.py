"""Issue 18, findings 7 and 8: the quota figures agree on every page, and the allocation pages'
breadcrumbs never link to a region above the reader."""

import re

import pytest
from django.urls import reverse

from fupin.procedures import selectors, services
from tests import factories

from .conftest import YEAR, applicant, at
from .test_identification import _survey_and_appraise


@pytest.fixture
def surveyed(users, quota):
    clerk = users["clerk"]
    households = [applicant("赵一", "2000"), applicant("钱二", "2500"), applicant("孙三", "3000")]
    batch = services.open_batch(
        by=clerk, village_code=factories.VILLAGE, kind="identification", year=YEAR, now=at(0)
    )
    services.add_households(
        batch, by=clerk, household_ids=[h.pk for h in households], primary_cause="illness", now=at(0)
    )
    services.complete_application(batch, by=clerk, now=at(1))
    _survey_and_appraise(batch.__class__.objects.get(pk=batch.pk), clerk, day=2)
    return batch


def test_the_village_quota_page_counts_what_the_batch_and_the_township_table_count(client, users, surveyed):
    used = selectors.quota_usage(factories.VILLAGE, YEAR)["used"]
    assert used == 6  # three households of two persons, selected
    client.force_login(users["clerk"])
    batch_page = client.get(reverse("procedures:batch_detail", args=[surveyed.pk])).content.decode()
    assert f"已用 {used} 人" in batch_page
    village_page = client.get(
        reverse("procedures:quotas"), {"year": YEAR, "region": factories.VILLAGE}
    ).content.decode()
    assert f"已用于识别 {used} 人" in village_page and f"已入围和已公告 {used} 人" in village_page
    client.force_login(users["township"])
    township_page = client.get(reverse("procedures:quotas"), {"year": YEAR}).content.decode()
    row = re.search(r"南山居委会</a></td>.*?<td data-label=\"已用\">(\d+)</td>", township_page, re.S)
    assert row and int(row.group(1)) == used
    assert f"已用于识别 {used} 人" in township_page


@pytest.mark.parametrize("url", ["procedures:quotas", "procedures:plans"])
def test_the_allocation_breadcrumbs_start_at_the_readers_own_region(client, users, quota, url):
    client.force_login(users["township"])
    page = client.get(reverse(url), {"year": YEAR, "region": factories.VILLAGE}).content.decode()
    linked = set(re.findall(r"region=(\d+)", page))
    assert factories.VILLAGE[:9] in linked
    assert not {code for code in linked if len(code) < 9}, linked
