"""Spreadsheets the assistance pages hand out: monitoring, demand lists, the helper import template."""

import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from fupin.core import spreadsheets

from .roster import HELPER_COLUMNS

HEADER_FILL = PatternFill("solid", fgColor="F3E9E8")


def _sheet(workbook: Workbook, title: str, header: list[str], rows, *, first: bool = False):
    ws = workbook.active if first else workbook.create_sheet()
    ws.title = title
    spreadsheets.append(ws, header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for row in rows:
        spreadsheets.append(ws, [float(v) if isinstance(v, Decimal) else v for v in row])
    for i, title in enumerate(header, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(10, len(title) * 2 + 2)
    ws.freeze_panes = "A2"
    return ws


def _bytes(workbook: Workbook) -> bytes:
    out = io.BytesIO()
    spreadsheets.save(workbook, out)
    return out.getvalue()


MONITORING_HEADER = [
    "乡镇",
    "帮扶责任人",
    "帮扶单位",
    "联系电话",
    "结对户数",
    "措施数",
    "已完成",
    "逾期未完成",
    "完成率%",
    "计划资金（元）",
    "落实资金（元）",
    "资金落实率%",
    "带动增收（元）",
    "走访次数",
    "已走访户数",
    "未走访户数",
]


def _monitoring_values(r: dict) -> list:
    return [
        r["households"],
        r["measures"],
        r["measures_done"],
        r["measures_overdue"],
        r["completion"],
        r["planned_amount"],
        r["actual_amount"],
        r["funds_rate"],
        r["income_increase"],
        r["visits"],
        r["visited_households"],
        r["unvisited_households"],
    ]


def monitoring_xlsx(report: dict) -> bytes:
    wb = spreadsheets.new_workbook()
    _sheet(
        wb,
        "帮扶责任人明细",
        MONITORING_HEADER,
        (
            [r["township_name"], r["helper"], r["unit"], r["phone"]] + _monitoring_values(r)
            for r in report["rows"]
        ),
        first=True,
    )
    _sheet(
        wb,
        "乡镇汇总",
        ["乡镇", "帮扶责任人数"] + MONITORING_HEADER[4:],
        ([t["township_name"], t["helpers"]] + _monitoring_values(t) for t in report["townships"]),
    )
    t = report["totals"]
    _sheet(
        wb,
        "县汇总",
        ["监测期", "帮扶责任人数"] + MONITORING_HEADER[4:],
        [[f"{report['year']}年{report['month']}月", t["helpers"]] + _monitoring_values(t)],
    )
    return _bytes(wb)


def demand_xlsx(demand: dict) -> bytes:
    wb = spreadsheets.new_workbook()
    header = ["需求措施", "类别", "户数", "措施数", "计划资金（元）"]
    _sheet(
        wb,
        "按村汇总",
        ["乡镇", "行政村", "村代码"] + header,
        (
            [
                r["township_name"],
                r["village_name"],
                r["village_code"],
                r["item"].name,
                r["item"].get_group_display(),
                r["households"],
                r["measures"],
                r["planned_amount"],
            ]
            for r in demand["villages"]
        ),
        first=True,
    )
    _sheet(
        wb,
        "按乡镇汇总",
        ["乡镇", "乡镇代码"] + header,
        (
            [
                r["township_name"],
                r["township"],
                r["item"].name,
                r["item"].get_group_display(),
                r["households"],
                r["measures"],
                r["planned_amount"],
            ]
            for r in demand["townships"]
        ),
    )
    _sheet(
        wb,
        "合计",
        header,
        (
            [
                r["item"].name,
                r["item"].get_group_display(),
                r["households"],
                r["measures"],
                r["planned_amount"],
            ]
            for r in demand["items"]
        ),
    )
    return _bytes(wb)


def helper_template_xlsx() -> bytes:
    wb = spreadsheets.new_workbook()
    _sheet(
        wb,
        "帮扶责任人",
        list(HELPER_COLUMNS),
        [
            [
                "信丰县农业农村局",
                "党政机关",
                "王建国",
                "结对帮扶干部",
                "副局长",
                "13907970001",
                "360722101",
                "",
            ],
            [
                "信丰县人民医院",
                "事业单位",
                "李秀英",
                "第一书记",
                "主治医师",
                "13907970002",
                "360722101200",
                "lixiuying",
            ],
        ],
        first=True,
    )
    return _bytes(wb)
