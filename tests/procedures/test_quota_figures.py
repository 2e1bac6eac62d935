"""Issue 18, findings 7 and 8: the quota figures agree on every page, and the allocation pages'
breadcrumbs never link to a region above the reader."""

import re

import pytest
from django.urls import reverse

from fupin.procedures import selectors
from tests import factories

from .conftest import YEAR, selected_batch


@pytest.fixture
def surveyed(users, quota):
    return selected_batch(users["clerk"])


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
