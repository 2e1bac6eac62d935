"""Issue 16, findings 6–10: the national form as counties really export it, read right or refused clearly.

Each test here failed on the importer before the fix (noted per test); both paths (row-wise and the
PostgreSQL bulk path) give the same errors where they differ in code.
"""

import csv
import itertools
import re
import zipfile
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from fupin.registry import services
from fupin.registry.importing import columns as import_columns
from fupin.registry.importing import reading
from fupin.registry.imports import ImportRejected, import_file
from fupin.registry.models import Household, IncomeRecord
from tests import factories
from tests.registry import import_files
from tests.registry.import_files import household, write_csv, write_xlsx

pytestmark = pytest.mark.django_db

BIG = "9999999999.99"  # the most numeric(12,2) holds: each field passes, their sum does not


def errors_of(result):
    return [(e.row, e.column, e.reason) for e in result.errors]


# --- 6. overflow: limits checked where they are typed, with row and column --------------------------------


def overflowing(head="钱多多"):
    return household(head, members=(), 工资性收入=BIG, 生产经营性收入=BIG, 低保金="0", 生产经营性支出="0")


def test_an_income_total_past_the_column_is_a_row_error_and_the_valid_households_are_kept(tmp_path, users):
    """Before: SQLite stored 19,999,999,999.98 (PostgreSQL refused the whole file with DataError)."""
    rows = household("王大山") + overflowing()
    result = import_file(write_csv(tmp_path / "big.csv", rows), user=users["county"], only_valid_rows=True)
    assert result.imported and result.households_created == 1
    # 王大山 and his son on rows 2–3
    assert [(e.row, e.column) for e in result.errors if e.column] == [(4, "年人均纯收入")]
    assert "超过上限 9,999,999,999.99 元" in result.errors[0].reason
    assert not Household.objects.filter(head_name="钱多多").exists()
    assert Household.objects.filter(head_name="王大山").exists()


def test_an_income_total_past_the_column_refuses_the_file_without_a_database_error(tmp_path, users):
    result = import_file(write_csv(tmp_path / "big.csv", overflowing()), user=users["county"])
    assert not result.imported and errors_of(result)[0][:2] == (2, "年人均纯收入")
    assert not IncomeRecord.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the bulk path is PostgreSQL's")
def test_the_bulk_path_reports_the_overflow_like_the_row_wise_path(tmp_path, users):
    from tests.registry.test_import_bulk import assert_same, both_paths, good_households

    rows = [r for h in good_households(6) for r in h] + overflowing()
    outcomes = both_paths(write_csv(tmp_path / "big.csv", rows), users["county"], only_valid_rows=True)
    assert outcomes[1][0].households_created == 6
    assert any(e.column == "年人均纯收入" for e in outcomes[1][0].errors)
    assert_same(outcomes)


def test_record_income_refuses_a_total_past_the_column(tree):
    """Before: SQLite stored it, PostgreSQL answered DataError (a 500 on the page)."""
    h = factories.make_household(members=1, income=None)
    with pytest.raises(services.RegistryError) as refused:
        services.record_income(h, by=factories.admin_user(), year=2024, wages=BIG, production=BIG)
    assert "年人均纯收入" in str(refused.value) and "超过上限" in str(refused.value)
    with pytest.raises(services.RegistryError) as refused:  # one field past the column, from a service caller
        services.record_income(h, by=factories.admin_user(), year=2024, wages="10000000000")
    assert "wages" in refused.value.errors
    assert not IncomeRecord.objects.filter(household=h).exists()


def test_the_income_page_shows_the_overflow_instead_of_a_server_error(users, client, tree):
    h = factories.make_household(members=1, income=None)
    client.force_login(users["clerk"])
    data = {
        "year": "2024",
        "wages": BIG,
        "production": BIG,
        "property_income": "",
        "family_planning": "",
        "dibao": "",
        "wubao": "",
        "pension": "",
        "eco_compensation": "",
        "other_transfers": "",
        "productive_expenditure": "",
        "household_size": "",
    }
    response = client.post(reverse("registry:income_record", args=[h.pk]), data)
    assert response.status_code == 200 and "超过上限 9,999,999,999.99 元" in response.content.decode()
    assert not IncomeRecord.objects.filter(household=h, year=2024).exists()


# --- 7. 户编号 past 9,999 households in a village -----------------------------------------------------------


