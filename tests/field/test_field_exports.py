"""Every table to Excel (issue 18): the field app's lists, the sync conflicts and the county's devices,
export the page's columns and rows, masked and scoped as the page: a phone stays masked, a sibling village
gets none of the rows, a role without the page is refused as the page refuses it."""

import pytest
from django.urls import reverse

from fupin.registry import services as registry
from tests import factories
from tests.core.test_table_inventory import _export

from .test_merge import edit

pytestmark = pytest.mark.django_db


def test_the_sync_conflicts_export_masks_the_phone_and_keeps_the_page_scope(clerk_phone, users, client):
    household = factories.make_household(head="孙八")
    downloaded = clerk_phone.work_set().json()
    registry.update_member(household.members.order_by("id").first(), by=users["team"], phone="13900000001")
    clerk_phone.sync(edit(clerk_phone, household, downloaded, {"phone": "13911112222"}, {})[0])
    client.force_login(users["township"])
    page = client.get(reverse("field:conflicts")).content.decode()
    assert reverse("core:export_start", args=["field.conflicts"]) in page
    status, rows = _export(client, "field.conflicts")
    assert status == 200 and rows[0][:4] == ["户编号", "户主", "记录", "项目"]
    assert len(rows) == 2 and rows[1][1] == "孙八" and rows[1][6] == "139****2222"
    assert "13911112222" not in str(rows) and "13900000001" not in str(rows)
    client.force_login(users["sibling_clerk"])
    assert _export(client, "field.conflicts")[1][1:] == []
    client.force_login(users["prefecture"])
    assert _export(client, "field.conflicts")[0] == 403  # as the page: the village, township and county's
    assert client.get(reverse("field:conflicts")).status_code == 403


def test_the_devices_export_is_the_county_office_s_own(clerk_phone, users, client):
    client.force_login(users["county"])
    page = client.get(reverse("field:devices")).content.decode()
    assert reverse("core:export_start", args=["field.devices"]) in page
    status, rows = _export(client, "field.devices")
    assert status == 200 and rows[0] == ["用户", "设备", "签发时间", "令牌有效期至", "最近同步", "状态"]
    assert len(rows) == 2 and rows[1][1] == "测试手机" and rows[1][5] == "在用"
    client.force_login(users["other_county"])
    assert _export(client, "field.devices")[1][1:] == []
    client.force_login(users["township"])
    assert _export(client, "field.devices")[0] == 403
