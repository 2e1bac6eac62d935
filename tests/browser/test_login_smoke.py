import pytest

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_clerk_logs_in_and_lands_on_household_list(users, login):
    page = login("clerk")
    assert "/households/" in page.url


def test_a_page_whose_fragments_load_together_gets_every_one(users, login):
    """A household page loads its loans and its change requests at once; on the in-memory test database
    the live server once ran both in the one connection together and answered 503 (CI lost the loans)."""
    household = factories.make_household(head="王建国")
    page = login("county")
    page.goto(f"{page.base_url}/households/{household.pk}/")
    statuses = page.evaluate(
        """async (pk) => {
            const urls = [];
            for (let i = 0; i < 12; i++) {
                urls.push(`/funds/households/${pk}/loans/`, `/changes/household/${pk}/`);
                urls.push(`/households/${pk}/`);
            }
            const answers = await Promise.all(urls.map((u) => fetch(u, {headers: {"HX-Request": "true"}})));
            return answers.map((a) => a.status);
        }""",
        household.pk,
    )
    assert statuses == [200] * 36