def crowded_village(count=10_000):
    """factories.VILLAGE numbered up to …{count}: one household made properly, then copies of its row numbered
    …0002–…0050 and the last 50 up to `count` (the numbers in between change nothing but the time)."""
    h = factories.make_household(members=1, income=None)
    assert h.number == factories.VILLAGE + "0001"
    row = {f.attname: getattr(h, f.attname) for f in Household._meta.concrete_fields if f.attname != "id"}
    Household.objects.bulk_create(
        Household(**row | {"number": f"{factories.VILLAGE}{i:04d}"})
        for i in sorted({*range(2, min(count, 50) + 1), *range(max(count - 49, 2), count + 1)})
    )


def test_new_household_numbers_go_on_past_9999(users, client, tree):
    """Before: MAX(number) compared text: …9999 was the last and …10000 was given again (IntegrityError)."""
    crowded_village()
    assert services.next_household_number(factories.VILLAGE) == factories.VILLAGE + "10001"
    made = [
        services.create_household(by=users["clerk"], village_code=factories.VILLAGE, primary_cause="illness")
        for _ in range(2)
    ]
    assert [h.number for h in made] == [factories.VILLAGE + "10001", factories.VILLAGE + "10002"]


def test_imports_into_a_village_past_9999_households_number_new_ones_after_the_last(tmp_path, users, tree):
    """Before: the import failed with IntegrityError (“导入期间有人修改了…” on the job)."""
    crowded_village()
    for name, heads in (("a.csv", ("甲", "乙")), ("b.csv", ("丙",))):
        rows = [r for head in heads for r in household(head + "大山")]
        result = import_file(write_csv(tmp_path / name, rows), user=users["county"])
        assert result.imported and not result.errors
    numbers = dict(Household.objects.filter(head_name__endswith="大山").values_list("head_name", "number"))
    assert numbers == {
        "甲大山": factories.VILLAGE + "10001",
        "乙大山": factories.VILLAGE + "10002",
        "丙大山": factories.VILLAGE + "10003",
    }


def test_a_village_numbered_with_other_shapes_still_counts_its_own_sequence(tree):
    crowded_village(3)
    h = Household.objects.get(number=factories.VILLAGE + "0003")
    h.pk, h.number = None, factories.VILLAGE + "99A"  # a 户编号 a file gave: not part of the sequence
    h.save()
    assert services.next_household_number(factories.VILLAGE) == factories.VILLAGE + "0004"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the bulk path is PostgreSQL's")
def test_the_bulk_path_numbers_past_9999_like_the_row_wise_path(tmp_path, users, tree):
    from tests.registry.test_import_bulk import assert_same, both_paths, good_households

    crowded_village()
    path = write_csv(tmp_path / "n.csv", [r for h in good_households(6) for r in h])
    outcomes = both_paths(path, users["county"])
    assert outcomes[1][0].households_created == 6 and not outcomes[1][0].errors
    assert {f"{factories.VILLAGE}{i}" for i in range(10001, 10007)} <= set(outcomes[1][1]["numbers"])
    assert_same(outcomes)


# --- 8. Excel cells read wrong silently ------------------------------------------------------------------


