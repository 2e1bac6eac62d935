"""Importing the national form: validation with row/column/reason, all-or-nothing, idempotency."""

import contextlib
import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from openpyxl import load_workbook

from fupin.audit.models import AuditEntry
from fupin.registry import imports, services
from fupin.registry.importing import columns as import_columns
from fupin.registry.importing import plan as import_plan
from fupin.registry.importing import reading
from fupin.registry.importing import regions as import_regions
from fupin.registry.imports import ImportRejected, import_file
from fupin.registry.models import Household, ImportJob, ImportStatus, IncomeRecord, Member
from tests import factories
from tests.registry.import_files import OTHER_COUNTY_PLACE, SIBLING_PLACE, household, write_csv, write_xlsx

pytestmark = pytest.mark.django_db


def run(tmp_path, rows, user, *, name="households.csv", **kwargs):
    path = tmp_path / name
    (write_xlsx if name.endswith(".xlsx") else write_csv)(path, rows)
    return import_file(path, user=user, **kwargs)


def errors_of(result):
    return [(e.row, e.column, e.reason) for e in result.errors]


def test_good_file_imports_households_members_and_income(tmp_path, users):
    rows = household("王大山") + household(
        "李四海",
        members=[
            ("李小花", "之女", datetime.date(2010, 9, 1), "女"),
            ("赵桂芳", "配偶", datetime.date(1972, 1, 5), "女"),
        ],
    )
    result = run(tmp_path, rows, users["county"])
    assert result.imported and not result.errors
    assert (result.households_created, result.members_created, result.total_rows) == (2, 5, 5)
    h = Household.objects.get(head_name="李四海")
    assert h.size == 3 and h.head_initials == "LSH" and h.village_id == factories.VILLAGE
    assert h.number == factories.VILLAGE + "0002"
    assert h.other_causes == ["lack_skills", "lack_funds"] and h.farmland_area == Decimal("3.50")
    assert h.has_sanitary_toilet is True and h.household_type == "general_poor"
    income = IncomeRecord.objects.get(household=h, year=2024)
    assert income.production == Decimal("3000.50")
    # (12000 + 3000.50 + 2400 − 500) ÷ 3
    assert income.per_capita_net_income == Decimal("5633.50") == h.latest_income
    daughter = Member.objects.get(name="李小花")
    assert (daughter.sex, daughter.birth_date, daughter.relation) == (
        "F",
        datetime.date(2010, 9, 1),
        "daughter",
    )
    assert daughter.village_code == factories.VILLAGE and daughter.name_initials == "LXH"
    entries = AuditEntry.objects.filter(action="import_create")
    assert entries.count() == 2 and entries.filter(household=h, username="county").exists()


def test_xlsx_with_numeric_cells_imports_like_csv(tmp_path, users):
    rows = household(
        "王大山", **{"耕地面积（亩）": "3.5", "工资性收入": "12000", "生产经营性收入": "0.1", "低保金": "0.2"}
    )
    path = write_xlsx(
        tmp_path / "h.xlsx",
        rows,
        numbers=(
            "耕地面积（亩）",
            "工资性收入",
            "生产经营性收入",
            "低保金",
            "家庭人口数",
            "识别年度",
            "收入年度",
            "务工时间（月）",
        ),
    )
    result = import_file(path, user=users["county"])
    assert result.imported, errors_of(result)
    h = Household.objects.get()
    assert h.farmland_area == Decimal("3.50") and h.size == 2
    assert IncomeRecord.objects.get().production == Decimal("0.10")


