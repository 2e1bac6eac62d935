"""Reading an uploaded .xlsx or .csv: its encoding, the heading row, the rows as text (and as a polars frame
for the bulk path); the cheap checks a web request makes before queueing the import (see also core/files.py).
"""

from __future__ import annotations

import csv
import datetime
import logging
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.utils.translation import gettext

from fupin.core import files

from .columns import MEMBER, ImportRejected, columns_for, map_columns

log = logging.getLogger(__name__)

EXTENSIONS = (".xlsx", ".csv")


# ---------------------------------------------------------------------------------------------
# Reading .xlsx and .csv


def _cell_text(value) -> str:
    """An .xlsx cell as the text a person typed: numbers without float noise (15 significant digits, as Excel
    shows)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        text = f"{value:.15g}"
        if "e" in text:
            mantissa, exponent = text.split("e")
            if exponent.startswith("+") and int(exponent) < 15:
                return str(Decimal(text).quantize(Decimal(1)))
            return text.upper()
        return text
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


@dataclass
class Table:
    """A sheet: its heading row's number (1-based), the headings, an estimate of the row count, and
    `read_rows()`, which yields the rows after the headings as lists of text."""

    header_row: int
    headers: list[str]
    estimated_rows: int
    read_rows: Callable[[], Iterator[list[str]]]
    # the data rows as a polars frame for the bulk path (frames.read_csv / rows_frame)
    frame: Callable[[], object] | None = None
    # an .xlsx's cells that hold no value to import, by row number: [(index in the row, shown value, reason)]
    cell_errors: dict[int, list[tuple[int, str, str]]] = field(default_factory=dict)


HEADER_SEARCH_ROWS = 10
HEADER_DEPTH = 3  # heading rows read as one: a group (家庭成员, 年收入情况, 其中) above its columns' headings


def _recognised(row: list[str]) -> int:
    return sum(1 for cell in row if columns_for(cell))


def _stacked(rows: list[list[str]]) -> list[str]:
    """Heading rows read as one: each column's lowest non-blank cell (a heading merged over the rows sits
    in the top row only; a group's columns have their own headings below it)."""
    width = max(len(row) for row in rows)
    out = [""] * width
    for row in rows:
        for i, cell in enumerate(row):
            if str(cell).strip():
                out[i] = str(cell)
    return out


def _find_header(rows: list[list[str]]) -> tuple[int, list[str]]:
    """The last heading row's index and the headings: the row, or the two or three rows read as one (the
    national form as counties export it), with 姓名 and 证件号码 and the most template headings; a title row
    above is left out. The fewest rows win a tie, so a blank or title row is never taken in."""
    rows = [[str(c) for c in row] for row in rows[:HEADER_SEARCH_ROWS]]
    best = None
    for end in range(len(rows)):
        for start in range(end, max(end - HEADER_DEPTH, -1), -1):
            headers = _stacked(rows[start : end + 1])
            fields = {(c.part, c.field) for cell in headers for c in columns_for(cell)}
            if (MEMBER, "name") not in fields or (MEMBER, "id_number") not in fields:
                continue
            score = (_recognised(headers), -(end - start))
            if best is None or score > best[0]:
                best = (score, end, start, headers)
    if best is None:
        raise ImportRejected(
            gettext("找不到表头：前10行中没有同时包含“姓名”和“证件号码”的表头。请使用导入模板。")
        )
    _, end, start, headers = best
    _check_layout(rows, start, end, headers)
    return end, headers


def _check_layout(rows: list[list[str]], start: int, end: int, headers: list[str]) -> None:
    """A clear refusal when the template's required headings are in the file's first rows but not where the
    headings were found (more heading rows than three, headings spread apart, a heading below the data)."""
    try:
        map_columns(headers)
    except ImportRejected as refused:
        found = {(c.part, c.field) for cell in headers for c in columns_for(cell)}
        elsewhere = sorted(
            {
                i + 1
                for i, row in enumerate(rows)
                if not start <= i <= end
                for cell in row
                for c in columns_for(cell)
                if (c.part, c.field) not in found
            }
        )
        if elsewhere:
            where = (
                gettext("第%(n)s行") % {"n": start + 1}
                if start == end
                else gettext("第%(first)s–%(last)s行") % {"first": start + 1, "last": end + 1}
            )
            raise ImportRejected(
                gettext(
                    "表头的排列无法识别：表头在%(where)s，但%(value)s还有表头文字。"
                    "%(refused)s 表头可以是一行，或两三行（上行为分组或合并单元格、下行为各列名称）"
                    "。"
                )
                % {
                    "where": where,
                    "value": "、".join(gettext("第%(n)s行") % {"n": n} for n in elsewhere),
                    "refused": refused,
                }
            ) from None