def rewrite_sheet(path, old: bytes, new: bytes):
    """Edit the first sheet's XML in place (what openpyxl cannot write: a formula's cached result)."""
    with zipfile.ZipFile(path) as book:
        members = {info: book.read(info) for info in book.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for info, data in members.items():
            if info.filename == "xl/worksheets/sheet1.xml":
                assert old in data
                data = data.replace(old, new)
            book.writestr(info, data)
    return path


def test_error_values_and_uncomputed_formulas_are_errors_with_row_and_column(tmp_path, users):
    """Before: calamine read #N/A, #DIV/0! and a formula without its result as empty cells, imported as 0."""
    rows = household("王大山") + household("李四海", members=())
    rows[0]["工资性收入"] = "#N/A"  # openpyxl writes these as error cells (t="e")
    rows[1]["低保金"] = "#DIV/0!"
    rows[2]["耕地面积（亩）"] = "=1+2"  # a formula saved without its result (as programs write them)
    path = write_xlsx(tmp_path / "errors.xlsx", rows)
    result = import_file(path, user=users["county"])
    assert not result.imported and not Household.objects.exists()
    found = {(e.row, e.column, e.value) for e in result.errors}
    assert {(2, "工资性收入", "#N/A"), (3, "低保金", "#DIV/0!"), (4, "耕地面积（亩）", "")} <= found
    reasons = {e.column: e.reason for e in result.errors}
    assert "Excel 错误值 #N/A" in reasons["工资性收入"] and "没有它的计算结果" in reasons["耕地面积（亩）"]


def test_valid_rows_only_skips_the_household_with_an_error_cell(tmp_path, users):
    rows = household("王大山") + household("李四海", members=())
    rows[2]["生产经营性收入"] = "#VALUE!"
    result = import_file(write_xlsx(tmp_path / "e.xlsx", rows), user=users["county"], only_valid_rows=True)
    assert result.imported and result.households_created == 1
    assert list(Household.objects.values_list("head_name", flat=True)) == ["王大山"]


def test_error_cells_outside_the_template_and_computed_formulas_are_fine(tmp_path, users):
    headings = ["备注", *import_files.HEADINGS]
    rows = [r | {"备注": "#REF!"} for r in household("王大山", members=())]
    rows[0]["耕地面积（亩）"] = "=1+2"
    path = write_xlsx(tmp_path / "ok.xlsx", rows, headings=headings)
    rewrite_sheet(path, b"<f>1+2</f><v />", b"<f>1+2</f><v>3</v>")  # as Excel saves it: with its result
    result = import_file(path, user=users["county"])
    assert result.imported and not result.errors
    assert Household.objects.get().farmland_area == Decimal("3.00")


def test_a_number_written_two_ways_in_one_household_is_the_same_number(tmp_path, users):
    """Before: “与本户其他行填写的“12,000.50”不一致” for 12000.5 on the member's row."""
    rows = household("王大山", 工资性收入="12,000.50")
    rows[1]["工资性收入"] = "12000.5"
    result = import_file(write_xlsx(tmp_path / "n.xlsx", rows, numbers=()), user=users["county"])
    assert result.imported and not result.errors
    assert IncomeRecord.objects.get().wages == Decimal("12000.50")
    rows = household("李四海", 工资性收入="12,000.50")
    rows[1]["工资性收入"] = "12000.6"
    result = import_file(write_csv(tmp_path / "n.csv", rows), user=users["county"])
    assert [(e.row, e.column, e.value) for e in result.errors] == [(3, "工资性收入", "12000.6")]


def test_numbers_in_numeric_cells_and_text_cells_agree_in_one_household(tmp_path, users):
    rows = household("王大山", 工资性收入="12,000.50")
    rows[1]["工资性收入"] = 12000.5  # a number cell on the member's row, text on the head's
    path = write_xlsx(tmp_path / "mixed.xlsx", rows)
    result = import_file(path, user=users["county"])
    assert result.imported and not result.errors
    assert IncomeRecord.objects.get().wages == Decimal("12000.50")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the bulk path is PostgreSQL's")
def test_the_bulk_path_reports_error_cells_like_the_row_wise_path(tmp_path, users):
    from tests.registry.test_import_bulk import assert_same, both_paths, good_households

    rows = [r for h in good_households(6) for r in h]
    rows[3]["工资性收入"] = "#N/A"
    rows[5]["耕地面积（亩）"] = "=1+2"
    outcomes = both_paths(write_xlsx(tmp_path / "e.xlsx", rows), users["county"], only_valid_rows=True)
    assert {e.value for e in outcomes[0][0].errors} >= {"#N/A"}
    assert_same(outcomes)


# --- 9. two-row headers, as counties export the form -------------------------------------------------------

GROUPS = {import_columns.INCOME: "年收入情况", import_columns.MEMBER: "家庭成员"}


def two_row_headings(title=None):
    """The form's heading rows: household headings over both rows (merged), income and member headings under
    their group's merged cell. Returns (rows of headings, merged ranges as (row, column, last row,
    last column), 1-based, below the optional title row)."""
    top, bottom, merged = [], [], []
    offset = 1 if title else 0
    column_at = 1
    for part, columns in itertools.groupby(import_columns.TEMPLATE_COLUMNS, key=lambda c: c.part):
        columns = list(columns)
        group = GROUPS.get(part)
        if group is None:
            for column in columns:
                top.append(column.heading)
                bottom.append("")
                merged.append((1 + offset, column_at, 2 + offset, column_at))
                column_at += 1
        else:
            top += [group] + [""] * (len(columns) - 1)
            bottom += [c.heading for c in columns]
            merged.append((1 + offset, column_at, 1 + offset, column_at + len(columns) - 1))
            column_at += len(columns)
    rows = [top, bottom]
    if title:
        rows.insert(0, [title] + [""] * (len(top) - 1))
    return rows, merged


def write_two_row_xlsx(path, rows, title=None):
    from openpyxl import Workbook

    headings, merged = two_row_headings(title)
    workbook = Workbook()
    sheet = workbook.active
    for row in headings:
        sheet.append([v or None for v in row])
    for top, left, bottom, right in merged:
        sheet.merge_cells(start_row=top, start_column=left, end_row=bottom, end_column=right)
    for row in rows:
        sheet.append([row.get(h) or None for h in import_files.HEADINGS])
    workbook.save(path)
    return path


def write_two_row_csv(path, rows):
    headings, _ = two_row_headings()
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerows(headings)
        writer.writerows([row.get(h, "") for h in import_files.HEADINGS] for row in rows)
    return path


def test_two_row_headings_merged_in_xlsx_are_read(tmp_path, users):
    """Before: “缺少必填列：省、市、县、乡（镇）、行政村…” (only the lower heading row was read)."""
    rows = household("王大山") + household("李四海", members=())
    rows[2]["耕地面积（亩）"] = "-1"
    path = write_two_row_xlsx(tmp_path / "form.xlsx", rows)
    result = import_file(path, user=users["county"])
    assert errors_of(result) == [(5, "耕地面积（亩）", "面积不能为负数")]  # rows 1–2 headings, 3–4 王大山
    rows[2]["耕地面积（亩）"] = "2"
    result = import_file(write_two_row_xlsx(tmp_path / "form.xlsx", rows), user=users["county"])
    assert result.imported and result.households_created == 2 and not result.ignored_columns
    assert IncomeRecord.objects.get(household__head_name="王大山").wages == Decimal("12000.00")


def test_two_row_headings_under_a_title_row(tmp_path, users):
    path = write_two_row_xlsx(tmp_path / "form.xlsx", household("王大山"), title="贫困户信息采集表")
    result = import_file(path, user=users["county"])
    assert result.imported and result.total_rows == 2 and not result.ignored_columns


def test_two_heading_lines_in_csv_are_read(tmp_path, users):
    result = import_file(write_two_row_csv(tmp_path / "form.csv", household("王大山")), user=users["county"])
    assert result.imported and result.households_created == 1 and result.members_created == 2


def test_headings_spread_over_too_many_rows_are_refused_as_a_layout_problem(tmp_path, users):
    """Before: “缺少必填列：…” only, as though the columns were absent."""
    headings = import_files.HEADINGS
    split = headings.index("户编号")
    path = tmp_path / "layout.csv"
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            headings[:split] + [""] * (len(headings) - split)
        )  # 省…自然村 four rows above the rest
        writer.writerows([[]] * 3)
        writer.writerow([""] * split + headings[split:])
        writer.writerows([row.get(h, "") for h in headings] for row in household("王大山"))
    with pytest.raises(ImportRejected) as refused:
        import_file(path, user=users["county"])
    message = str(refused.value)
    assert "表头的排列无法识别" in message and "第1行还有表头文字" in message and "缺少必填列：省" in message


