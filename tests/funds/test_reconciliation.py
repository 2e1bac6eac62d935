"""The project library against the statistics table and the payment records: every disagreement is listed."""

import datetime
import io

import pytest
from openpyxl import Workbook

from fupin.funds import funding, projects, reconciliation
from fupin.funds.models import FundSource, ProjectCategory, ProjectStatus
from fupin.funds.reconciliation import LedgerFileError, LedgerRow, LibraryProject, MismatchKind, reconcile
from tests import factories

D = datetime.date
COUNTY = factories.VILLAGE[:6]


def lib(
    code,
    *,
    name=None,
    year=2025,
    status=ProjectStatus.IN_PROGRESS,
    budget=100,
    planned=100,
    allocated=100,
    paid=50,
):
    return LibraryProject(
        code=code,
        name=name or f"项目{code}",
        year=year,
        status=status,
        budget_fen=budget,
        planned_fen=planned,
        allocated_fen=allocated,
        paid_fen=paid,
    )


def row(n, code, *, name=None, amount=100, paid=50):
    return LedgerRow(row=n, code=code, name=name or f"项目{code}", amount_fen=amount, paid_fen=paid)


def test_a_library_that_agrees_with_the_table_has_no_mismatch():
    assert reconcile(year=2025, library=[lib("A")], ledger=[row(2, "A")]) == []


def test_every_kind_of_disagreement_is_listed():
    library = [
        lib("OK"),
        lib("LIB_ONLY"),
        lib("OLD", year=2024),
        lib("RENAMED", name="南山村道路"),
        lib("GONE", status=ProjectStatus.CANCELLED, allocated=0, paid=0, budget=100),
        lib("SCALE"),
        lib("PAID"),
        lib("UNDERFUNDED", allocated=60, paid=0),
        lib("BADPLAN", planned=90),
        lib("EARLY", status=ProjectStatus.PLANNED),
        lib("CANCELMONEY", status=ProjectStatus.CANCELLED, allocated=100, paid=20),
        lib("ACCEPTED", status=ProjectStatus.ACCEPTED, paid=80),
        lib("FULLPAID", status=ProjectStatus.COMPLETED, paid=100),
    ]
    ledger = [
        row(2, "OK"),
        row(3, "NEW"),
        row(4, "OLD"),
        row(5, "RENAMED", name="南山村道路硬化"),
        row(6, "GONE", amount=0, paid=0),
        row(7, "SCALE", amount=120),
        row(8, "PAID", paid=70),
        row(9, "OK"),
        row(10, "UNDERFUNDED", amount=60, paid=0),
        row(11, "BADPLAN"),
        row(12, "EARLY"),
        row(13, "ACCEPTED", paid=80),
        row(14, "FULLPAID", paid=100),
    ]
    found = {(m.kind, m.code) for m in reconcile(year=2025, library=library, ledger=ledger)}
    expected = {
        (MismatchKind.NOT_IN_LIBRARY, "NEW"),
        (MismatchKind.NOT_IN_LEDGER, "LIB_ONLY"),
        (MismatchKind.DUPLICATE_IN_LEDGER, "OK"),
        (MismatchKind.WRONG_YEAR, "OLD"),
        (MismatchKind.NAME_DIFFERS, "RENAMED"),
        (MismatchKind.CANCELLED_IN_LEDGER, "GONE"),
        (MismatchKind.SCALE_DIFFERS, "SCALE"),
        (MismatchKind.PAID_DIFFERS, "PAID"),
        (MismatchKind.BUDGET_DIFFERS, "UNDERFUNDED"),
        (MismatchKind.PLAN_DIFFERS, "BADPLAN"),
        (MismatchKind.PAID_BEFORE_START, "EARLY"),
        (MismatchKind.CANCELLED_WITH_MONEY, "CANCELMONEY"),
        (MismatchKind.ACCEPTED_NOT_PAID, "ACCEPTED"),
        (MismatchKind.PAID_NOT_ACCEPTED, "FULLPAID"),
    }
    assert found == expected
    assert {kind for kind, _ in found} == set(MismatchKind)  # every kind the product knows is exercised


def test_mismatches_carry_both_sides_in_yuan():
    [m] = reconcile(
        year=2025,
        library=[lib("A", allocated=100_00, budget=100_00, planned=100_00, paid=50)],
        ledger=[row(2, "A", amount=120_00)],
    )
    assert (m.kind, m.library, m.ledger, m.row, m.label) == (
        MismatchKind.SCALE_DIFFERS,
        "100.00元",
        "120.00元",
        2,
        "资金规模不符",
    )


def _xlsx(rows):
    book = Workbook()
    sheet = book.active
    sheet.append(reconciliation.LEDGER_HEADERS)
    for r in rows:
        sheet.append(r)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def test_the_statistics_table_is_read_exactly_and_bad_rows_are_named():
    rows = reconciliation.parse_ledger(
        _xlsx([["A1", "道路", 1234.56, "1000"], [None, None, None, None], ["A2", "饮水", 10, 0]])
    )
    assert rows == [
        {"row": 2, "code": "A1", "name": "道路", "amount_fen": 123456, "paid_fen": 100000},
        {"row": 4, "code": "A2", "name": "饮水", "amount_fen": 1000, "paid_fen": 0},
    ]
    with pytest.raises(LedgerFileError) as e:
        reconciliation.parse_ledger(_xlsx([["", "x", 1, 1], ["B", "y", "-5", 1], ["C", "z", 1.005, 0]]))
    assert e.value.errors == [
        "第2行：项目编号为空",
        "第3行资金规模（元）：金额不能为负数",
        "第4行资金规模（元）：金额最多保留两位小数",
    ]
    with pytest.raises(LedgerFileError, match="不是有效的 Excel"):
        reconciliation.parse_ledger(b"not a workbook")


def test_reconciliation_against_the_database_library_and_payments(users):
    county = users["county"]
    project = projects.create_project(
        by=county,
        county_code=COUNTY,
        year=2025,
        code="XF-1",
        name="饮水工程",
        category=ProjectCategory.WATER,
        budget_fen=500_000,
        funding={FundSource.COUNTY: 500_000},
    )
    fund = funding.create_fund(
        by=county,
        county_code=COUNTY,
        year=2025,
        source=FundSource.COUNTY,
        name="县级资金",
        amount_fen=900_000,
    )
    allocation = funding.allocate(
        by=county, fund=fund, project=project, amount_fen=500_000, allocated_on=D(2025, 2, 1)
    )
    projects.record_progress(
        project, by=county, status=ProjectStatus.IN_PROGRESS, progress=10, on=D(2025, 2, 2)
    )
    funding.record_payment(by=county, allocation=allocation, amount_fen=200_000, paid_on=D(2025, 3, 1))
    ledger = funding.import_ledger(
        by=county,
        county_code=COUNTY,
        year=2025,
        original_name="统计表.xlsx",
        rows=reconciliation.parse_ledger(_xlsx([["XF-1", "饮水工程", "5000", "2500"]])),
    )
    mismatches = reconcile(
        year=2025, library=reconciliation.library_of(COUNTY), ledger=reconciliation.ledger_rows(ledger.rows)
    )
    assert [(m.kind, m.library, m.ledger) for m in mismatches] == [
        (MismatchKind.PAID_DIFFERS, "2,000.00元", "2,500.00元")
    ]
