"""Visits (走访) and the households overdue for one, per county's visit frequency."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from fupin.assistance import roster, selectors, services
from fupin.assistance.models import VisitPhoto
from tests import factories

from .conftest import TODAY, pair


def png(name: str = "visit.png") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 60, 40)).save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def days(n: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=n)


def visit(household, by, when, **kw):
    return services.record_visit(household, by=by, visited_on=when, findings="生产生活正常", **kw)


def test_overdue_uses_the_last_visit_or_the_pairing_date(users, county_user, make_helper):
    helper = make_helper()
    services.update_settings(
        by=county_user, county_code=factories.VILLAGE[:6], load_cap=10, visit_interval_days=60
    )
    never_visited_old = factories.make_household(head="甲")
    never_visited_new = factories.make_household(head="乙")
    visited_long_ago = factories.make_household(head="丙")
    visited_recently = factories.make_household(head="丁")
    on_the_day = factories.make_household(head="戊")
    unpaired = factories.make_household(head="己")
    pair(never_visited_old, helper, county_user, days_ago=90)
    pair(never_visited_new, helper, county_user, days_ago=10)
    for h in (visited_long_ago, visited_recently, on_the_day):
        pair(h, helper, county_user, days_ago=300)
    visit(visited_long_ago, county_user, days(61))
    visit(visited_long_ago, county_user, days(200))
    visit(visited_recently, county_user, days(5))
    visit(on_the_day, county_user, days(60))  # due today: not yet late
    overdue = list(selectors.overdue_households(county_user, today=TODAY))
    assert {h.head_name for h in overdue} == {"甲", "丙"}
    assert unpaired.pk not in {h.pk for h in overdue}
    by_name = {h.head_name: selectors.visit_due(h, today=TODAY) for h in overdue}
    assert by_name["甲"]["days_late"] == 30 and by_name["丙"]["days_late"] == 1
    assert (
        selectors.coverage_by_region(county_user, factories.VILLAGE[:6], today=TODAY)["total"]["overdue"] == 2
    )


def test_each_county_has_its_own_frequency(users, make_helper, unit):
    county, other = users["county"], users["other_county"]
    here = factories.make_household(head="本县")
    there = factories.make_household(factories.OTHER_COUNTY_VILLAGE, head="外县")
    pair(here, make_helper(), county, days_ago=45)
    other_unit = roster.create_unit(
        by=other, name="大余县人社局", region_code=factories.OTHER_COUNTY_VILLAGE[:6]
    )
    far_helper = roster.create_helper(
        by=other,
        unit=other_unit,
        name="外县干部",
        phone="13900000009",
        region_code=factories.OTHER_COUNTY_VILLAGE[:6],
    )
    pair(there, far_helper, other, days_ago=45)
    services.update_settings(
        by=other, county_code=factories.OTHER_COUNTY_VILLAGE[:6], load_cap=5, visit_interval_days=30
    )
    admin = users["admin"]
    assert {h.head_name for h in selectors.overdue_households(admin, today=TODAY)} == {
        "外县"
    }  # 本县 uses the default 60
    services.update_settings(by=county, county_code=factories.VILLAGE[:6], load_cap=5, visit_interval_days=40)
    assert {h.head_name for h in selectors.overdue_households(admin, today=TODAY)} == {"外县", "本县"}
    assert {h.head_name for h in selectors.overdue_households(county, today=TODAY)} == {"本县"}


def test_a_visit_keeps_photos_and_guarantees_checked(users, county_user, helper_with_login):
    household = factories.make_household()
    pair(household, helper_with_login, county_user)
    user = helper_with_login.user
    with pytest.raises(services.AssistanceError) as e:
        visit(household, user, TODAY, guarantees={"housing": False})
    assert "note_housing" in e.value.errors
    v = visit(
        household,
        user,
        TODAY,
        guarantees={"food": True, "housing": False},
        guarantee_notes={"housing": "屋顶漏雨，已报乡镇危房改造"},
        photos=[png(), png("b.png")],
    )
    assert v.helper == helper_with_login
    assert v.guarantees == {"food": True, "housing": False}
    assert VisitPhoto.objects.filter(visit=v).count() == 2


def test_a_file_that_is_not_an_image_is_refused(users, county_user, make_helper):
    household = factories.make_household()
    pair(household, make_helper(), county_user)
    fake = SimpleUploadedFile("x.jpg", b"not an image at all", content_type="image/jpeg")
    with pytest.raises(services.AssistanceError) as e:
        visit(household, county_user, TODAY, photos=[fake])
    assert "不是有效的图片" in e.value.errors["photos"]


def test_a_helper_records_only_their_own_visits(users, county_user, helper_with_login, make_helper):
    household = factories.make_household()
    pair(household, helper_with_login, county_user)
    other = make_helper("别人")
    with pytest.raises(services.AssistanceError):
        visit(household, helper_with_login.user, TODAY, helper=other)
    # the village clerk records the visit of the paired helper by default
    assert visit(household, users["clerk"], TODAY).helper == helper_with_login


def test_visits_refuse_future_dates_and_empty_findings(users, county_user, make_helper):
    household = factories.make_household()
    pair(household, make_helper(), county_user)
    with pytest.raises(services.AssistanceError) as e:
        services.record_visit(
            household, by=county_user, visited_on=TODAY + datetime.timedelta(days=1), findings=" "
        )
    assert set(e.value.errors) >= {"visited_on", "findings"}
