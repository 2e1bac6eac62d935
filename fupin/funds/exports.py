"""Excel (.xlsx) exports: the subsidy payment list, loan reminders and overdue reports, reconciliation
results.

Amounts are written as numbers in yuan with two places (exact: fen ÷ 100), formatted "#,##0.00".
ID numbers are masked: the bank already holds them, and the file travels by e-mail and USB.
"""

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from fupin.core import money, spreadsheets
from fupin.core.idnumber import mask

from .reconciliation import LEDGER_HEADERS

MONEY_FORMAT = "#,##0.00"


def _fill(sheet, headers: list[str], rows: list[list], *, money_columns: set[int], caption: str = "") -> None:
    start = 1
    if caption:
        spreadsheets.append(sheet, [caption])
        sheet.cell(row=1, column=1).font = Font(bold=True, size=13)
        start = 2
    spreadsheets.append(sheet, headers)
    for cell in sheet[start]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for row in rows:
        spreadsheets.append(sheet, row)
    for col in money_columns:
        for (cell,) in sheet.iter_rows(min_row=start + 1, min_col=col, max_col=col):
            cell.number_format = MONEY_FORMAT
    for i, header in enumerate(headers, start=1):
        sheet.column_dimensions[sheet.cell(row=start, column=i).column_letter].width = max(
            10, len(header) * 2 + 2
        )


def _book(
    title: str, headers: list[str], rows: list[list], *, money_columns: set[int], caption: str = ""
) -> Workbook:
    book = spreadsheets.new_workbook()
    book.active.title = title[:31]
    _fill(book.active, headers, rows, money_columns=money_columns, caption=caption)
    return book


def _bytes(book: Workbook) -> bytes:
    buf = io.BytesIO()
    spreadsheets.save(book, buf)
    return buf.getvalue()


def _yuan(fen):
    return None if fen is None else money.fen_to_yuan(fen)


SUBSIDY_HEADERS = [
    "序号",
    "乡镇",
    "行政村",
    "借款人/主体",
    "身份证号",
    "贷款银行",
    "借款合同号",
    "贷款金额（元）",
    "放款日期",
    "到期日期",
    "执行年利率（%）",
    "基准年利率（%）",
    "贴息比例（%）",
    "贴息天数",
    "应付利息（元）",
    "已付利息（元）",
    "应贴息（元）",
    "可拨付贴息（元）",
    "已拨付（元）",
]


def _subsidy_row(n: int, line) -> list:
    loan = line.loan
    region = loan.region
    id_number = loan.borrower.id_number if loan.borrower_id and loan.borrower else loan.credit_code
    return [
        n,
        region.full_name() if region.level == 4 else "",
        region.name,
        loan.borrower_name,
        mask(id_number),
        loan.bank,
        loan.contract_no,
        _yuan(loan.amount_fen),
        loan.disbursed_on,
        loan.maturity_on,
        loan.interest_rate,
        loan.benchmark_rate,
        loan.subsidy_share,
        line.days,
        _yuan(line.interest_due_fen),
        _yuan(line.interest_paid_fen),
        _yuan(line.subsidy_fen),
        _yuan(line.payable_fen),
        _yuan(line.paid_fen),
    ]


def _subsidy_totals(lines) -> list:
    return [
        "合计",
        "",
        "",
        f"{len(lines)}笔",
        "",
        "",
        "",
        _yuan(sum(x.loan.amount_fen for x in lines)),
        "",
        "",
        "",
        "",
        "",
        "",
        _yuan(sum(x.interest_due_fen for x in lines)),
        _yuan(sum(x.interest_paid_fen or 0 for x in lines)),
        _yuan(sum(x.subsidy_fen for x in lines)),
        _yuan(sum(x.payable_fen for x in lines)),
        _yuan(sum(x.paid_fen or 0 for x in lines)),
    ]


def subsidy_xlsx(county, year: int, quarter: int, lines, user) -> bytes:
    """利息补贴名单: one row per loan, with totals, as the bank and the finance bureau exchange it."""
    period = f"{year}年第{quarter}季度" if quarter else f"{year}年度（企业、家庭农场、合作社）"
    rows = [_subsidy_row(n, line) for n, line in enumerate(lines, start=1)]
    rows.append(_subsidy_totals(lines))
    book = _book(
        "贴息名单",
        SUBSIDY_HEADERS,
        rows,
        money_columns={8, 15, 16, 17, 18, 19},
        caption=f"{county.name}扶贫小额信贷贴息名单（{period}）",
    )
    return _bytes(book)


# The first columns of every loan report sheet, and their cells.
LOAN_HEADERS = ["借款人/主体", "行政村", "贷款银行", "借款合同号", "贷款金额（元）"]


def _loan_cells(x) -> list:
    return [x.borrower_name, x.region.name, x.bank, x.contract_no, _yuan(x.amount_fen)]


def loan_reports_xlsx(county, today, *, maturing, overdue, defaulted) -> bytes:
    book = spreadsheets.new_workbook()
    book.remove(book.active)
    sections = [
        (
            "到期提醒",
            [*LOAN_HEADERS, "到期日期", "距到期天数", "提醒日期"],
            [
                [*_loan_cells(x), x.maturity_on, (x.maturity_on - today).days, x.reminder_sent_on]
                for x in maturing
            ],
            {5},
        ),
        (
            "逾期贷款",
            [*LOAN_HEADERS, "到期日期", "逾期天数", "未还本金（元）"],
            [
                [*_loan_cells(x), x.maturity_on, (today - x.maturity_on).days, _yuan(x.unpaid_fen)]
                for x in overdue
            ],
            {5, 8},
        ),
        (
            "代偿损失",
            [*LOAN_HEADERS, "损失认定日期", "本息损失（元）", "风险缓释金代偿（元）", "已追回（元）"],
            [
                [
                    *_loan_cells(x),
                    x.defaulted_on,
                    _yuan(x.loss_fen),
                    _yuan(x.paid_out_fen),
                    _yuan(x.recovered_fen),
                ]
                for x in defaulted
            ],
            {5, 7, 8, 9},
        ),
    ]
    for title, headers, rows, money_columns in sections:
        _fill(
            book.create_sheet(title),
            headers,
            rows,
            money_columns=money_columns,
            caption=f"{county.name}{title}（{today:%Y-%m-%d}）",
        )
    return _bytes(book)


def mismatches_xlsx(ledger, mismatches) -> bytes:
    headers = ["序号", "问题类型", "项目编号", "项目名称", "项目库/拨付记录", "统计表", "统计表行号"]
    rows = [
        [n, m.label, m.code, m.name, m.library, m.ledger, m.row] for n, m in enumerate(mismatches, start=1)
    ]
    book = _book(
        "比对结果",
        headers,
        rows,
        money_columns=set(),
        caption=f"{ledger.year}年扶贫资金项目统计表与项目库比对结果（{len(mismatches)}处不符）",
    )
    return _bytes(book)


def ledger_template_xlsx() -> bytes:
    book = _book(
        "扶贫资金项目统计表",
        LEDGER_HEADERS,
        [["XF2025-001", "（示例）南山村产业路硬化", 100000, 60000]],
        money_columns={3, 4},
    )
    return _bytes(book)
