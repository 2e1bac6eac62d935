import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_clerk_logs_in_and_lands_on_household_list(users, login):
    page = login("clerk")
    assert "/households/" in page.url
