"""The assistance lists to Excel (issue 18, build item 3): households not yet paired, those overdue for a
visit and the helpers export the page's columns and rows, scoped and filtered as the page; another county's
user gets none of them, a helper only their own."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from fupin.assistance import selectors, services
from tests import factories

from .conftest import pair

pytestmark = pytest.mark.django_db


def _export(client, name, **params):
    response = client.get(reverse("core:export_start", args=[name]), params)
    if response.status_code != 200:
        return response.status_code, []
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return 200, [[c.value for c in row] for row in sheet.iter_rows()]


def test_unpaired_households(client, users, county_user, make_helper):
    alone = factories.make_household(head="未结对")
    paired = factories.make_household(head="已结对")
    pair(paired, make_helper(), county_user)
    client.force_login(county_user)
    page = client.get(reverse("assistance:unpaired")).content.decode()
    assert reverse("core:export_start", args=["assistance.unpaired"]) in page
    status, rows = _export(client, "assistance.unpaired")
    assert status == 200 and rows[0][:3] == ["户编号", "户主", "行政村"]
    assert [r[0] for r in rows[1:]] == [alone.number] and rows[1][1] == "未结对"
    assert isinstance(rows[1][3], (int, float))
    # the page's region filter: a village elsewhere in the county has none of them
    assert _export(client, "assistance.unpaired", region=factories.VILLAGE[:9] + "999")[1][1:] == []
    client.force_login(users["other_county"])
    assert _export(client, "assistance.unpaired")[1][1:] == []
    # a region outside the user's scope is ignored as on the page: still none of ours
    assert _export(client, "assistance.unpaired", region=factories.VILLAGE)[1][1:] == []


def test_overdue_visits(client, users, county_user, make_helper):
    services.update_settings(
        by=county_user, county_code=factories.VILLAGE[:6], load_cap=10, visit_interval_days=60
    )
    late = factories.make_household(head="逾期户")
    recent = factories.make_household(head="新结对")
    helper = make_helper("王建国")
    pair(late, helper, county_user, days_ago=90)
    pair(recent, helper, county_user, days_ago=10)
    client.force_login(county_user)
    page = client.get(reverse("assistance:overdue")).content.decode()
    assert reverse("core:export_start", args=["assistance.overdue"]) in page
    status, rows = _export(client, "assistance.overdue")
    on_page = [h.number for h in selectors.overdue_households(county_user)]
    assert status == 200 and [r[0] for r in rows[1:]] == on_page == [late.number]
    assert rows[1][3] == "王建国" and rows[1][4] == "尚未走访" and rows[1][6] >= 30
    client.force_login(users["other_county"])
    assert _export(client, "assistance.overdue")[1][1:] == []


def test_helpers(client, users, county_user, make_helper, helper_with_login):
    make_helper("王建国", phone="13907970001")
    client.force_login(county_user)
    page = client.get(reverse("assistance:helpers")).content.decode()
    assert reverse("core:export_start", args=["assistance.helpers"]) in page
    status, rows = _export(client, "assistance.helpers")
    assert status == 200 and sorted(r[0] for r in rows[1:]) == ["李帮扶", "王建国"]
    wang = next(r for r in rows[1:] if r[0] == "王建国")
    assert wang[4] == "13907970001" and wang[6] == 0  # the phone as the page shows it, the load a number
    assert [r[0] for r in _export(client, "assistance.helpers", q="王")[1][1:]] == ["王建国"]
    # a helper sees only themselves, as on the page
    client.force_login(helper_with_login.user)
    assert [r[0] for r in _export(client, "assistance.helpers")[1][1:]] == ["李帮扶"]
    client.force_login(users["other_county"])
    assert _export(client, "assistance.helpers")[1][1:] == []


def test_helpers_phones_are_masked_for_roles_that_do_not_see_identifiers(client, users, make_helper):
    """Issue 17 (finding: the helpers page, a helper's page and the export showed every reader the phones in
    full, where other pages and the API mask them by role)."""
    helper = make_helper("王建国", phone="13907970001")
    pages = [reverse("assistance:helpers"), reverse("assistance:helper", args=[helper.pk])]
    for who in ("prefecture", "province"):
        client.force_login(users[who])
        for url in pages:
            page = client.get(url)
            assert page.status_code == 200 and "13907970001" not in page.content.decode(), (who, url)
            assert "139****0001" in page.content.decode(), (who, url)
        status, rows = _export(client, "assistance.helpers")
        assert status == 200 and [r[4] for r in rows[1:]] == ["139****0001"], who
    client.force_login(users["county"])  # a role that works with identifiers sees it, as on other pages
    for url in pages:
        assert "13907970001" in client.get(url).content.decode()
    assert [r[4] for r in _export(client, "assistance.helpers")[1][1:]] == ["13907970001"]


def test_helper_units(client, users, unit, make_helper, helper_with_login):
    from fupin.assistance import roster

    make_helper("王建国")
    roster.create_unit(
        by=users["other_county"], name="他县单位", region_code=factories.OTHER_COUNTY_VILLAGE[:6]
    )
    client.force_login(users["county"])
    page = client.get(reverse("assistance:units")).content.decode()
    assert reverse("core:export_start", args=["assistance.units"]) in page
    status, rows = _export(client, "assistance.units")
    assert status == 200 and rows[0][:3] == ["单位名称", "单位类型", "帮扶区域"]
    assert [r[0] for r in rows[1:]] == ["信丰县农业农村局"] and rows[1][5] == 2  # helpers at work, a number
    client.force_login(users["township"])  # a county's units work in its townships: as on the page
    assert [r[0] for r in _export(client, "assistance.units")[1][1:]] == ["信丰县农业农村局"]
    client.force_login(users["other_county"])
    assert [r[0] for r in _export(client, "assistance.units")[1][1:]] == ["他县单位"]
    client.force_login(users["liaison"])
    assert _export(client, "assistance.units")[1][1:] == []


def test_handbook_batches(client, users, helper_with_login):
    from fupin.assistance.models import HandbookBatch

    HandbookBatch.objects.create(village_id=factories.VILLAGE, requested_by=users["county"], total=12, done=5)
    client.force_login(users["township"])
    page = client.get(reverse("assistance:batches")).content.decode()
    assert reverse("core:export_start", args=["assistance.handbook_batches"]) in page
    status, rows = _export(client, "assistance.handbook_batches")
    assert status == 200 and rows[0][0] == "行政村" and len(rows) == 2
    assert rows[1][2] == str(users["county"]) and (rows[1][5], rows[1][6]) == (5, 12)
    client.force_login(users["other_county"])
    assert _export(client, "assistance.handbook_batches")[1][1:] == []
    client.force_login(helper_with_login.user)  # a helper prints household by household, as the page says
    assert _export(client, "assistance.handbook_batches")[0] == 403
    assert client.get(reverse("assistance:batches")).status_code == 403