@pytest.mark.parametrize(
    "raw",
    [
        "12,000.5",
        "１２，０００.５",
        "0",
        "12.345",
        "-1",
        "abc",
        "NaN",
        "1e3",
        "9999999999.99",
        "10000000000",
        "1.500",
    ],
)
def test_money_cells_are_read_by_the_one_money_parser(raw):
    """The importer's sums of yuan go through core.money.parse_yuan with the column's limit: the same value or
    the same refusal as the forms and the API (issue 15, item 4)."""
    from fupin.core import money
    from fupin.registry.models import MONEY_BELOW

    convert = import_columns.BY_KEY[(import_columns.INCOME, "wages")].convert
    try:
        expected = money.parse_yuan(raw, below=MONEY_BELOW)
    except money.MoneyError as e:
        with pytest.raises(import_columns.CellError) as refused:
            convert(raw)
        assert str(refused.value) == str(e)
    else:
        assert convert(raw) == expected


def test_a_bad_sum_is_refused_with_the_forms_message_on_its_row_and_column(tmp_path, users):
    rows = household("王大山") + household("李四海", **{"工资性收入": "一万", "低保金": "10000000000"})
    result = run(tmp_path, rows, users["county"])
    assert not result.imported
    assert (4, "工资性收入", "请输入金额（元）") in errors_of(result)
    assert (4, "低保金", "金额不能超过 9,999,999,999.99") in errors_of(result)


def test_household_cells_on_the_head_row_only_are_accepted(tmp_path, users):
    rows = household("王大山", repeat=False) + household("李四海", repeat=False)
    result = run(tmp_path, rows, users["county"])
    assert result.imported, errors_of(result)
    assert sorted(Household.objects.values_list("head_name", "size")) == [("李四海", 2), ("王大山", 2)]


@pytest.mark.parametrize(
    "case, row, column, reason",
    [
        ("bad_check_digit", 5, "证件号码", "校验位错误"),
        ("sex_mismatch", 5, "性别", "性别与身份证号不符"),
        ("unknown_label", 4, "贫困户属性", "不是有效的贫困户属性"),
        ("two_heads", 5, "与户主关系", "每户只能有一名户主"),
        ("duplicate_id", 5, "证件号码", "与第2行重复"),
        ("bad_money", 4, "工资性收入", "最多保留两位小数"),
        ("outside_scope", 4, "行政村", "不在您的管辖范围内"),
        ("unknown_village", 4, "行政村", "没有名为“不存在村”的行政村"),
        ("missing_status_fields", 4, "主要致贫原因", "贫困户须填写主要致贫原因"),
        ("months", 5, "务工时间（月）", "应在0到12之间"),
        ("inconsistent_household_cells", 5, "识别年度", "不一致"),
        ("income_without_year", 4, "收入年度", "请同时填写收入年度"),
        ("stated_income_wrong", 4, "年人均纯收入", "应为 8450.25"),
    ],
)
def test_bad_rows_are_reported_with_row_column_and_reason_and_nothing_is_imported(
    tmp_path, users, case, row, column, reason
):
    good = household("王大山")
    bad = household("李四海")
    member = bad[1]
    household_cells = {}
    if case == "bad_check_digit":
        member["证件号码"] = member["证件号码"][:17] + ("0" if member["证件号码"][17] != "0" else "1")
    elif case == "sex_mismatch":
        member["性别"] = "女"
    elif case == "unknown_label":
        household_cells = {"贫困户属性": "特别贫困户"}
    elif case == "two_heads":
        member["与户主关系"] = "户主"
    elif case == "duplicate_id":
        member["证件号码"] = good[0]["证件号码"]
    elif case == "bad_money":
        household_cells = {"工资性收入": "12.345"}
    elif case == "outside_scope":
        household_cells = SIBLING_PLACE
    elif case == "unknown_village":
        household_cells = {"行政村": "不存在村"}
    elif case == "missing_status_fields":
        household_cells = {"主要致贫原因": ""}
    elif case == "months":
        member["务工时间（月）"] = "13"
    elif case == "inconsistent_household_cells":
        member["识别年度"] = "2017"
    elif case == "income_without_year":
        household_cells = {"收入年度": ""}
    elif case == "stated_income_wrong":
        household_cells = {"年人均纯收入": "8450.00"}  # (12000 + 3000.50 + 2400 − 500) ÷ 2 = 8450.25
    for r in bad:
        r.update(household_cells)
    result = run(tmp_path, good + bad, users["clerk"])
    assert not result.imported
    assert any(r == row and col == column and reason in why for r, col, why in errors_of(result)), errors_of(
        result
    )
    assert Household.objects.count() == 0 and Member.objects.count() == 0 and AuditEntry.objects.count() == 0


