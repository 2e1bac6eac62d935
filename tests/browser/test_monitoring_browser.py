"""A township officer opens a finding from a cross-check, decides it, and the problem ledger shows it
closed."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fupin.monitoring import cross_checks
from fupin.monitoring.models import Finding
from tests import factories


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_township_decides_a_cross_check_finding_and_the_ledger_shows_it_closed(page, login, users):
    household = factories.make_household(head="赵有车")
    head = household.members.get(relation="head")
    check = cross_checks.upload_cross_check(
        by=users["liaison"],
        department="vehicle",
        upload=SimpleUploadedFile(
            "车辆登记.csv", f"身份证号,姓名,车牌号\n{head.id_number},{head.name},赣B88888\n".encode()
        ),
        county=factories.VILLAGE[:6],
    )
    cross_checks.start_cross_check(check, by=users["county"])
    assert Finding.objects.filter(cross_check=check).count() == 1

    login("township")
    page.goto(page.base_url + "/monitoring/findings/")
    page.get_by_role("link", name="成员赵有车名下有登记车辆").click()
    page.wait_for_load_state()
    assert "赣B88888" in page.content()
    page.select_option("select[name=decision]", "explained")
    page.fill("textarea[name=note]", "车辆已于去年转让，提供了过户证明")
    page.get_by_role("button", name="提交核实结论").click()
    page.wait_for_load_state()
    assert page.locator("#decision").inner_text() == "核实无误，已说明"

    page.goto(page.base_url + "/monitoring/problems/?status=closed")
    row = page.locator("table.problems tbody tr").first
    assert "赵有车" in row.inner_text()
    assert row.locator("td.status").inner_text() == "已销号"
