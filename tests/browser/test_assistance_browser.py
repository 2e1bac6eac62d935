"""A helper's day: sign in, see only their own households, record a visit with a photo, update a measure."""

import datetime

import pytest
from django.utils import timezone
from PIL import Image

from fupin.assistance import roster, services
from fupin.assistance.models import MeasureCatalogue, MeasureStatus
from tests import factories
from tests.assistance.conftest import load_catalogue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_helper_records_a_visit_with_a_photo_and_updates_a_measure(users, login, page, tmp_path):
    load_catalogue()
    county = users["county"]
    today = timezone.localdate()
    unit = roster.create_unit(by=county, name="信丰县农业农村局", region_code=factories.VILLAGE[:6])
    helper = roster.create_helper(
        by=county, unit=unit, name="李帮扶", phone="13907970001", region_code=factories.VILLAGE[:9]
    )
    roster.give_helper_login(helper, by=county, username="lihelper", password="pw-secret-123")
    other = roster.create_helper(
        by=county, unit=unit, name="王同事", phone="13907970002", region_code=factories.VILLAGE[:9]
    )
    mine = factories.make_household(head="欧阳明")
    theirs = factories.make_household(head="司马亮")
    services.pair_household(mine, helper, by=county, started_on=today - datetime.timedelta(days=90))
    services.pair_household(theirs, other, by=county, started_on=today - datetime.timedelta(days=90))
    services.save_plan(mine, by=county, target_exit_year=today.year)
    services.add_measure(
        mine,
        by=county,
        catalogue=MeasureCatalogue.objects.get(code="breeding"),
        content="养殖生猪10头",
        year=today.year,
        deadline=datetime.date(today.year, 12, 31),
        planned_amount="6000",
    )
    photo = tmp_path / "visit.jpg"
    Image.new("RGB", (64, 48), (30, 120, 60)).save(photo, "JPEG")

    login("lihelper")
    page.goto(page.base_url + "/assistance/")
    assert "/assistance/mine/" in page.url
    body = page.inner_text("main")
    assert "欧阳明" in body and "司马亮" not in body
    assert page.goto(page.base_url + f"/assistance/households/{theirs.pk}/").status == 404

    page.goto(page.base_url + "/assistance/mine/")
    with page.expect_navigation():
        page.click("text=记录走访")
    page.fill("textarea[name=findings]", "生猪长势良好，家中老人身体稳定")
    page.select_option("select[name=g_food]", "1")
    page.select_option("select[name=g_housing]", "0")
    page.fill("input[name=note_housing]", "厨房墙体开裂")
    page.set_input_files("input[name=photos]", str(photo))
    with page.expect_navigation():
        page.click("button:has-text('保存走访记录')")
    assert "走访记录已保存" in page.inner_text("main")
    assert "生猪长势良好" in page.inner_text("#visits")
    assert page.locator("#visits img").count() == 1
    assert page.evaluate("document.querySelector('#visits img').naturalWidth") == 64

    with page.expect_navigation():
        page.click("text=更新进展")
    page.select_option("select[name=status]", "done")
    page.fill("input[name=actual_amount]", "5800")
    page.fill("input[name=income_increase]", "3000")
    page.fill("textarea[name=result]", "出栏生猪10头，增收3000元")
    with page.expect_navigation():
        page.click("main button:has-text('保存')")
    assert "出栏生猪10头" in page.inner_text("#measures")
    measure = mine.help_plan.measures.get()
    assert measure.status == MeasureStatus.DONE and str(measure.actual_amount) == "5800.00"
    assert mine.visits.get().photos.count() == 1