def test_id_number_already_in_another_household_is_refused(tmp_path, users):
    existing = factories.make_household(head="张三丰")
    taken = existing.members.get(relation="head").id_number
    rows = household("王大山")
    rows[1]["证件号码"] = taken
    rows[1]["姓名"] = "张三丰"
    result = run(tmp_path, rows, users["clerk"])
    assert not result.imported
    assert (3, "证件号码", f"此身份证号已登记在户 {existing.number}（一人只能在一户）") in errors_of(result)
    assert Household.objects.count() == 1


def test_missing_required_column_rejects_the_file(tmp_path, users):
    headings = [h for h in imports.HEADINGS if h != "与户主关系"]
    path = write_csv(tmp_path / "h.csv", household("王大山"), headings=headings)
    with pytest.raises(ImportRejected, match="缺少必填列：与户主关系"):
        import_file(path, user=users["clerk"])


def test_unreadable_and_wrong_files_are_rejected_clearly(tmp_path, users):
    bad_xlsx = tmp_path / "broken.xlsx"
    bad_xlsx.write_bytes(b"not a zip file")
    with pytest.raises(ImportRejected, match="无法读取 Excel 文件"):
        import_file(bad_xlsx, user=users["clerk"])
    with pytest.raises(ImportRejected, match="另存为 .xlsx"):
        import_file(tmp_path / "old.xls", user=users["clerk"])
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(ImportRejected, match="空"):
        import_file(empty, user=users["clerk"])


def test_only_valid_rows_imports_the_clean_households_whole(tmp_path, users):
    good = household("王大山")
    bad = household("李四海")
    bad[1]["证件号码"] = "360722199901011234"  # bad check digit on the second member only
    result = run(tmp_path, good + bad, users["county"], only_valid_rows=True)
    assert result.imported
    assert result.households_created == 1 and result.skipped_households == 1 and result.skipped_rows == 2
    assert list(Household.objects.values_list("head_name", flat=True)) == ["王大山"]
    assert not Member.objects.filter(name="李四海").exists()  # the bad household's good row is skipped too
    assert (3, "", import_plan.SKIPPED) in errors_of(result) or (4, "", import_plan.SKIPPED) in errors_of(
        result
    )


def test_reimporting_the_same_file_changes_nothing(tmp_path, users):
    rows = household("王大山") + household("李四海")
    first = run(tmp_path, rows, users["county"])
    assert first.households_created == 2
    before = list(Household.objects.values_list("pk", "updated_at").order_by("pk"))
    audit = AuditEntry.objects.count()
    again = run(tmp_path, rows, users["county"])
    assert again.imported and not again.errors
    assert (
        again.households_created,
        again.households_updated,
        again.members_created,
        again.members_updated,
    ) == (0, 0, 0, 0)
    assert again.unchanged_rows == again.total_rows == 4
    assert list(Household.objects.values_list("pk", "updated_at").order_by("pk")) == before
    assert AuditEntry.objects.count() == audit


def test_reimport_as_xlsx_after_csv_changes_nothing(tmp_path, users):
    rows = household("王大山")
    run(tmp_path, rows, users["county"])
    again = run(tmp_path, rows, users["county"], name="same.xlsx")
    assert again.unchanged_rows == 2 and again.households_updated == 0, errors_of(again)


