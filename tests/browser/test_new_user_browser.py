"""Issue 18: what a first-time user meets, in a real browser: the income form keeps what was typed and shows
the per-person figure as it is typed (finding 2); pages fit a 390×844 phone with no horizontal scrolling
(finding 9)."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import phone_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_income_form_shows_the_per_person_figure_and_keeps_amounts_across_a_year_change(
    users, login, page
):
    household = factories.make_household(income="3500.00", year=2025)  # two persons
    login("clerk")
    page.goto(page.base_url + reverse("registry:income_record", args=[household.pk]) + "?year=2026")
    figure = page.locator("output[data-per-capita]")
    page.fill("input[name=wages]", "8000")
    page.fill("input[name=production]", "1000.50")
    page.fill("input[name=productive_expenditure]", "500")
    expect(figure).to_have_text("4,250.25")  # (8000 + 1000.50 − 500) ÷ 2
    page.fill("input[name=household_size]", "3")
    expect(figure).to_have_text("2,833.50")
    page.select_option("select[name=year]", "2024")
    page.wait_for_function(
        "document.querySelector('select[name=year]').value === '2024' && "
        "document.querySelector('input[name=wages]').value === '8000'"
    )
    assert page.input_value("input[name=production]") == "1000.50"
    # the reloaded form works its figure out after the swap: wait for it, as a reader would
    expect(page.locator("output[data-per-capita]")).to_have_text("2,833.50")


OUTSIDE = """() => {
  const width = Math.min(window.innerWidth, window.screen.width), found = [];
  const page = document.documentElement.scrollWidth;
  if (page > width) found.push("document " + page);
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (!box.width || box.right <= width + 1) continue;
    let up = el.parentElement, scrolls = false;
    for (; up && up !== document.body; up = up.parentElement) {
      if (["auto", "scroll"].includes(getComputedStyle(up).overflowX)) { scrolls = true; break; }
    }
    if (!scrolls) found.push(el.tagName.toLowerCase() + "." + el.className + " " + Math.round(box.right));
  }
  return found.slice(0, 5);
}"""


def _overflow(page) -> list[str]:
    """What sticks out of the screen (beyond the document's width, or outside a scrolling box); [] when it
    fits."""
    return page.evaluate(OUTSIDE)


def test_the_public_notice_the_visit_form_and_the_statistics_fit_a_phone(users, browser, live_server):
    from fupin.assistance import roster
    from fupin.assistance import services as assistance
    from fupin.procedures import notices, quotas, selection, village_profiles
    from fupin.procedures import services as procedures
    from tests.procedures.conftest import YEAR, applicant, upload, votes_for_all

    clerk = users["clerk"]
    village_profiles.save_village_profile(
        by=users["admin"], village_code=factories.VILLAGE, year=YEAR, estimated_poor=10
    )
    quotas.set_county_allocation(
        by=users["county"], county_code="360722", year=YEAR, persons=10, basis="estimated_poor"
    )
    households = [applicant(name, "2000") for name in ("赵一", "钱二", "孙三")]
    batch = procedures.open_batch(by=clerk, village_code=factories.VILLAGE, kind="identification", year=YEAR)
    procedures.add_households(
        batch, by=clerk, household_ids=[h.pk for h in households], primary_cause="illness"
    )
    procedures.complete_application(batch, by=clerk)
    batch.refresh_from_db()
    selection.complete_survey(batch, by=clerk)
    batch.refresh_from_db()
    selection.record_appraisal(
        batch,
        by=clerk,
        held_on=batch.opened_at.date(),
        representatives=9,
        present=9,
        votes=votes_for_all(batch, 9),
        minutes=upload(),
    )
    notice = notices.post_notice(batch, by=clerk, photo=upload())
    poor = factories.make_household(head="钱多多")
    unit = roster.create_unit(by=users["county"], name="信丰县农业农村局", region_code="360722")
    helper = roster.create_helper(
        by=users["county"], unit=unit, name="李帮扶", phone="13907970001", region_code="360722100"
    )
    assistance.pair_household(poor, helper, by=users["county"], started_on=batch.opened_at.date())

    context, phone = phone_page(browser, live_server)
    try:
        base = live_server.url
        phone.goto(base + reverse("disclosure:notice_detail", args=[notice.pk]))
        assert phone.locator("text=赵一").first.is_visible()
        assert _overflow(phone) == [], "public notice"
        phone.goto(base + "/accounts/login/")
        phone.fill("input[name=username]", "county")
        phone.fill("input[name=password]", "pw-secret-123")
        phone.click("button[type=submit]")
        phone.wait_for_load_state()
        for name, url in [
            ("visit form", reverse("assistance:add_visit", args=[poor.pk])),
            ("statistics", reverse("reports:dashboard")),
            ("household list", reverse("registry:household_list")),
            ("batch", reverse("procedures:batch_detail", args=[batch.pk])),
        ]:
            phone.goto(base + url)
            phone.wait_for_load_state()
            assert _overflow(phone) == [], (name, " / ".join(_overflow(phone)))
        # the visit form's labels are not squeezed to a character a line
        phone.goto(base + reverse("assistance:add_visit", args=[poor.pk]))
        narrowest = phone.evaluate(
            "Math.min(...[...document.querySelectorAll('main label, main fieldset td')]"
            ".filter(l => l.offsetParent && l.innerText.trim() && !l.matches('.sr-only'))"
            ".map(l => l.getBoundingClientRect().width))"
        )
        assert narrowest >= 64  # a label of a few characters fits on a line
    finally:
        context.close()


SECTIONS = [
    ("assistance:index", "帮扶单位"),
    ("monitoring:index", "回头看"),
    ("procedures:batch_list", "规模控制"),
    ("funds:index", "项目库"),
    ("reports:dashboard", "统计报表"),
]


def test_every_section_has_one_clickable_sub_menu_and_the_top_bar_stays_on_one_line(users, login, page):
    login("county")
    for home, link in SECTIONS:
        page.goto(page.base_url + reverse(home))
        menu = page.locator("main nav.subnav")
        assert menu.count() == 1, home
        assert menu.locator("[aria-current=page]").count() == 1, home
        menu.get_by_role("link", name=link, exact=True).click()  # fails when something covers the menu
        page.wait_for_load_state()
        assert page.locator("main nav.subnav [aria-current=page]").inner_text() == link, home
        rows = page.evaluate(
            "new Set([...document.querySelectorAll('.mainnav a')].map(a => a.offsetTop)).size"
        )
        assert rows == 1, home
