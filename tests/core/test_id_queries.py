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


class Journey:
    """A signed-in client that keeps the request line of every request it makes (what a server's or a proxy's
    access log keeps), following redirects."""

    def __init__(self, client):
        self.client, self.lines = client, []

    def get(self, address, **headers):
        self.lines.append(f"GET {address}")
        return self.client.get(address, **headers)

    def post(self, address, data, **headers):
        self.lines.append(f"POST {address}")
        response = self.client.post(address, data, **headers)
        assert response.status_code == 303, response.status_code
        return self.get(response["Location"], **headers)


LINK = re.compile(r'(?:href|hx-get)="([^"]*[?&](?:q|id_number)=[^"]*)"')


def links_in(page: str) -> list[str]:
    return [link.replace("&amp;", "&") for link in LINK.findall(page)]


def test_no_request_line_of_an_id_number_search_journey_carries_the_number(client, users, found, other):
    """The finding: the first request of a search carried the number in its URL, logged by any proxy."""
    number = number_of(found)
    client.force_login(users["clerk"])
    journey = Journey(client)
    page = journey.get(LIST).content.decode()
    assert f'action="{reverse("core:id_search")}"' in page and 'method="post"' in page
    typed = [number[:4], number[-6:], number]  # the first digits typed (live search), the last six, all
    for query in typed:
        answer = journey.post(reverse("core:id_search"), {"q": query, "status": "", "next": LIST})
        assert answer.status_code == 200
        if query != number[:4]:
            assert found.number in answer.content.decode() and other.number not in answer.content.decode()
        links = links_in(answer.content.decode())
        assert links or query == number[:4]  # its export links, with the page's filters, once it finds rows
        for link in links:
            assert journey.get(link).status_code in (200, 302)
    # the live search, through htmx: the results fragment, its address pushed with the token
    htmx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": f"http://testserver{LIST}"}
    answer = journey.post(reverse("core:id_search"), {"q": number, "next": LIST}, **htmx)
    assert found.number in answer.content.decode() and "<html" not in answer.content.decode()
    for link in links_in(answer.content.decode()):
        journey.get(link, **htmx)
    for line in journey.lines:
        for query in typed:
            assert query not in line, line


def test_the_access_log_search_by_id_number_carries_no_number_either(client, users, found):
    number = number_of(found)
    client.force_login(users["county"])
    journey = Journey(client)
    page = journey.post(reverse("core:id_search"), {"id_number": number, "next": reverse("access:log")})
    assert page.status_code == 200
    [export] = [link for link in links_in(page.content.decode()) if "export" in link]
    assert journey.get(export).status_code == 200
    assert all(number not in line for line in journey.lines), journey.lines


def test_the_search_refuses_another_sites_address_and_answers_posts_only(client, users):
    client.force_login(users["clerk"])
    for target in ("https://evil.example/", "//evil.example/x", "/api/v1/households/", "", f"{LIST}?q=1"):
        answer = client.post(reverse("core:id_search"), {"q": "360722", "next": target})
        assert answer.status_code == 400 and "evil" not in answer.get("Location", ""), target
    assert client.get(reverse("core:id_search")).status_code == 405
    client.logout()
    assert client.post(reverse("core:id_search"), {"q": "1", "next": LIST}).status_code == 302  # to sign in