def test_changing_one_cell_updates_only_that_record(tmp_path, users):
    rows = household("王大山") + household("李四海")
    run(tmp_path, rows, users["county"])
    rows[3]["文化程度"] = "大专及以上"
    result = run(tmp_path, rows, users["county"])
    assert (result.households_created, result.members_created, result.members_updated) == (0, 0, 1)
    assert result.households_updated == 1 and result.unchanged_rows == 3
    member = Member.objects.get(id_number=rows[3]["证件号码"])
    assert member.education == "college"
    entry = AuditEntry.objects.get(action="import_update")
    assert entry.household_id == member.household_id
    assert any(
        key.endswith(".education") and value == ["senior", "college"] for key, value in entry.changes.items()
    )


def test_household_number_updates_a_household_and_adds_a_member(tmp_path, users):
    # a household outside the registry (a registered one's members change by change request: test_status_lock)
    existing = factories.make_household(head="张三丰", members=1, status="applicant")
    head = existing.members.get()
    rows = household(
        "张三丰",
        户编号=existing.number,
        members=[("张小宝", "之子", datetime.date(2012, 1, 1), "男")],
        户状态="申请中",
        识别年度="",
        贫困户属性="",
    )
    rows[0]["证件号码"] = rows[0]["户主证件号码"] = rows[1]["户主证件号码"] = head.id_number
    rows[0]["出生日期"] = ""
    result = run(tmp_path, rows, users["clerk"])
    assert result.imported, errors_of(result)
    assert result.households_updated == 1 and result.members_created == 1 and result.households_created == 0
    existing.refresh_from_db()
    assert existing.size == 2 and existing.farmland_area == Decimal("3.50") and existing.head_name == "张三丰"
    # income of another year kept; the latest year is the file's
    assert set(existing.incomes.values_list("year", flat=True)) == {2024, 2025}
    assert existing.latest_income == existing.incomes.get(year=2025).per_capita_net_income


def test_second_head_for_a_registered_household_is_refused(tmp_path, users):
    existing = factories.make_household(head="张三丰", members=1)
    rows = household("王大山", 户编号=existing.number, members=[])
    result = run(tmp_path, rows, users["clerk"])
    assert not result.imported
    assert any(col == "与户主关系" and "每户只能有一名户主" in why for _, col, why in errors_of(result))


def test_household_rows_must_be_contiguous(tmp_path, users):
    a, b = household("王大山"), household("李四海")
    result = run(tmp_path, [a[0], b[0], a[1], b[1]], users["clerk"])
    assert not result.imported
    assert any(col == "户主证件号码" and "不相邻" in why for _, col, why in errors_of(result))


def test_xlsx_id_number_stored_as_a_number_gets_a_clear_message(tmp_path, users):
    rows = household("王大山")
    rows[1]["证件号码"] = "360722200103040011"
    # a number Excel can hold at all: not one ending in X (the head's depends on how many IDs earlier tests
    # drew)
    for row in rows:
        row["户主证件号码"] = "360722196802010012"
    rows[0]["证件号码"] = "360722196802010012"
    path = write_xlsx(tmp_path / "h.xlsx", rows, numbers=("证件号码",))
    result = import_file(path, user=users["clerk"])
    assert any("存成了数字" in why for _, col, why in errors_of(result))


def test_gbk_csv_with_title_row_and_half_width_headings(tmp_path, users):
    rows = household("王大山")
    headings = [h.replace("（", "(").replace("）", ")") for h in imports.HEADINGS]
    path = tmp_path / "gbk.csv"
    with open(path, "w", encoding="gb18030", newline="") as fh:
        fh.write("贫困户信息采集表\n")
        import csv

        writer = csv.writer(fh)
        writer.writerow(headings)
        for row in rows:
            writer.writerow([row.get(h, "") for h in imports.HEADINGS])
    result = import_file(path, user=users["county"])
    assert result.imported, errors_of(result)
    assert Member.objects.count() == 2


def test_read_only_role_cannot_import(tmp_path, users):
    with pytest.raises(ImportRejected):
        run(tmp_path, household("王大山"), users["prefecture"])


