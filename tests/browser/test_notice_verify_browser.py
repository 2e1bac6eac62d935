"""A villager checks the paper on the wall: the notice's print page carries a code; typed on the public
核验公示 page it says 一致 and shows the list; after the list is changed in the database it no longer does."""

import datetime

import pytest
from django.utils import timezone

from fupin.procedures.models import Notice
from tests.disclosure.test_public_pages import _posted_notice
from tests.procedures.conftest import quota  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_printed_notice_code_typed_on_the_public_page_verifies(users, quota, page, browser):  # noqa: F811
    notice, _ = _posted_notice(users, timezone.now() - datetime.timedelta(hours=1))
    page.goto(f"{page.base_url}/public/notices/{notice.pk}/print/")
    code = page.locator(".verify-code").inner_text()
    assert len(code) == 11 and page.locator(".verify svg").count() == 1  # XXXXX-XXXXX and its QR code

    visitor = browser.new_context(locale="zh-CN").new_page()
    visitor.goto(f"{page.base_url}/public/")
    visitor.get_by_role("link", name="核验公示").click()
    visitor.wait_for_load_state()
    visitor.fill("input[name=code]", code.lower().replace("-", " "))
    visitor.get_by_role("button", name="核验").click()
    visitor.wait_for_load_state()
    result = visitor.locator(".verify-result h2").inner_text()
    assert result == "一致"
    assert "赵一" in visitor.content() and "/accounts/login" not in visitor.url

    entries = notice.entries
    entries[0]["head_name"] = "钱二"
    Notice.objects.filter(pk=notice.pk).update(entries=entries)
    visitor.reload()
    assert "不一致" in visitor.locator(".verify-result h2").inner_text()
    visitor.fill("input[name=code]", "ABCDE-FGHJK")
    visitor.get_by_role("button", name="核验").click()
    visitor.wait_for_load_state()
    assert visitor.locator(".verify-result h2").inner_text() == "未找到"
    visitor.context.close()
