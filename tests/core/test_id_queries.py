"""A search by ID number leaves no number in the address the browser keeps (issue 17): the page answers as
asked and names a token address for the history; the token finds the same households in its own session
only."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from fupin.core.id_queries import SESSION_KEY
from fupin.registry import codes
from tests import factories

pytestmark = pytest.mark.django_db
LIST = reverse("registry:household_list")
REPLACE = re.compile(r'<meta name="fupin-replace-url" content="([^"]+)">')


@pytest.fixture
def found(users):
    return factories.make_household(head="张三丰")


@pytest.fixture
def other(users):
    return factories.make_household(head="欧阳修")


def number_of(household) -> str:
    return household.members.get(relation=codes.Relation.HEAD).id_number


def test_the_page_names_a_token_address_without_the_number(client, users, found, other):
    number = number_of(found)
    client.force_login(users["clerk"])
    for query in (number, number[-6:]):
        page = client.get(LIST, {"q": query, "status": ""}).content.decode()
        assert found.number in page and other.number not in page
        address = REPLACE.search(page).group(1).replace("&amp;", "&")
        assert query not in address and "q=~" in address and "status=" in address
        again = client.get(address).content.decode()  # the token, in the same session: the same search
        assert found.number in again and other.number not in again
        assert query not in REPLACE.search(again).group(1)


def test_a_token_means_nothing_in_another_session(client, users, found, other):
    client.force_login(users["clerk"])
    page = client.get(LIST, {"q": number_of(found)}).content.decode()
    address = REPLACE.search(page).group(1).replace("&amp;", "&")
    stranger = Client()
    stranger.force_login(users["clerk"])  # the same user, another session
    answer = stranger.get(address)
    assert answer.status_code == 200 and number_of(found) not in answer.content.decode()
    assert SESSION_KEY not in stranger.session


def test_an_htmx_search_pushes_the_token_address(client, users, found):
    number = number_of(found)
    client.force_login(users["clerk"])
    answer = client.get(
        LIST, {"q": number}, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=f"http://testserver{LIST}"
    )
    assert answer.status_code == 200 and found.number in answer.content.decode()
    assert number not in answer["HX-Push-Url"] and "q=~" in answer["HX-Push-Url"]


def test_other_searches_and_the_api_are_left_alone(client, users, found):
    client.force_login(users["clerk"])
    page = client.get(LIST, {"q": "张三丰"}).content.decode()
    assert found.number in page and not REPLACE.search(page)
    answer = client.get("/api/v1/households/", {"q": number_of(found)})
    assert "HX-Push-Url" not in answer and SESSION_KEY not in client.session


def test_the_access_log_filter_by_id_number_hides_it_too(client, users, found):
    client.force_login(users["county"])
    page = client.get(reverse("access:log"), {"id_number": number_of(found)}).content.decode()
    assert number_of(found) not in REPLACE.search(page).group(1)
