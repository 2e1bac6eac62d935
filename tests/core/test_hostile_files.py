"""Hostile uploads (issue 14, finding 9): refused with a clear Chinese message, never a server error, nothing
written.

Each file goes through the page a village clerk uses (POST /registry/import/), and where the page hands
the file to the job, through the job too.
"""

import io
import random
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from fupin.core import files
from fupin.registry.importing import reading
from fupin.registry.imports import HEADINGS, ImportRejected, import_file
from fupin.registry.models import Household, ImportJob, ImportStatus, Member
from tests.registry.import_files import household, write_csv

pytestmark = pytest.mark.django_db


def xlsx_bytes(rows=(), headings=HEADINGS) -> bytes:
    book = Workbook()
    sheet = book.active
    if headings:
        sheet.append(list(headings))
    for row in rows:
        sheet.append([row.get(h, "") for h in headings])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rezip(
    content: bytes, *, add: dict | None = None, replace: dict | None = None, method=zipfile.ZIP_DEFLATED
) -> bytes:
    """The same workbook with members added or replaced."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as target:
        for info in source.infolist():
            data = (replace or {}).get(info.filename, source.read(info.filename))
            target.writestr(info.filename, data)
        for name, data in (add or {}).items():
            target.writestr(name, data)
    return out.getvalue()


def sheet_xml(rows: int, dimension: str | None = None, cells_per_row: int = 1) -> bytes:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    body = "".join(
        f'<row r="{r}">'
        + "".join(f'<c r="{chr(65 + c)}{r}"><v>1</v></c>' for c in range(cells_per_row))
        + "</row>"
        for r in range(1, rows + 1)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"{dim}<sheetData>{body}</sheetData></worksheet>"
    ).encode()


def upload(client, name: str, content: bytes):
    return client.post(reverse("registry:import_upload"), {"file": SimpleUploadedFile(name, content)})


@pytest.fixture
def clerk(client, users):
    """Who uploads: the county office, which may import registered households."""
    client.force_login(users["county"])
    return client


def refused_on_the_page(client, name, content, message):
    response = upload(client, name, content)
    assert response.status_code == 200, name
    assert message in response.content.decode(), response.content.decode()[-3000:]
    assert not ImportJob.objects.exists() and not Household.objects.exists()


GOOD = xlsx_bytes(household("王大山"))


def test_a_good_xlsx_still_goes_through(clerk):
    response = upload(clerk, "good.xlsx", GOOD)
    assert response.status_code == 302
    assert ImportJob.objects.get().status == ImportStatus.DONE and Household.objects.count() == 1


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("empty.xlsx", b"", "文件是空的"),
        ("empty.csv", b"", "文件是空的"),
        (
            "text.xlsx",
            "姓名,证件号码\n张三,1\n".encode(),
            "内容是 CSV 文本，不是 Excel",
        ),  # issue 16, finding 10
        ("garbage.xlsx", random.Random(1).randbytes(5000), "不是有效的 Excel"),
        ("broken.xlsx", GOOD[: len(GOOD) // 2], "无法读取 Excel 文件"),
        ("encrypted.xlsx", files.OLE_MAGIC + random.Random(2).randbytes(5000), "密码"),
        ("macro.xlsx", rezip(GOOD, add={"xl/vbaProject.bin": b"\x00" * 100}), "宏"),
        (
            "linked.xlsx",
            rezip(GOOD, add={"xl/externalLinks/externalLink1.xml": b"<externalLink/>"}),
            "外部链接",
        ),
        ("nosheet.xlsx", rezip(b"PK\x05\x06" + b"\x00" * 18), "不是有效的 Excel"),
        ("garbage.csv", random.Random(3).randbytes(5000), "不是文本格式的 CSV"),
        ("utf16.csv", ",".join(HEADINGS).encode("utf-16"), "UTF-16"),
        ("workbook.csv", GOOD, "Excel 工作簿"),
        ("wide.csv", (",".join(["x"] * 100_000) + "\n").encode(), "列"),
    ],
)
def test_hostile_files_are_refused_on_the_upload_page(clerk, name, content, message):
    refused_on_the_page(clerk, name, content, message)


def test_a_zip_bomb_is_refused_before_it_is_unpacked(clerk, settings):
    # 40 MB of sheet that deflates to about 40 KB: far beyond any real workbook's ratio
    bomb = rezip(GOOD, replace={"xl/worksheets/sheet1.xml": sheet_xml(1) + b" " * (40 * files.MB)})
    assert len(bomb) < files.MB
    refused_on_the_page(clerk, "bomb.xlsx", bomb, "压缩比异常")
    settings.FUPIN_IMPORT_MAX_UNPACKED_MB = 20
    refused_on_the_page(clerk, "bomb.xlsx", bomb, "超过上限20 MB")


def test_a_zip_of_too_many_members_is_refused_before_its_directory_is_read(clerk):
    many = rezip(
        GOOD,
        add={f"xl/media/image{i}.png": b"" for i in range(files.MAX_MEMBERS + 1)},
        method=zipfile.ZIP_STORED,
    )
    refused_on_the_page(clerk, "many.xlsx", many, "压缩成员超过")


def test_a_sheet_declaring_too_many_cells_is_refused_from_its_dimension(clerk):
    huge = rezip(GOOD, replace={"xl/worksheets/sheet1.xml": sheet_xml(2, dimension="A1:XFD1048576")})
    refused_on_the_page(clerk, "huge.xlsx", huge, "列，超过上限")
    tall = rezip(GOOD, replace={"xl/worksheets/sheet1.xml": sheet_xml(2, dimension="A1:AZ1048576")})
    refused_on_the_page(clerk, "tall.xlsx", tall, "个单元格")


def test_a_forged_dimension_does_not_hide_the_rows(clerk, settings):
    settings.FUPIN_IMPORT_MAX_ROWS = 100
    liar = rezip(GOOD, replace={"xl/worksheets/sheet1.xml": sheet_xml(500, dimension="A1:A1")})
    refused_on_the_page(clerk, "liar.xlsx", liar, "超过上限100行")
    settings.FUPIN_IMPORT_MAX_ROWS = 10_000
    settings.FUPIN_IMPORT_MAX_CELLS = 1_000
    wide = rezip(
        GOOD, replace={"xl/worksheets/sheet1.xml": sheet_xml(100, dimension="A1:A1", cells_per_row=20)}
    )
    refused_on_the_page(clerk, "cells.xlsx", wide, "单元格超过上限")


def test_the_job_counts_the_rows_of_a_large_upload(clerk, settings, monkeypatch):
    """A file too large to read in the request is checked by the job, which refuses it before reading it
    whole."""
    monkeypatch.setattr(reading, "HEADINGS_CHECKED_UP_TO", 0)
    settings.FUPIN_IMPORT_MAX_ROWS = 100
    liar = rezip(GOOD, replace={"xl/worksheets/sheet1.xml": sheet_xml(500, dimension="A1:A1")})
    response = upload(clerk, "liar.xlsx", liar)
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.REJECTED and "超过上限100行" in job.message
    assert not Household.objects.exists()


def test_the_command_line_has_its_own_higher_limits(settings):
    settings.FUPIN_IMPORT_MAX_ROWS = 10
    assert files.upload_limits().rows == 10
    assert files.command_limits().rows >= 10_000_000 and files.command_limits().cells >= 100_000_000


def test_an_empty_sheet_and_a_sheet_of_headings_only_are_refused(clerk, tmp_path, users):
    refused_on_the_page(clerk, "blank.xlsx", xlsx_bytes(headings=()), "文件是空的")
    response = upload(clerk, "headings.xlsx", xlsx_bytes())
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.REJECTED and "没有数据行" in job.message
    path = write_csv(tmp_path / "headings.csv", [])
    with pytest.raises(ImportRejected, match="没有数据行"):
        import_file(path, user=users["county"])


def test_gbk_csv_imports_and_a_wide_data_row_is_refused_by_the_job(clerk, tmp_path):
    path = write_csv(tmp_path / "gbk.csv", household("王大山"), encoding="gbk")
    response = upload(clerk, "gbk.csv", path.read_bytes())
    assert response.status_code == 302
    assert (
        ImportJob.objects.get().status == ImportStatus.DONE and Member.objects.filter(name="王大山").exists()
    )
    ImportJob.objects.all().delete()
    rows = [row for name in ("李四海", "赵一", "钱二", "孙三", "周四", "吴五") for row in household(name)]
    path = write_csv(tmp_path / "wide.csv", rows)  # the wide row comes after those the page reads
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(",".join(["x"] * 5_000) + "\n")
    response = upload(clerk, "wide.csv", path.read_bytes())
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.REJECTED and "超过1,000列" in job.message
    assert not Member.objects.filter(name="李四海").exists()


BOMB = rezip(GOOD, replace={"xl/worksheets/sheet1.xml": sheet_xml(1) + b" " * (40 * files.MB)})
MACRO = rezip(GOOD, add={"xl/vbaProject.bin": b"\x00" * 100})


@pytest.mark.parametrize(
    "content, message", [(BOMB, "压缩比异常"), (MACRO, "宏"), (b"plain text", "不是有效的 Excel")]
)
def test_the_other_spreadsheet_uploads_are_checked_before_reading(users, content, message):
    """The helper list, the funds ledger and a department's cross-check list pass the same checks."""
    from fupin.assistance import roster
    from fupin.assistance import services as assistance
    from fupin.funds import reconciliation
    from fupin.monitoring import cross_checks as monitoring_cross_checks
    from fupin.monitoring.matching import DepartmentFileError
    from fupin.monitoring.models import CrossCheck

    with pytest.raises(assistance.AssistanceError) as e:
        roster.read_helper_sheet(SimpleUploadedFile("helpers.xlsx", content))
    assert message in e.value.errors["file"]
    with pytest.raises(reconciliation.LedgerFileError) as e:
        reconciliation.parse_ledger(content)
    assert message in e.value.errors[0]
    if content.startswith(b"PK"):  # the department list is told apart by its content, not its name
        with pytest.raises(DepartmentFileError, match=message):
            monitoring_cross_checks.upload_cross_check(
                by=users["liaison"],
                department="tax",
                upload=SimpleUploadedFile("list.xlsx", content),
                county=users["county"].region_id,
            )
        assert not CrossCheck.objects.exists()


def test_the_helper_import_page_refuses_a_bomb_with_a_message(client, users):
    client.force_login(users["county"])
    response = client.post(
        reverse("assistance:import_helpers"), {"file": SimpleUploadedFile("helpers.xlsx", BOMB)}
    )
    assert response.status_code == 400 and "压缩比异常" in response.content.decode()
