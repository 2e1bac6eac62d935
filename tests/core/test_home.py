"""Issue 18, finding 1: every role's first screen after sign-in is a page made for it, never a 403."""

import pytest
from django.urls import reverse

from tests import factories


@pytest.mark.parametrize(
    "role", ["clerk", "team", "township", "county", "prefecture", "province", "liaison", "admin"]
)
def test_every_role_lands_on_a_page_it_may_open(client, users, role):
    client.force_login(users[role])
    response = client.get("/", follow=True)
    assert response.status_code == 200, (role, response.redirect_chain)
    if role == "liaison":
        assert response.redirect_chain[-1][0] == reverse("monitoring:check_list")
        assert f'href="{reverse("registry:household_list")}"' not in response.content.decode()


def test_a_helper_lands_on_their_households_and_finds_their_helper_record(client, users):
    helper = factories.paired_helper(users["county"], factories.make_household(head="我的户"))
    client.force_login(helper.user)
    response = client.get("/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("assistance:my_households")
    page = response.content.decode()
    assert "我的户" in page and "李帮扶" in page
    assert "尚未关联帮扶责任人" not in page
    # the top bar offers no section the helper is refused
    assert f'href="{reverse("registry:household_list")}"' not in page