def _detect_encoding(path: Path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    if not head.strip():
        raise ImportRejected(gettext("文件是空的"))
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[:200].count(b"\x00") > 20:
        raise ImportRejected(
            gettext("CSV 文件是 UTF-16（Unicode 文本）编码：请在 Excel 中另存为“CSV UTF-8（逗号分隔）”后上传")
        )
    if head.startswith((files.ZIP_MAGIC, files.OLE_MAGIC)):
        raise ImportRejected(
            gettext("文件内容是 Excel 工作簿而不是 CSV：请把扩展名改为 .xlsx，或另存为 CSV 后上传")
        )
    if b"\x00" in head or sum(b < 9 or 13 < b < 32 for b in head[:4096]) > 8:
        raise ImportRejected(gettext("文件不是文本格式的 CSV：请上传导入模板格式的 .xlsx 或 .csv 文件"))
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError as e:
        if e.start >= len(head) - 3:  # a character cut by the 64 KiB boundary
            return "utf-8-sig"
    try:
        head.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError:
        raise ImportRejected(gettext("无法识别 CSV 文件的编码：请保存为 UTF-8 或 GBK 编码")) from None


def _count_lines(path: Path, sample: int = 1 << 20) -> int:
    """The file's lines: counted in a file of up to `sample` bytes, estimated from its first `sample` bytes in
    a larger one (its rows are much alike; counting a 500 MB file would cost a third of a second)."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(sample)
    lines = head.count(b"\n")
    return lines if size <= sample else round(lines * size / len(head))


_CSV_PROBLEMS = (  # the csv module's messages (English), as the person who saved the file can act on them
    ("field larger than field limit", "有一个单元格的内容过长（超过13万个字符）"),
    ("line contains NUL", "含有空字符（NUL），不像是文本文件"),
    ("new-line character seen in unquoted field", "单元格中有未加引号的换行符"),
    ("unexpected end of data", "文件在引号内结束：有一个引号没有配对"),
    ("expected after", "引号的位置不对：引号内的内容结束后应紧跟逗号"),
)


def _csv_problem(error: csv.Error) -> str:
    text = str(error)
    return next(
        (chinese for english, chinese in _CSV_PROBLEMS if english in text),
        "格式不是标准的 CSV：请在 Excel 中另存为“CSV UTF-8（逗号分隔）”后上传",
    )


def _open_csv(path: Path, limits: files.Limits) -> Table:
    encoding = _detect_encoding(path)
    csv_too_wide = gettext("CSV 文件的一行超过%(columns)s列：请只保留导入模板中的列") % {
        "columns": f"{limits.columns:,}"
    }

    def reader():
        fh = open(path, encoding=encoding, newline="")
        return fh, csv.reader(fh)

    try:
        fh, rows = reader()
        with fh:
            # strict=False: the first HEADER_SEARCH_ROWS rows, or all of a shorter file
            head = [row for _, row in zip(range(HEADER_SEARCH_ROWS), rows, strict=False)]
    except UnicodeDecodeError:
        raise ImportRejected(
            gettext("CSV 文件的开头有无法识别的字符：请把文件保存为 UTF-8 或 GBK 编码")
        ) from None
    except csv.Error as e:
        raise ImportRejected(gettext("无法读取 CSV 文件：%(value)s") % {"value": _csv_problem(e)}) from None
    if not head:
        raise ImportRejected(gettext("文件是空的"))
    if max(len(row) for row in head) > limits.columns:
        raise ImportRejected(csv_too_wide)
    header_index, headers = _find_header(head)
    estimated = max(_count_lines(path) - header_index - 1, 0)
    if estimated > limits.rows * 1.2:  # an estimate from the first megabyte: refused only when clearly over
        raise ImportRejected(
            gettext("文件约有%(estimated)s行，超过上限%(rows)s行：请拆分文件后分批导入")
            % {"estimated": f"{estimated:,}", "rows": f"{limits.rows:,}"}
        )
    width = limits.columns

    def data_rows():
        fh, rows = reader()
        with fh:
            try:
                for i, row in enumerate(rows):
                    if i > header_index:
                        if len(row) > width:
                            raise ImportRejected(
                                gettext("第%(line_num)s行：%(csv_too_wide)s")
                                % {"line_num": rows.line_num, "csv_too_wide": csv_too_wide}
                            )
                        yield row
            except UnicodeDecodeError:
                raise ImportRejected(
                    gettext("第%(line_num)s行附近有无法识别的字符：请把文件保存为 UTF-8 或 GBK 编码")
                    % {"line_num": rows.line_num}
                ) from None
            except csv.Error as e:
                raise ImportRejected(
                    gettext("CSV 格式错误（第%(line_num)s行附近）：%(value)s")
                    % {"line_num": rows.line_num, "value": _csv_problem(e)}
                ) from None

    table = Table(header_index + 1, headers, estimated, data_rows)

    def frame():
        from . import frames  # polars, loaded only for a file that may take the bulk path

        return frames.read_csv(path, table, encoding)

    table.frame = frame
    return table


# Excel's error values (#N/A, #DIV/0! …) and formulas saved without their result: calamine reads both as empty
# cells, which would import as 0 or blank. The sheet's XML is searched for them (a cheap search first).
_SUSPECT = re.compile(rb"<(?:\w+:)?c\s[^>]*\bt=\"e\"|<(?:\w+:)?f[\s>/]")
_ERROR_CELL = re.compile(rb"<(?:\w+:)?c\s([^>]*\bt=\"e\"[^>]*)>(.*?)</(?:\w+:)?c>", re.S)
_FORMULA_CELL = re.compile(
    rb"<(?:\w+:)?c\s([^>]*)>\s*<(?:\w+:)?f\b[^>]*(?:/>|>[^<]*</(?:\w+:)?f>)\s*"
    rb"(<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>"
)
_REFERENCE = re.compile(rb"\br=\"([A-Z]{1,3})(\d+)\"")
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</")
_ROW_END = re.compile(rb"</(?:\w+:)?row>")


def _problem_cells(path: Path, sheet: str) -> dict[tuple[int, int], tuple[str, str]]:
    """{(row, column), 1-based: (shown value, reason)} of the sheet's error values and uncomputed formulas."""
    found = {}

    def scan(text: bytes) -> None:
        if not _SUSPECT.search(text):
            return
        for match in _ERROR_CELL.finditer(text):
            ref = _REFERENCE.search(match.group(1))
            code = _VALUE.search(match.group(2))
            shown = code.group(1).decode(errors="replace") if code else "#错误"
            if ref:
                found[(int(ref.group(2)), files._column_number(ref.group(1)))] = (
                    shown,
                    f"单元格是 Excel 错误值 {shown}（公式或数据出错），不是可以导入的值：请改正后重新上传",
                )
        for match in _FORMULA_CELL.finditer(text):
            attributes, empty_value = match.group(1), match.group(2)
            ref = _REFERENCE.search(attributes)
            if ref and not (empty_value and b't="str"' in attributes):  # an empty text result is a result
                found[(int(ref.group(2)), files._column_number(ref.group(1)))] = (
                    "",
                    "单元格是公式，但文件中没有它的计算结果（文件由程序生成、未经 Excel 计算保存）："
                    "请在 Excel 中打开、保存后重新上传，或直接填写数值",
                )

    with zipfile.ZipFile(path) as book, book.open(sheet) as fh:
        rest = b""
        while chunk := fh.read(files.MB):
            text = rest + chunk
            ends = [m.end() for m in _ROW_END.finditer(text, max(len(rest) - 16, 0))]
            cut = ends[-1] if ends else 0
            scan(text[:cut])
            rest = text[cut:]
        scan(rest)
    return found


def _open_xlsx(path: Path, limits: files.Limits) -> Table:
    from python_calamine import load_workbook

    try:
        # the zip's directory and the sheet streamed first: calamine holds the whole sheet in memory
        info = files.check_xlsx(path, limits)
    except files.FileRefused as e:
        raise ImportRejected(str(e)) from None
    try:
        workbook = load_workbook(str(path))
        sheet = workbook.get_sheet_by_index(0)
        first_row, first_column = sheet.start if sheet.start else (0, 0)
        rows = sheet.iter_rows()
        # strict=False: the first HEADER_SEARCH_ROWS rows, or all of a shorter sheet
        head = [[_cell_text(v) for v in row] for _, row in zip(range(HEADER_SEARCH_ROWS), rows, strict=False)]
    except Exception as e:  # CalamineError, calamine's own types for zip and xml damage: English, not shown
        log.info("calamine refused %s: %s: %s", path.name, type(e).__name__, e)
        raise ImportRejected(
            gettext(
                "无法读取 Excel 文件：文件已损坏或不完整，或不是有效的 .xlsx 表格。"
                "请在 Excel 中打开并另存为 .xlsx 后重新上传"
            )
        ) from None
    if not head:
        raise ImportRejected(gettext("文件是空的"))
    header_index, headers = _find_header(head)
    estimated = max(sheet.height - header_index - 1, 0)

    def data_rows():
        for i, row in enumerate(sheet.iter_rows()):
            if i > header_index:
                yield [v if type(v) is str else _cell_text(v) for v in row]

    table = Table(first_row + header_index + 1, headers, estimated, data_rows)
    if info.suspect:
        for (row, column), (shown, reason) in sorted(_problem_cells(path, info.sheet).items()):
            if row > table.header_row and column > first_column:
                table.cell_errors.setdefault(row, []).append((column - first_column - 1, shown, reason))

    def frame():
        from . import frames  # polars, loaded only for a file that may take the bulk path

        return frames.rows_frame(list(data_rows()), len(table.headers), table.header_row)

    table.frame = frame
    return table


def open_table(path, name: str | None = None, *, limits: files.Limits | None = None) -> Table:
    """Open an uploaded file by its extension; ImportRejected with a Chinese message if it cannot be read.

    `limits` bound what the file may hold (files.upload_limits() unless given: `fupin import` passes its own).
    """
    path = Path(path)
    suffix = Path(name or path.name).suffix.lower()
    if suffix == ".xls":
        raise ImportRejected(gettext("不支持旧版 .xls 文件：请在 Excel 中另存为 .xlsx 后上传"))
    if suffix not in EXTENSIONS:
        raise ImportRejected(gettext("只能导入 .xlsx 或 .csv 文件"))
    if path.stat().st_size == 0:
        raise ImportRejected(gettext("文件是空的"))
    _check_content(path, suffix)
    limits = limits or files.upload_limits()
    return _open_xlsx(path, limits) if suffix == ".xlsx" else _open_csv(path, limits)


def _decodes(head: bytes) -> bool:
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError as e:
            if e.start >= len(head) - 3:  # a character cut by the end of the sample
                return True
    return False


def _check_content(path, suffix: str) -> None:
    """Refuse a file whose content is plainly something else, naming it (a PDF named .csv is a PDF)."""
    kind = files.content_kind(path)
    if kind is None and suffix == ".xlsx":
        with open(path, "rb") as fh:
            head = fh.read(4096)
        if b"\x00" not in head and b"," in head and _decodes(head):
            raise ImportRejected(
                gettext("文件的内容是 CSV 文本，不是 Excel（.xlsx）表格：请把扩展名改为 .csv 后上传")
            )
    if kind is not None:
        expected = "Excel（.xlsx）表格" if suffix == ".xlsx" else "CSV 表格"
        raise ImportRejected(
            gettext(
                "文件的内容是%(kind)s，不是%(expected)s（只是扩展名为 %(suffix)s）"
                "：请上传按导入模板填写的 .xlsx 或 .csv 文件；扫描件、照片和 PDF "
                "不能导入"
            )
            % {"kind": kind, "expected": expected, "suffix": suffix}
        )


HEADINGS_CHECKED_UP_TO = 32 * files.MB  # an .xlsx unpacking to more has its headings checked by the job


def check_upload(path, name: str) -> None:
    """What the web request checks before handing an upload to the task worker: only what is cheap.

    A CSV's first rows and an .xlsx's zip directory and sheet dimension are read; a small .xlsx (most
    villages' files) also has its headings checked here, a large one in the job. ImportRejected otherwise.
    """
    limits = files.upload_limits()
    if Path(name).suffix.lower() == ".xlsx":
        if Path(path).stat().st_size:
            _check_content(path, ".xlsx")
        try:
            info = files.check_xlsx(path, limits, count=False)
        except files.FileRefused as e:
            raise ImportRejected(str(e)) from None
        if info.unpacked > HEADINGS_CHECKED_UP_TO:
            return
    map_columns(open_table(path, name, limits=limits).headers)
