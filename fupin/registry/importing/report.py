"""What an import tells its user: the result, each row's errors and the error report; and the import
template."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from fupin.core import idnumber, spreadsheets

from .columns import COLUMNS, HEADINGS, HOUSEHOLD, INCOME, MEMBER, REGION, TEMPLATE_COLUMNS

# ---------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    value: str
    reason: str


@dataclass
class ImportResult:
    total_rows: int = 0
    error_rows: int = 0
    skipped_households: int = 0
    skipped_rows: int = 0
    households_created: int = 0
    households_updated: int = 0
    members_created: int = 0
    members_updated: int = 0
    unchanged_rows: int = 0
    imported: bool = False
    committed_rows: int = 0  # SQLite's chunked write pass: the file's rows through which its chunks committed
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    def forget_changes(self) -> None:
        """A refused file changes nothing: no counts of what would have been created, updated or left."""
        self.households_created = self.households_updated = self.members_created = self.members_updated = 0
        self.unchanged_rows = 0

    @property
    def rejected(self) -> bool:
        return not self.imported

    def summary(self) -> str:
        if not self.imported and self.committed_rows:
            return (
                f"共 {self.total_rows} 行，写入期间发现 {self.error_rows} 行有错误"
                "（校验之后登记数据被修改）。"
                f"已写入前 {self.committed_rows} 行：新增 {self.households_created} 户、更新 "
                f"{self.households_updated} 户，其余未写入。请下载错误报告修改后重新导入同一文件，"
                "已写入的户不会重复写入。"
            )
        if not self.imported:
            return (
                f"共 {self.total_rows} 行，{self.error_rows} 行有错误，未导入任何数据。"
                "请下载错误报告修改后重新导入，或选择“只导入无错误的户”。"
            )
        text = (
            f"共 {self.total_rows} 行：新增 {self.households_created} 户、{self.members_created} 人；"
            f"更新 {self.households_updated} 户、{self.members_updated} 人；{self.unchanged_rows} 行无变化。"
        )
        if self.error_rows:
            text += (
                f"{self.error_rows} 行有错误，"
                f"跳过 {self.skipped_households} 户（{self.skipped_rows} 行），详见错误报告。"
            )
        if self.ignored_columns:
            text += "已忽略无法识别的列：" + "、".join(self.ignored_columns) + "。"
        return text


# ---------------------------------------------------------------------------------------------
# The error report and the template

ERROR_HEADINGS = ["行号", "列", "值", "错误原因"]
XLSX_MAX_ROWS = 1_048_000


# Columns whose digits are a phone or an account: masked in the error report as on the pages.
_PHONE_HEADINGS = {c.heading for c in COLUMNS if c.field == "phone"}
_ACCOUNT_HEADINGS = {c.heading for c in COLUMNS if c.field in ("bank_account", "id_number", "head_id_number")}
_DIGITS = re.compile(r"[0-9Xx -]{7,}")


def masked(error: RowError) -> RowError:
    """An error as the report keeps it on disk: ID numbers masked wherever they appear (110105********002X),
    and a phone's or an account's digits masked too. The row, the column and the reason say what to fix."""
    value = error.value
    if isinstance(value, str):
        value = idnumber.mask_text(value)
        if _DIGITS.fullmatch(value) and error.column in _PHONE_HEADINGS:
            value = idnumber.mask_phone(value)
        elif _DIGITS.fullmatch(value) and error.column in _ACCOUNT_HEADINGS:
            value = idnumber.mask(value)
    return RowError(error.row, error.column, value, idnumber.mask_text(str(error.reason)))


def write_error_report(errors: list[RowError], out) -> str:
    """Write the errors (sorted by row) as .xlsx, or .csv past Excel's row limit; returns the extension used.
    Personal values are masked (`masked`): the report is a file kept on disk and downloaded."""
    ordered = [masked(e) for e in sorted(errors, key=lambda e: (e.row, e.column))]
    if len(ordered) >= XLSX_MAX_ROWS:
        text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
        writer = spreadsheets.csv_writer(text)
        writer.writerow(ERROR_HEADINGS)
        writer.writerows((e.row, e.column, e.value, e.reason) for e in ordered)
        text.flush()
        text.detach()
        return ".csv"
    workbook = spreadsheets.new_workbook(write_only=True)
    sheet = workbook.create_sheet("错误报告")
    sheet.column_dimensions["A"].width = 8
    sheet.column_dimensions["B"].width = 18
    sheet.column_dimensions["C"].width = 24
    sheet.column_dimensions["D"].width = 60
    sheet.append(ERROR_HEADINGS)
    for e in ordered:
        sheet.append(spreadsheets.safe_row(sheet, [e.row, e.column, e.value, e.reason]))
    spreadsheets.save(workbook, out)
    return ".xlsx"


def read_error_report(field_file, limit: int = 20) -> list[RowError]:
    """The first rows of a stored error report, for the job page."""
    name = field_file.name.lower()
    out = []
    with field_file.open("rb") as fh:
        if name.endswith(".csv"):
            rows = csv.reader(io.TextIOWrapper(fh, encoding="utf-8-sig", newline=""))
        else:
            from openpyxl import load_workbook

            rows = load_workbook(fh, read_only=True).active.iter_rows(values_only=True)
        for i, row in enumerate(rows):
            if i == 0:
                continue
            if i > limit:
                break
            out.append(RowError(*(("" if v is None else v) for v in row[:4])))
    return out


def write_template(out, samples: list[list] | None = None) -> None:
    """The import template as .xlsx: the headings (sheet 1), sample rows (示例) and the accepted values
    (填写说明).

    Only the first sheet is imported, so the samples never end up in the registry by mistake.
    """
    from openpyxl.styles import Font, PatternFill

    workbook = spreadsheets.new_workbook()
    fills = {REGION: "DDEBF7", HOUSEHOLD: "E2EFDA", INCOME: "FFF2CC", MEMBER: "FCE4D6"}
    text_fields = {"id_number", "head_id_number", "phone", "bank_account", "number", "village_code"}
    for index, (title, rows) in enumerate((("贫困户信息采集表", []), ("示例", samples or []))):
        sheet = workbook.active if index == 0 else workbook.create_sheet()
        sheet.title = title
        sheet.append(HEADINGS)
        for i, column in enumerate(TEMPLATE_COLUMNS, start=1):
            cell = sheet.cell(row=1, column=i)
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor=fills[column.part])
            sheet.column_dimensions[cell.column_letter].width = max(10, min(2 * len(column.heading) + 2, 30))
            if column.field in text_fields:  # ID numbers, phones and accounts must stay text in Excel
                for r in range(2, 1001):
                    sheet.cell(row=r, column=i).number_format = "@"
        for row in rows:
            sheet.append([str(v) if v is not None else "" for v in row])
        sheet.freeze_panes = "A2"
    notes = workbook.create_sheet("填写说明")
    notes.append(["列", "说明"])
    notes.append(
        [
            "（总则）",
            "每行一名家庭成员；户的各列可在每行重复填写，也可只填在户主所在行。同一户的行须相邻。"
            "只导入第一个工作表。",
        ]
    )
    for column in COLUMNS:
        notes.append([column.heading, column.note + ("（可选列，模板中未列出）" if column.optional else "")])
    notes.column_dimensions["A"].width = 30
    notes.column_dimensions["B"].width = 90
    spreadsheets.save(workbook, out)


def write_template_csv(out, rows: list[list] | None = None) -> None:
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    writer = spreadsheets.csv_writer(text)
    writer.writerow(HEADINGS)
    writer.writerows(rows or [])
    text.flush()
    text.detach()


SAMPLE_HOUSEHOLDS = [
    # (township, village, head, head birth, spouse, children [(name, relation, birth, sex)], type, cause,
    # status)
    (
        "嘉定镇",
        "南山居委会",
        "刘德明",
        "19650312",
        "陈桂英",
        [("刘小军", "之子", "19920708", "男")],
        "一般贫困户",
        "因病",
        "贫困户",
    ),
    (
        "大塘埠镇",
        "大塘村委会",
        "钟永华",
        "19580920",
        "",
        [("钟丽萍", "之女", "20090115", "女")],
        "低保贫困户",
        "因残",
        "贫困户",
    ),
    (
        "大塘埠镇",
        "万星村委会",
        "赖春生",
        "19720501",
        "黄秀兰",
        [("赖志强", "之子", "20120611", "男"), ("赖雨婷", "之女", "20150302", "女")],
        "一般贫困户",
        "因学",
        "已脱贫",
    ),
]


def _sample_id(birth: str, sex: str, n: int) -> str:
    seq = 2 * n + (1 if sex == "男" else 0)
    first17 = f"360722{birth}{seq % 1000:03d}"
    return first17 + idnumber.check_character(first17)


def _sample_household(township, village, head, head_id, kind, cause, status, n, size) -> dict:
    exited = status == "已脱贫"
    return {
        "省": "江西省",
        "市": "赣州市",
        "县": "信丰县",
        "乡（镇）": township,
        "行政村": village,
        "户主姓名": head,
        "户主证件号码": head_id,
        "联系电话": f"1387970{n:04d}",
        "开户银行": "信丰县农村信用合作联社",
        "银行账号": f"62175600{n:011d}",
        "识别标准": "国家",
        "贫困户属性": kind,
        "主要致贫原因": cause,
        "其他致贫原因": "缺技术、缺资金",
        "家庭人口数": str(size),
        "是否军烈属": "否",
        "是否独生子女户": "否",
        "是否双女户": "否",
        "耕地面积（亩）": "2.5",
        "有效灌溉面积（亩）": "2",
        "林地面积（亩）": "10",
        "退耕还林面积（亩）": "0",
        "牧草地面积（亩）": "0",
        "水面面积（亩）": "0",
        "住房面积（㎡）": "96",
        "是否危房户": "否",
        "与村主干路距离（公里）": "0.8",
        "入户路类型": "水泥路",
        "是否通生活用电": "是",
        "是否通广播电视": "是",
        "饮水是否困难": "否",
        "饮水是否安全": "是",
        "主要燃料类型": "柴草",
        "有无卫生厕所": "有",
        "是否加入农民专业合作社": "是" if exited else "否",
        "识别年度": "2016",
        "脱贫年度": "2019" if exited else "",
        "户状态": status,
        "收入年度": "2024",
        "工资性收入": f"{6000 * (size - 1) + 4000}",
        "生产经营性收入": "3200.50",
        "财产性收入": "0",
        "转移性收入": "2760",
        "计划生育金": "0",
        "低保金": "2400",
        "特困供养金": "0",
        "养老保险金": "360",
        "生态补偿金": "0",
        "其他转移性收入": "0",
        "生产经营性支出": "800",
    }


def _sample_member(i: int, name, relation, number, sex, cause, n) -> dict:
    age = 2024 - int(number[6:10])
    schooling = "非在校生"
    education = "初中"
    if 6 <= age < 12:
        schooling, education = "小学", "小学"
    elif 12 <= age < 15:
        schooling, education = "八年级", "小学"
    return {
        "姓名": name,
        "性别": sex,
        "证件号码": number,
        "与户主关系": relation,
        "民族": "汉族",
        "政治面貌": "群众",
        "文化程度": education,
        "在校生状况": schooling,
        "健康状况": "长期慢性病" if i == 0 and cause == "因病" else "健康",
        "劳动技能": "普通劳动力" if age >= 16 else "无劳动力",
        "务工状况": "省外务工" if 18 <= age < 60 else "未务工",
        "务工时间（月）": "10" if 18 <= age < 60 else "0",
        "是否参加城乡居民基本医疗保险": "是",
        "是否参加大病保险": "是",
        "是否参加城乡居民基本养老保险": "是" if age >= 16 else "否",
        "是否享受人身意外保险补贴": "否",
        "是否现役军人": "否",
        "残疾类别": "肢体残疾" if i == 0 and cause == "因残" else "",
        "残疾等级": "三级" if i == 0 and cause == "因残" else "",
        "联系电话": f"1397970{n:04d}" if age >= 18 else "",
    }


def sample_rows(households=SAMPLE_HOUSEHOLDS) -> list[list[str]]:
    """Example rows for the template and docs/sample_import.*: 信丰县 households with valid ID numbers."""
    rows = []
    n = 10
    for township, village, head, birth, spouse, children, kind, cause, status in households:
        n += 1
        head_id = _sample_id(birth, "男", n)
        people = [(head, "户主", head_id, "男")]
        if spouse:
            n += 1
            people.append((spouse, "配偶", _sample_id(str(int(birth[:4]) + 2) + birth[4:], "女", n), "女"))
        for name, relation, child_birth, sex in children:
            n += 1
            people.append((name, relation, _sample_id(child_birth, sex, n), sex))
        size = len(people)
        household = _sample_household(township, village, head, head_id, kind, cause, status, n, size)
        for i, (name, relation, number, sex) in enumerate(people):
            member = _sample_member(i, name, relation, number, sex, cause, n)
            # the household's cells on the head's row, the member's on every row
            rows.append(
                [
                    (member if c.part == MEMBER else household if i == 0 else {}).get(c.heading, "")
                    for c in TEMPLATE_COLUMNS
                ]
            )
    return rows
