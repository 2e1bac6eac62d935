"""Issue 18, build item 4: the household page offers the registration form (贫困户登记表) masked and, with a
purpose,
with full ID numbers; the page still fits a 390 px phone."""

import pytest

from fupin.audit.models import AccessedPerson
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_form_prints_from_the_household_page_and_the_page_fits_a_phone(users, login, page):
    household = factories.make_household(head="张三丰")
    login("clerk")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{page.base_url}/households/{household.pk}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    masked = page.request.get(page.base_url + page.get_by_test_id("national-form").get_attribute("href"))
    assert masked.status == 200 and masked.body().startswith(b"%PDF")
    full = page.get_by_test_id("national-form-full")
    full.locator("select[name=purpose]").select_option("casework")
    with page.context.expect_page() as opened:
        full.get_by_role("button").click()
    opened.value.wait_for_load_state()
    assert AccessedPerson.objects.filter(household_id=household.pk).count() == household.members.count()
