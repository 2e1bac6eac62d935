"""The assistance pages over HTTP: scope, Chinese errors and no 500 on bad input."""

import io

import pytest
from django.urls import reverse
from openpyxl import Workbook

from fupin.assistance import exports
from fupin.assistance.models import Helper, HelperUnit, MeasureCatalogue, Pairing
from tests import factories

from .conftest import TODAY, pair
from .test_visits import png


@pytest.fixture
def county_client(client, county_user):
    client.force_login(county_user)
    return client


def test_overview_pages_render_for_the_county_office(county_client, county_user, make_helper):
    h = factories.make_household()
    pair(h, make_helper(), county_user)
    factories.make_household(head="未结对户")
    for name in (
        "index",
        "unpaired",
        "overdue",
        "helpers",
        "units",
        "monitoring",
        "demand",
        "batches",
        "settings",
        "import_helpers",
    ):
        response = county_client.get(reverse(f"assistance:{name}"))
        assert response.status_code == 200, name
    assert "未结对户" in county_client.get(reverse("assistance:unpaired")).content.decode()
    assert county_client.get(reverse("assistance:household", args=[h.pk])).status_code == 200
    assert county_client.get(reverse("assistance:monitoring") + "?format=xlsx")["Content-Type"].startswith(
        "application/vnd"
    )
    assert county_client.get(reverse("assistance:demand") + "?format=xlsx&year=abc").status_code == 200
    assert (
        county_client.get(reverse("assistance:monitoring") + "?period=garbage&region=xx").status_code == 200
    )


def test_household_page_has_bounded_queries(
    county_client, county_user, make_helper, django_assert_max_num_queries
):
    h = factories.make_household()
    pair(h, make_helper(), county_user)
    with django_assert_max_num_queries(30):
        assert county_client.get(reverse("assistance:household", args=[h.pk])).status_code == 200


def test_pairing_and_planning_through_the_pages(county_client, county_user, make_helper):
    h = factories.make_household()
    helper = make_helper()
    url = reverse("assistance:pair", args=[h.pk])
    response = county_client.post(url, {"helper": "not-a-number", "started_on": "2025-13-45"})
    assert response.status_code == 400
    response = county_client.post(url, {"helper": helper.pk, "started_on": TODAY.isoformat()})
    assert response.status_code == 302 and Pairing.objects.get(household=h).helper == helper
    response = county_client.post(
        reverse("assistance:save_plan", args=[h.pk]),
        {"plan_class": "development", "target_exit_year": "1999"},
    )
    assert response.status_code == 400 and "计划脱贫年度" in response.content.decode()
    assert (
        county_client.post(
            reverse("assistance:save_plan", args=[h.pk]),
            {"plan_class": "development", "target_exit_year": TODAY.year},
        ).status_code
        == 302
    )
    item = MeasureCatalogue.objects.get(code="ecommerce")
    bad = county_client.post(
        reverse("assistance:add_measure", args=[h.pk]),
        {
            "catalogue": item.pk,
            "content": "开网店",
            "year": TODAY.year,
            "deadline": TODAY.isoformat(),
            "planned_amount": "1e400",
        },
    )
    assert bad.status_code == 400
    ok = county_client.post(
        reverse("assistance:add_measure", args=[h.pk]),
        {
            "catalogue": item.pk,
            "content": "开网店",
            "year": TODAY.year,
            "deadline": TODAY.isoformat(),
            "planned_amount": "800",
        },
    )
    assert ok.status_code == 302
    m = h.help_plan.measures.get()
    url = reverse("assistance:measure", args=[m.pk])
    bad = county_client.post(
        url, {"status": "done", "deadline": TODAY.isoformat()} | factories.based_on(county_client, url)
    )
    assert bad.status_code == 400 and "帮扶成效" in bad.content.decode()


