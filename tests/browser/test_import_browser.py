"""Importing the national form in a real browser: a file with an error is refused and its error
report downloads; the corrected file imports, the job page showing its progress bar and summary."""

from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from fupin.registry.models import Household, ImportJob
from tests.registry.import_files import household, write_xlsx

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_county_imports_a_file_fixes_its_error_and_imports_again(users, login, tmp_path, settings):
    """The county office loads 建档立卡 data (a village's import may not create registered households)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    rows = household("王大山") + household("李四海")
    rows[3]["性别"] = "女"  # 李四海's son, a male ID number
    bad = write_xlsx(tmp_path / "采集表.xlsx", rows)

    page = login("county")
    page.goto(page.base_url + "/households/import/")
    expect(page.get_by_role("heading", name="导入贫困户信息采集表")).to_be_visible()
    page.set_input_files("input[name=file]", str(bad))
    page.click("button[type=submit]")
    page.wait_for_url("**/households/import/*/")
    expect(page.locator(".import-status")).to_have_text("有错误，未导入")
    expect(page.locator("#import-progress progress")).to_have_attribute("value", "100")
    expect(page.locator(".import-message")).to_contain_text("1 行有错误，未导入任何数据")
    expect(page.locator("table.import-errors tbody tr")).to_have_text(
        "5性别女性别与身份证号不符：身份证号显示为男"
    )
    assert Household.objects.count() == 0
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "import_rejected.png"), full_page=True)

    with page.expect_download() as info:
        page.click("#error-report")
    report = tmp_path / "report.xlsx"
    info.value.save_as(report)
    cells = [[c.value for c in row] for row in load_workbook(report).active.iter_rows()]
    assert cells[0] == ["行号", "列", "值", "错误原因"]
    assert cells[1][:3] == [5, "性别", "女"] and "性别与身份证号不符" in cells[1][3]

    rows[3]["性别"] = "男"
    good = write_xlsx(tmp_path / "采集表（修改后）.xlsx", rows)
    page.goto(page.base_url + "/households/import/")
    page.set_input_files("input[name=file]", str(good))
    page.click("button[type=submit]")
    page.wait_for_url("**/households/import/*/")
    expect(page.locator(".import-status")).to_have_text("已完成")
    expect(page.locator(".import-message")).to_contain_text("新增 2 户、4 人")
    assert Household.objects.count() == 2
    page.screenshot(path=str(SCREENSHOTS / "import_done.png"), full_page=True)
    # both jobs are listed on the upload page
    page.goto(page.base_url + "/households/import/")
    expect(page.locator("table.list tbody tr")).to_have_count(2)


def test_job_page_polls_its_progress_until_the_import_ends(users, login, tmp_path, settings):
    """A job still in the queue shows an empty progress bar that htmx refreshes; when the worker
    finishes, the same page shows the outcome without a reload."""
    settings.MEDIA_ROOT = tmp_path / "media"
    from django.core.files.base import ContentFile

    from fupin.registry import imports

    # a village's import creates households outside the registry (申请中)
    path = write_xlsx(tmp_path / "h.xlsx", household("王大山", 户状态="申请中", 识别年度="", 贫困户属性=""))
    clerk = users["clerk"]
    job = ImportJob(user=clerk, scope_code=clerk.region_id, original_name="h.xlsx")
    job.file.save("h.xlsx", ContentFile(path.read_bytes()), save=True)

    page = login("clerk")
    page.goto(page.base_url + f"/households/import/{job.pk}/")
    expect(page.locator(".import-status")).to_have_text("排队中")
    expect(page.locator("#import-progress")).to_have_attribute("hx-trigger", "every 1s")
    imports.process_job(job)  # the worker's turn
    expect(page.locator(".import-status")).to_have_text("已完成", timeout=10000)
    expect(page.locator(".import-message")).to_contain_text("新增 1 户、2 人")


def test_another_village_clerk_cannot_open_the_job(users, login, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    from django.core.files.base import ContentFile

    job = ImportJob(user=users["clerk"], scope_code=users["clerk"].region_id, original_name="h.csv")
    job.file.save("h.csv", ContentFile(b"x"), save=True)
    page = login("sibling_clerk")
    response = page.goto(page.base_url + f"/households/import/{job.pk}/")
    assert response.status == 404