def test_county_user_imports_into_any_village_of_the_county(tmp_path, users):
    rows = household("王大山") + household("李四海", place=SIBLING_PLACE)
    result = run(tmp_path, rows, users["county"])
    assert result.imported and result.households_created == 2
    other = household("赵六", place=OTHER_COUNTY_PLACE)
    result = run(tmp_path, other, users["county"])
    assert not result.imported and "不在您的管辖范围内" in result.errors[0].reason


def test_import_village_code_column(tmp_path, users):
    rows = household("王大山")
    headings = ["行政村代码"] + [
        h for h in imports.HEADINGS if h not in ("省", "市", "县", "乡（镇）", "行政村")
    ]
    for row in rows:
        row["行政村代码"] = factories.SIBLING_VILLAGE
    path = write_csv(tmp_path / "h.csv", rows, headings=headings)
    result = import_file(path, user=users["county"])
    assert result.imported, errors_of(result)
    assert Household.objects.get().village_id == factories.SIBLING_VILLAGE


def test_name_initials_match_the_service_for_common_names():
    for name in [
        "张三丰",
        "曾国藩",
        "单田芳",
        "解晓东",
        "仇英",
        "朴正熙",
        "区志强",
        "买买提·艾力",
        "长孙无忌",
        "乐嘉",
        "覃海",
    ]:
        assert import_regions.name_initials(name) == services.initials(name), name


# -- the job, the error report, the command -------------------------------------------------------


