"""Issue 17: searching the household list by an ID number in a real browser sends no request whose line holds
the number or any part of it typed (the live search fires as the clerk types); the results and the address
kept show the token."""

import re

import pytest
from playwright.sync_api import expect

from fupin.registry import codes
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_id_number_typed_in_the_search_is_in_no_request_line(users, login, page):
    found = factories.make_household(head="张三丰")
    other = factories.make_household(head="欧阳修")
    number = found.members.get(relation=codes.Relation.HEAD).id_number
    login("clerk")
    lines: list[str] = []
    page.on("request", lambda request: lines.append(f"{request.method} {request.url}"))
    page.locator("input[name=q]").press_sequentially(number, delay=40)  # the live search fires as it goes
    expect(page.locator("#results")).to_contain_text(found.number)
    expect(page.locator("#results")).not_to_contain_text(other.number)
    page.locator("input[name=q]").press("Enter")
    expect(page.locator("#results")).to_contain_text(found.number)
    page.reload()  # the address kept: the token finds the household again in this session
    expect(page.locator("#results")).to_contain_text(found.number)
    assert "q=~" in page.url and number[-6:] not in page.url
    searches = [line for line in lines if "q=" in line or "/search/" in line]
    assert searches, lines
    for line in lines:
        assert number[6:14] not in line and number[-6:] not in line, line  # its birth date, its last digits
        assert not re.search(r"[?&;]q=[0-9]", line), line  # nor its first digits as typed