def test_a_helper_reaches_only_their_own_households(client, county_user, helper_with_login, make_helper):
    mine = factories.make_household(head="我的户")
    theirs = factories.make_household(head="别人的户")
    pair(mine, helper_with_login, county_user)
    pair(theirs, make_helper("别人"), county_user)
    client.force_login(helper_with_login.user)
    assert client.get(reverse("assistance:index")).status_code == 302
    page = client.get(reverse("assistance:my_households")).content.decode()
    assert "我的户" in page and "别人的户" not in page
    for name in ("household", "add_visit", "handbook_pdf"):
        assert client.get(reverse(f"assistance:{name}", args=[theirs.pk])).status_code == 404, name
    assert client.get(reverse("assistance:household", args=[mine.pk])).status_code == 200
    assert client.get(reverse("assistance:batches")).status_code == 403
    assert client.post(reverse("assistance:pair", args=[mine.pk]), {}).status_code == 403
    response = client.post(
        reverse("assistance:add_visit", args=[mine.pk]),
        {
            "visited_on": TODAY.isoformat(),
            "kind": "home",
            "findings": "一切正常",
            "g_food": "1",
            "g_housing": "0",
            "note_housing": "墙体开裂",
            "photos": [png()],
        },
    )
    assert response.status_code == 302
    visit = mine.visits.get()
    assert visit.helper == helper_with_login and visit.guarantees == {"food": True, "housing": False}
    photo = visit.photos.get()
    assert client.get(reverse("assistance:visit_photo", args=[photo.pk])).status_code == 200
    client.force_login(
        factories.make_user("sibling_helper_clerk", "village_clerk", factories.OTHER_TOWNSHIP_VILLAGE)
    )
    assert client.get(reverse("assistance:visit_photo", args=[photo.pk])).status_code == 404


def test_a_broken_upload_is_a_chinese_error_not_a_500(client, county_user, helper_with_login):
    h = factories.make_household()
    pair(h, helper_with_login, county_user)
    client.force_login(helper_with_login.user)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("assistance:add_visit", args=[h.pk]),
        {
            "visited_on": TODAY.isoformat(),
            "kind": "home",
            "findings": "x",
            "photos": [SimpleUploadedFile("a.jpg", b"garbage", content_type="image/jpeg")],
        },
    )
    assert response.status_code == 400 and "图片" in response.content.decode()


def _sheet(rows) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.append(["帮扶单位", "单位类型", "姓名", "帮扶身份", "职务", "联系电话", "工作区划代码", "登录名"])
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = "helpers.xlsx"
    return out


def test_helpers_import_from_a_spreadsheet(county_client, county_user):
    bad = _sheet(
        [
            ["县农业农村局", "", "王五", "", "", "139", factories.VILLAGE[:9], ""],
            ["县农业农村局", "", "赵六", "第一书记", "", "13900001111", factories.VILLAGE[:6], ""],
            ["县医院", "", "钱七", "", "", "13900002222", factories.OTHER_COUNTY_VILLAGE, ""],
        ]
    )
    response = county_client.post(reverse("assistance:import_helpers"), {"file": bad})
    assert response.status_code == 400
    body = response.content.decode()
    assert "联系电话" in body and "行政村" in body and "管辖范围" in body
    assert not Helper.objects.exists()
    good = _sheet(
        [
            [
                "县农业农村局",
                "党政机关",
                "王五",
                "",
                "副局长",
                "13900003333",
                factories.VILLAGE[:9],
                "wangwu",
            ],
            ["县农业农村局", "", "赵六", "第一书记", "", "13900001111", factories.VILLAGE, ""],
        ]
    )
    response = county_client.post(reverse("assistance:import_helpers"), {"file": good})
    assert response.status_code == 200, response.content.decode()[:500]
    assert Helper.objects.count() == 2 and HelperUnit.objects.count() == 1
    assert Helper.objects.get(name="王五").user.role == "helper"
    again = _sheet(
        [["县农业农村局", "党政机关", "王五", "", "副局长", "13900003333", factories.VILLAGE[:9], ""]]
    )
    county_client.post(reverse("assistance:import_helpers"), {"file": again})
    assert Helper.objects.count() == 2
    not_excel = io.BytesIO(b"PK\x03\x04 nonsense")
    not_excel.name = "x.xlsx"
    assert county_client.post(reverse("assistance:import_helpers"), {"file": not_excel}).status_code == 400
    assert exports.helper_template_xlsx()[:2] == b"PK"


def test_read_only_roles_cannot_write(client, users):
    h = factories.make_household()
    client.force_login(users["province"])
    assert client.get(reverse("assistance:household", args=[h.pk])).status_code == 200
    assert (
        client.post(
            reverse("assistance:save_plan", args=[h.pk]),
            {"plan_class": "development", "target_exit_year": TODAY.year},
        ).status_code
        == 403
    )
    assert client.get(reverse("assistance:settings")).status_code == 403
    client.force_login(users["other_county"])
    assert client.get(reverse("assistance:household", args=[h.pk])).status_code == 404