def test_job_records_outcome_and_error_report(tmp_path, users, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    rows = household("王大山")
    rows[1]["性别"] = "女"
    path = write_csv(tmp_path / "h.csv", rows)
    job = ImportJob(user=users["county"], scope_code=factories.VILLAGE, original_name="h.csv")
    job.file.save("h.csv", io.BytesIO(path.read_bytes()), save=True)
    imports.process_job(job)
    job.refresh_from_db()
    assert job.status == ImportStatus.REJECTED and job.error_rows == 1 and job.finished_at
    with job.error_file.open("rb") as report:  # stored encrypted: read through the storage
        sheet = load_workbook(io.BytesIO(report.read())).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == ["行号", "列", "值", "错误原因"]
    assert values[1][:3] == [3, "性别", "女"] and "性别与身份证号不符" in values[1][3]


def test_import_command(tmp_path, users, settings, capsys):
    settings.MEDIA_ROOT = tmp_path / "media"
    path = write_csv(tmp_path / "h.csv", household("王大山"))
    call_command("import", str(path), user="county")
    out = capsys.readouterr()
    assert "新增 1 户、2 人" in out.out and "导入" in out.err
    bad = household("李四海")
    bad[0]["户状态"] = "不知道"
    path = write_csv(tmp_path / "bad.csv", bad)
    with pytest.raises(CommandError):
        call_command("import", str(path), user="county")
    out = capsys.readouterr()
    assert "错误报告：" in out.out
    with pytest.raises(CommandError, match="不能导入"):
        call_command("import", str(path), user="prefecture")


# -- pages ----------------------------------------------------------------------------------------


def _upload(client, rows, name="h.csv", **data):
    buffer = io.BytesIO()
    path = None
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / name
        (write_xlsx if name.endswith(".xlsx") else write_csv)(path, rows)
        content = path.read_bytes()
    buffer.write(content)
    upload = SimpleUploadedFile(name, content)
    return client.post(reverse("registry:import_upload"), {"file": upload, **data})


def test_upload_page_imports_and_shows_the_job(client, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(users["county"])
    response = _upload(client, household("王大山"))
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("registry:import_detail", args=[job.pk])
    page = client.get(response.url)
    assert (
        page.status_code == 200 and "已完成" in page.content.decode() and "新增 1 户" in page.content.decode()
    )
    progress = client.get(reverse("registry:import_progress", args=[job.pk]))
    assert (
        "<progress" in progress.content.decode() and 'hx-trigger="every 1s"' not in progress.content.decode()
    )
    assert Household.objects.count() == 1


def test_upload_refuses_wrong_files_with_a_message(client, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(users["clerk"])
    response = client.post(reverse("registry:import_upload"), {"file": SimpleUploadedFile("a.txt", b"hello")})
    assert response.status_code == 200 and "只能导入 .xlsx 或 .csv 文件" in response.content.decode()
    headings = [h for h in imports.HEADINGS if h != "证件号码"]
    path = write_csv(tmp_path / "x.csv", household("王大山"), headings=headings)
    response = client.post(
        reverse("registry:import_upload"), {"file": SimpleUploadedFile("x.csv", path.read_bytes())}
    )
    assert "找不到表头" in response.content.decode() or "缺少必填列" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_read_only_roles_cannot_open_the_upload_page(client, users):
    client.force_login(users["prefecture"])
    assert client.get(reverse("registry:import_upload")).status_code == 403


def test_error_report_downloads_for_the_owner_and_jobs_stay_in_scope(client, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    rows = household("王大山")
    rows[1]["性别"] = "女"
    client.force_login(users["clerk"])
    _upload(client, rows)
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.REJECTED
    download = client.get(reverse("registry:import_errors", args=[job.pk]))
    assert download.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    assert [c.value for c in next(sheet.iter_rows())] == ["行号", "列", "值", "错误原因"]
    for name in ("sibling_clerk", "other_county"):
        client.force_login(users[name])
        for view in ("import_detail", "import_progress", "import_errors"):
            assert client.get(reverse(f"registry:{view}", args=[job.pk])).status_code == 404
    client.force_login(users["township"])
    assert client.get(reverse("registry:import_detail", args=[job.pk])).status_code == 200
    client.force_login(users["prefecture"])  # sees the job, not the ID numbers in its report
    assert client.get(reverse("registry:import_detail", args=[job.pk])).status_code == 200
    assert client.get(reverse("registry:import_errors", args=[job.pk])).status_code == 404


def test_template_download_has_the_headings(client, users):
    client.force_login(users["clerk"])
    response = client.get(reverse("registry:import_template"))
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert [c.value for c in next(workbook.worksheets[0].iter_rows())] == imports.HEADINGS
    assert workbook.worksheets[1].max_row > 1  # the sample rows


# -- an import that owns its transaction (on PostgreSQL a second connection writes) -------------


@pytest.mark.django_db(transaction=True)
def test_import_in_its_own_transaction_is_whole_or_nothing(tmp_path):
    from django.db import IntegrityError

    factories.make_tree()
    county = factories.make_user("county", "county", factories.VILLAGE[:6])
    bad = household("王大山") + household("李四海")
    bad[3]["性别"] = "女"
    result = run(tmp_path, bad, county)
    assert not result.imported and Household.objects.count() == 0 and Member.objects.count() == 0

    result = run(tmp_path, household("王大山") + household("李四海"), county)
    assert result.imported and Household.objects.count() == 2 and Member.objects.count() == 4

    # the database refuses the new member when it is written (a trigger standing in for a unique
    # constraint that a concurrent writer broke): nothing of the file stays
    with refusing_member_inserts("赵六"):
        with pytest.raises(IntegrityError):
            run(tmp_path, household("赵六"), county)
    assert Household.objects.count() == 2 and not Member.objects.filter(name="赵六").exists()


@contextlib.contextmanager
def refusing_member_inserts(name):
    """The database refuses (integrity error) a member called `name`: committed DDL, dropped after."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION test_refuse_member() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN IF NEW.name = '{name}' THEN "
                "RAISE unique_violation USING MESSAGE = 'refused'; END IF; RETURN NEW; END $$"
            )
            cursor.execute(
                "CREATE TRIGGER test_refuse_member BEFORE INSERT ON registry_member "
                "FOR EACH ROW EXECUTE FUNCTION test_refuse_member()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER test_refuse_member BEFORE INSERT ON registry_member "
                f"WHEN NEW.name = '{name}' BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("DROP TRIGGER test_refuse_member ON registry_member")
                cursor.execute("DROP FUNCTION test_refuse_member()")
            else:
                cursor.execute("DROP TRIGGER test_refuse_member")


# -- the shipped template and samples --------------------------------------------------------------

DOCS = __import__("pathlib").Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.parametrize("name", ["sample_import.csv", "sample_import.xlsx"])
def test_shipped_samples_import_into_xinfeng(users, name):
    from fupin.regions.models import Region

    # the samples use the real division names (factories' tree has made-up ones for these two)
    Region.objects.filter(code="360722101200").update(name="大塘村委会")
    Region.objects.filter(code="360722101201").update(name="万星村委会")
    result = import_file(DOCS / name, user=users["county"])
    assert result.imported, errors_of(result)
    assert (result.households_created, result.members_created) == (3, 9)
    exited = Household.objects.get(head_name="赖春生")
    assert exited.status == "exited" and exited.exit_year == 2019 and exited.size == 4


def test_documented_columns_are_the_columns_read():
    text = (DOCS / "import_template.md").read_text(encoding="utf-8")
    for column in import_columns.COLUMNS:
        assert f"| {column.heading} |" in text, column.heading


def test_the_bulk_paths_initials_are_name_initials_for_every_name():
    """The bulk path's initials (characters with one initial mapped by polars, the rest by name_initials)
    gives what the row-wise path stores, for names met first or again."""
    import polars as pl

    from fupin.registry.importing import initials as bulk_initials

    names = [
        "",
        "张三丰",
        "曾小明",
        "单于",
        "长孙无忌",
        "王",
        "Anna",
        "a张",
        "欧阳娜娜",
        "乐乐",
        "重庆",
        "朝阳",
        "张" * 25,
        "李" + "行" * 3,
        "阿依古丽·买买提",
        "\u3007",
        "𠀀",
        "李银行",
        "王一丁点儿",
        "曾重庆人",
        "单行道长",
    ]
    expected = [import_regions.name_initials(n) for n in names]

    class Importer:
        initials = {}

    assert bulk_initials.initials(pl.Series(names)).to_list() == expected
    assert bulk_initials.initials(pl.Series(names[::-1] + names)).to_list() == expected[::-1] + expected


def test_a_files_rows_are_counted_when_small_and_estimated_from_its_start_when_large(tmp_path):
    """The row count behind the progress bar and the choice of the bulk path: exact for a file of up to the
    sample's size, within a percent for a large file of much alike rows, without reading it all."""
    small = tmp_path / "small.csv"
    small.write_text("户编号,姓名\n" + "".join(f"{i},张三\n" for i in range(500)), encoding="utf-8")
    assert reading._count_lines(small) == 501
    large = tmp_path / "large.csv"
    large.write_text(
        "户编号,姓名\n" + "".join(f"{i:06d},{'张三' if i % 3 else '欧阳小明'}\n" for i in range(300_000)),
        encoding="utf-8",
    )
    assert abs(reading._count_lines(large, sample=1 << 16) - 300_001) <= 3_000
    assert reading._count_lines(large, sample=large.stat().st_size) == 300_001


def test_reports_hands_its_insert_trigger_to_the_import_writer_at_start_up():
    """A bulk load disables the rollups' trigger and logs the villages itself, without the registry importing
    reports."""
    from fupin.registry.importing import writer
    from fupin.reports import bulk

    triggers = writer.bulk_triggers()
    assert set(triggers["registry_household"]) == {
        "registry_household_listversion_insert",
        "reports_household_insert",
    }
    assert [entry.apply for entry in writer.VILLAGE_TRIGGERS] == [
        writer.bump_list_versions,
        bulk.log_villages,
    ]