# --- 10. messages ------------------------------------------------------------------------------------------

ALLOWED_LATIN = {
    "Excel",
    "xlsx",
    "csv",
    "CSV",
    "UTF",
    "GBK",
    "NUL",
    "PDF",
    "PNG",
    "JPEG",
    "Word",
    "docx",
    "zip",
}


def assert_chinese(message: str):
    words = set(re.findall(r"[A-Za-z]{3,}", message)) - ALLOWED_LATIN
    assert not words, f"English in the message: {words} — {message}"


def refusal(path, user, name=None):
    with pytest.raises(ImportRejected) as refused:
        import_file(path, user=user, name=name)
    assert_chinese(str(refused.value))
    return str(refused.value)


def test_a_damaged_workbook_is_refused_in_chinese(tmp_path, users):
    """Before: “无法读取 Excel 文件（须为 .xlsx 格式）：XmlError …” (calamine's English)."""
    path = write_xlsx(tmp_path / "broken.xlsx", household("王大山"))
    rewrite_sheet(path, b"</sheetData>", b'<row r="9"><c r="A9"')
    assert "文件已损坏" in refusal(path, users["county"])
    data = (tmp_path / "broken.xlsx").read_bytes()
    (tmp_path / "cut.xlsx").write_bytes(data[: len(data) // 2])  # cut short: no end of central directory
    assert "损坏" in refusal(tmp_path / "cut.xlsx", users["county"])


def test_a_csv_the_csv_module_cannot_read_is_refused_in_chinese(tmp_path, users):
    """Before: “CSV 格式错误（第3行附近）：field larger than field limit (131072)”."""
    rows = household("王大山")
    rows[1]["住址"] = "长" * 140_000
    path = write_csv(tmp_path / "long.csv", rows, headings=[*import_files.HEADINGS, "住址"])
    assert "单元格的内容过长" in refusal(path, users["county"])


@pytest.mark.parametrize(
    "name, content, kind",
    [
        ("households.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "PDF 文档"),
        ("households.xlsx", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n", "PDF 文档"),
        ("households.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(40), "PNG 图片"),
        ("households.xlsx", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(40), "JPEG 图片"),
    ],
)
def test_a_file_is_called_what_it_is_whatever_its_name(tmp_path, users, name, content, kind):
    """Before: a PDF named .csv was “文件不是文本格式的 CSV”, named .xlsx “不是有效的 Excel（.xlsx）表格”."""
    path = tmp_path / name
    path.write_bytes(content)
    assert f"文件的内容是{kind}" in refusal(path, users["county"])
    with pytest.raises(ImportRejected) as refused:  # the web request's early check says the same
        reading.check_upload(path, name)
    assert kind in str(refused.value)


def test_a_csv_named_xlsx_is_called_a_csv(tmp_path, users):
    """Before: “无法读取 Excel 文件：文件不是有效的 Excel（.xlsx）表格”."""
    path = write_csv(tmp_path / "households.xlsx", household("王大山"))
    assert "内容是 CSV 文本" in refusal(path, users["county"])


def test_a_word_document_named_xlsx_is_called_a_word_document(tmp_path, users):
    path = tmp_path / "households.xlsx"
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("[Content_Types].xml", "<Types/>")
        book.writestr("word/document.xml", "<w:document/>")
    assert "Word 文档" in refusal(path, users["county"])


def test_an_id_number_with_a_zero_width_space_says_so(tmp_path, users):
    """Before: “身份证号应为18位，实际为19位”, of a number that shows 18 characters."""
    rows = household("王大山", 联系电话="1380013\u00a08000")
    rows[1]["证件号码"] = rows[1]["证件号码"][:6] + "\u200b" + rows[1]["证件号码"][6:]
    result = import_file(write_csv(tmp_path / "zw.csv", rows), user=users["county"])
    reasons = {e.column: e.reason for e in result.errors}
    assert "零宽空格（U+200B）" in reasons["证件号码"] and "看不见的字符" in reasons["证件号码"]
    assert "不换行空格（U+00A0）" in reasons["联系电话"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the bulk path is PostgreSQL's")
def test_the_bulk_path_names_invisible_characters_like_the_row_wise_path(tmp_path, users):
    from tests.registry.test_import_bulk import assert_same, both_paths, good_households

    rows = [r for h in good_households(6) for r in h]
    rows[4]["证件号码"] = rows[4]["证件号码"] + "\ufeff"
    rows.append({})  # a blank row, and one of spaces: neither is a row of data
    rows.append({h: " " for h in import_files.HEADINGS})
    outcomes = both_paths(write_csv(tmp_path / "zw.csv", rows), users["county"], only_valid_rows=True)
    assert any("U+FEFF" in e.reason for e in outcomes[1][0].errors)
    assert_same(outcomes)


@pytest.mark.parametrize("filler", [{}, {"姓名": " ", "证件号码": "  "}, {"序号": "1"}])
@pytest.mark.parametrize("only_valid_rows", [False, True])
def test_headings_and_no_rows_of_data_is_an_error(tmp_path, users, filler, only_valid_rows):
    """Before: rows of spaces or of a 序号 alone were rows of errors, or with 只导入无误的户 a finished import
    of nothing."""
    headings = ["序号", *import_files.HEADINGS]
    path = tmp_path / "empty.xlsx"
    write_xlsx(path, [dict(filler) for _ in range(5)], headings=headings)
    with pytest.raises(ImportRejected) as refused:
        import_file(path, user=users["county"], only_valid_rows=only_valid_rows)
    assert "没有数据行" in str(refused.value)
    write_csv(tmp_path / "empty.csv", [dict(filler) for _ in range(5)], headings=headings)
    with pytest.raises(ImportRejected):
        import_file(tmp_path / "empty.csv", user=users["county"], only_valid_rows=only_valid_rows)


def test_a_database_error_in_a_job_is_worded_in_chinese(tmp_path, users, settings, monkeypatch):
    """Before: “数据库错误，本次导入未写入任何数据：DataError”."""
    import io

    from django.db import DataError

    from fupin.registry import imports
    from fupin.registry.importing import jobs
    from fupin.registry.models import ImportJob, ImportStatus

    settings.MEDIA_ROOT = tmp_path / "media"
    job = ImportJob(user=users["county"], scope_code=factories.VILLAGE, original_name="h.csv")
    content = write_csv(tmp_path / "h.csv", household("王大山")).read_bytes()
    job.file.save("h.csv", io.BytesIO(content), save=True)

    def overflow(*args, **kwargs):
        raise DataError("numeric field overflow\nDETAIL:  A field with precision 12, scale 2 must round …")

    monkeypatch.setattr(jobs, "import_file", overflow)
    imports.process_job(job)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and "超出了数据库允许的范围" in job.message
    assert_chinese(job.message)
