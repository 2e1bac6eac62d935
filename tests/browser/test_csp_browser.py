"""The pages work under the Content-Security-Policy (no inline script, no eval): nothing is refused by the
browser, and htmx, the pickers that submit on change, the charts, the admin and the API docs still work."""

import pytest
from playwright.sync_api import expect

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def refusals(page):
    """Every message the browser logs about content the policy refused."""
    seen = []
    page.on(
        "console",
        lambda m: (
            seen.append(m.text) if "Content Security Policy" in m.text or "Refused to" in m.text else None
        ),
    )
    page.on("pageerror", lambda e: seen.append(str(e)))
    return seen


def test_pages_htmx_and_pickers_work_under_the_policy(users, login, page, refusals):
    factories.make_household(head="张三丰")
    factories.make_household(head="李四")
    login("clerk")
    page.goto(page.base_url + "/households/")
    page.fill("input[name=q]", "张三丰")
    expect(page.locator("#results")).not_to_contain_text("李四")  # htmx swapped the filtered list in
    expect(page.locator("#results")).to_contain_text("张三丰")
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")  # data-autosubmit, from static/fupin/fupin.js
    assert page.locator("html").get_attribute("lang") == "en"
    assert refusals == []


def test_the_dashboard_chart_admin_and_api_docs_work_under_the_policy(users, login, page, refusals):
    factories.make_household()
    login("root")
    page.goto(page.base_url + "/reports/")
    page.wait_for_load_state("networkidle")
    page.goto(page.base_url + "/admin/accounts/user/")
    assert page.locator("#result_list").count() == 1
    page.goto(page.base_url + "/api/v1/docs")
    page.wait_for_selector(".opblock", timeout=20000)  # Swagger UI rendered the operations
    assert page.locator(".opblock").count() > 5
    assert refusals == []


def test_an_htmx_request_the_server_refuses_or_the_network_loses_says_so(users, login, page, refusals):
    household = factories.make_household(head="张三丰")
    login("county")
    conflict = (
        "<html><body><main id='main'><p class='errorsummary' "
        "role='alert'>数据冲突：另一位用户刚刚保存了相关数据</p>"
        "</main></body></html>"
    )
    page.route("**/changes/household/**", lambda route: route.fulfill(status=409, body=conflict))
    page.goto(page.base_url + f"/households/{household.pk}/")
    problem = page.locator(".htmx-problem[role=alert]")
    expect(problem).to_have_text("数据冲突：另一位用户刚刚保存了相关数据")  # the server's own words
    page.unroute("**/changes/household/**")
    page.route("**/funds/households/**", lambda route: route.abort())
    page.goto(page.base_url + f"/households/{household.pk}/")
    expect(problem).to_have_text("连不上服务器，请检查网络后重试。")
    assert refusals == []
