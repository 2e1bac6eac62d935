"""Reading an uploaded .xlsx or .csv: its encoding, the heading row, the rows as text (and as a polars frame
for the bulk path); the cheap checks a web request makes before queueing the import (see also core/files.py).
"""
from __future__ import annotations

import csv
import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from fupin.core import files

from .columns import MEMBER, ImportRejected, _columns_for, map_columns


EXTENSIONS = (".xlsx", ".csv")


# ---------------------------------------------------------------------------------------------
# Reading .xlsx and .csv

def _cell_text(value) -> str:
    """An .xlsx cell as the text a person typed: numbers without float noise (15 significant digits, as Excel shows)."""
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


HEADER_SEARCH_ROWS = 10


def _find_header(rows: list[list[str]]) -> int:
    """The index of the heading row: the first with 姓名 and 证件号码 (forms often have a title row above)."""
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        fields = {(c.part, c.field) for cell in row for c in _columns_for(cell)}
        if (MEMBER, "name") in fields and (MEMBER, "id_number") in fields:
            return i
    raise ImportRejected("找不到表头：前10行中没有同时包含“姓名”和“证件号码”的行。请使用导入模板。")


def _detect_encoding(path: Path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    if not head.strip():
        raise ImportRejected("文件是空的")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[:200].count(b"\x00") > 20:
        raise ImportRejected("CSV 文件是 UTF-16（Unicode 文本）编码：请在 Excel 中另存为“CSV UTF-8（逗号分隔）”后上传")
    if head.startswith((files.ZIP_MAGIC, files.OLE_MAGIC)):
        raise ImportRejected("文件内容是 Excel 工作簿而不是 CSV：请把扩展名改为 .xlsx，或另存为 CSV 后上传")
    if b"\x00" in head or sum(b < 9 or 13 < b < 32 for b in head[:4096]) > 8:
        raise ImportRejected("文件不是文本格式的 CSV：请上传导入模板格式的 .xlsx 或 .csv 文件")
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
        raise ImportRejected("无法识别 CSV 文件的编码：请保存为 UTF-8 或 GBK 编码") from None


def _count_lines(path: Path, sample: int = 1 << 20) -> int:
    """The file's lines: counted in a file of up to `sample` bytes, estimated from its first `sample` bytes in a
    larger one (its rows are much alike; counting a 500 MB file would cost a third of a second)."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(sample)
    lines = head.count(b"\n")
    return lines if size <= sample else round(lines * size / len(head))


def _open_csv(path: Path, limits: files.Limits) -> Table:
    encoding = _detect_encoding(path)
    csv_too_wide = f"CSV 文件的一行超过{limits.columns:,}列：请只保留导入模板中的列"

    def reader():
        fh = open(path, encoding=encoding, newline="")
        return fh, csv.reader(fh)

    try:
        fh, rows = reader()
        with fh:
            head = [row for _, row in zip(range(HEADER_SEARCH_ROWS), rows)]
    except (UnicodeDecodeError, csv.Error) as e:
        raise ImportRejected(f"无法读取 CSV 文件：{e}") from None
    if not head:
        raise ImportRejected("文件是空的")
    if max(len(row) for row in head) > limits.columns:
        raise ImportRejected(csv_too_wide)
    header_index = _find_header(head)
    estimated = max(_count_lines(path) - header_index - 1, 0)
    if estimated > limits.rows * 1.2:  # an estimate from the first megabyte: refused only when clearly over
        raise ImportRejected(f"文件约有{estimated:,}行，超过上限{limits.rows:,}行：请拆分文件后分批导入")
    width = limits.columns

    def data_rows():
        fh, rows = reader()
        with fh:
            try:
                for i, row in enumerate(rows):
                    if i > header_index:
                        if len(row) > width:
                            raise ImportRejected(f"第{rows.line_num}行：{csv_too_wide}")
                        yield row
            except UnicodeDecodeError:
                raise ImportRejected(f"第{rows.line_num}行附近有无法识别的字符：请把文件保存为 UTF-8 或 GBK 编码") from None
            except csv.Error as e:
                raise ImportRejected(f"CSV 格式错误（第{rows.line_num}行附近）：{e}") from None

    table = Table(header_index + 1, [str(h) for h in head[header_index]], estimated, data_rows)

    def frame():
        from . import frames  # polars, loaded only for a file that may take the bulk path

        return frames.read_csv(path, table, encoding)

    table.frame = frame
    return table


def _open_xlsx(path: Path, limits: files.Limits) -> Table:
    from python_calamine import CalamineError, load_workbook

    try:
        # the zip's directory and the sheet streamed first: calamine holds the whole sheet in memory
        files.check_xlsx(path, limits)
    except files.FileRefused as e:
        raise ImportRejected(str(e)) from None
    try:
        workbook = load_workbook(str(path))
        sheet = workbook.get_sheet_by_index(0)
        first_row = sheet.start[0] if sheet.start else 0
        rows = sheet.iter_rows()
        head = [[_cell_text(v) for v in row] for _, row in zip(range(HEADER_SEARCH_ROWS), rows)]
    except (CalamineError, OSError, ValueError) as e:
        raise ImportRejected(f"无法读取 Excel 文件（须为 .xlsx 格式）：{e}") from None
    except Exception as e:  # calamine raises its own types for zip and xml damage
        raise ImportRejected(f"无法读取 Excel 文件（须为 .xlsx 格式）：{type(e).__name__}") from None
    if not head:
        raise ImportRejected("文件是空的")
    header_index = _find_header(head)
    estimated = max(sheet.height - header_index - 1, 0)

    def data_rows():
        for i, row in enumerate(sheet.iter_rows()):
            if i > header_index:
                yield [v if type(v) is str else _cell_text(v) for v in row]

    table = Table(first_row + header_index + 1, head[header_index], estimated, data_rows)

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
        raise ImportRejected("不支持旧版 .xls 文件：请在 Excel 中另存为 .xlsx 后上传")
    if suffix not in EXTENSIONS:
        raise ImportRejected("只能导入 .xlsx 或 .csv 文件")
    if path.stat().st_size == 0:
        raise ImportRejected("文件是空的")
    limits = limits or files.upload_limits()
    return _open_xlsx(path, limits) if suffix == ".xlsx" else _open_csv(path, limits)


HEADINGS_CHECKED_UP_TO = 32 * files.MB  # an .xlsx unpacking to more has its headings checked by the job


def check_upload(path, name: str) -> None:
    """What the web request checks before handing an upload to the task worker: only what is cheap.

    A CSV's first rows and an .xlsx's zip directory and sheet dimension are read; a small .xlsx (most
    villages' files) also has its headings checked here, a large one in the job. ImportRejected otherwise.
    """
    limits = files.upload_limits()
    if Path(name).suffix.lower() == ".xlsx":
        try:
            info = files.check_xlsx(path, limits, count=False)
        except files.FileRefused as e:
            raise ImportRejected(str(e)) from None
        if info.unpacked > HEADINGS_CHECKED_UP_TO:
            return
    map_columns(open_table(path, name, limits=limits).headers)
