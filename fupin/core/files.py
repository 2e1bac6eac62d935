"""Stored files as local paths, for readers (DuckDB, calamine) that need a filesystem path, and the checks an
uploaded spreadsheet passes before any reader unpacks it."""

from __future__ import annotations

import contextlib
import re
import shutil
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext

from . import sealed_files


@contextlib.contextmanager
def local_path(field_file: Any) -> Iterator[str]:
    """A filesystem path holding a stored file's content: a temporary plain copy when the file is sealed on
    disk (fupin.core.sealed_files) or the storage has no paths, gone on leaving
    (sealed_files.unnamed_copy)."""
    try:
        path = field_file.path
    except NotImplementedError:
        path = None
    if path:
        with sealed_files.local_path(path, suffix=Path(field_file.name).suffix) as opened:
            yield opened
        return
    with sealed_files.unnamed_copy(Path(field_file.name).suffix) as (tmp, name):
        with field_file.open("rb") as fh:
            shutil.copyfileobj(fh, tmp)
        tmp.flush()
        yield name


# ---------------------------------------------------------------------------------------------
# Uploaded spreadsheets: refused before any reader unpacks them (zip bombs, huge sheets, macros)

MB = 1024 * 1024


class FileRefused(ValueError):
    """An uploaded file that will not be read; the message says why, in Chinese, for the person who sent
    it."""


@dataclass(frozen=True)
class Limits:
    """How much an uploaded spreadsheet may hold. `unpacked` and `ratio` bound an .xlsx before it is unpacked;
    `rows`, `columns` and `cells` bound a sheet (read from its <dimension>, then counted while streaming)."""

    unpacked: int
    rows: int
    columns: int
    cells: int
    ratio: int = 100


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def upload_limits() -> Limits:
    """An import uploaded through the web: Excel's own row limit, and as .xlsx about 340,000 persons of the
    template's 73 columns, a large county (a larger registry comes as CSV, or through `fupin import`)."""
    return Limits(
        unpacked=_setting("FUPIN_IMPORT_MAX_UNPACKED_MB", 1024) * MB,
        rows=_setting("FUPIN_IMPORT_MAX_ROWS", 1_048_576),
        columns=_setting("FUPIN_IMPORT_MAX_COLUMNS", 1_000),
        cells=_setting("FUPIN_IMPORT_MAX_CELLS", 25_000_000),
        ratio=_setting("FUPIN_XLSX_MAX_RATIO", 100),
    )


def command_limits() -> Limits:
    """`fupin import FILE` on the server itself: a province's registry (tens of millions of rows) still
    passes."""
    return Limits(
        unpacked=_setting("FUPIN_IMPORT_CLI_MAX_UNPACKED_MB", 8192) * MB,
        rows=_setting("FUPIN_IMPORT_CLI_MAX_ROWS", 20_000_000),
        columns=_setting("FUPIN_IMPORT_MAX_COLUMNS", 1_000),
        cells=_setting("FUPIN_IMPORT_CLI_MAX_CELLS", 200_000_000),
        ratio=_setting("FUPIN_XLSX_MAX_RATIO", 100),
    )


def small_sheet_limits() -> Limits:
    """Short lists uploaded on a page (helpers, a funds ledger): read whole, so kept small."""
    return Limits(unpacked=50 * MB, rows=100_000, columns=200, cells=2_000_000)


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
# What a file holds, by its first bytes, whatever its name says (a PDF or a photo named .csv or .xlsx)
_SIGNATURES = (
    (b"%PDF-", "PDF 文档"),
    (b"\x89PNG\r\n\x1a\n", "PNG 图片"),
    (b"\xff\xd8\xff", "JPEG 图片（照片）"),
    (b"GIF87a", "GIF 图片"),
    (b"GIF89a", "GIF 图片"),
    (b"II*\x00", "TIFF 图片"),
    (b"MM\x00*", "TIFF 图片"),
    (b"Rar!\x1a\x07", "RAR 压缩包"),
    (b"7z\xbc\xaf\x27\x1c", "7z 压缩包"),
    (b"\x1f\x8b", "gzip 压缩包"),
    (b"{\\rtf", "RTF 文档"),
)


def content_kind(path: Any) -> str | None:
    """What the file is by its content, in Chinese, when it is plainly not a spreadsheet or text (PDF,
    images, archives, a Word document); None otherwise (text, an .xlsx workbook, an OLE file: their
    readers decide)."""
    with open(path, "rb") as fh:
        head = fh.read(16)
    for magic, kind in _SIGNATURES:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP 图片"
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
        return "HEIC 图片（手机照片）"
    if head.startswith(ZIP_MAGIC):
        with contextlib.suppress(zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
            with zipfile.ZipFile(path) as book:
                names = set(book.namelist())
            if "xl/workbook.xml" in names:
                return None
            if "word/document.xml" in names:
                return "Word 文档（.docx）"
            if "ppt/presentation.xml" in names:
                return "PowerPoint 演示文稿"
            if "[Content_Types].xml" not in names:
                return "zip 压缩包"
    return None


RATIO_FLOOR = 10 * MB  # members smaller than this unpack to little whatever their ratio
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]{1,3})?(\d+)?(?::([A-Z]{1,3})(\d+))?\"")
_FIRST_SHEET = re.compile(
    rb"<(?:\w+:)?sheet\b[^>]*?\br:id=\"([^\"]+)\"|<(?:\w+:)?sheet\b[^>]*?\bid=\"([^\"]+)\""
)


@dataclass
class SheetInfo:
    """What is known of an .xlsx's first sheet before reading it."""

    unpacked: int  # bytes of all members, unpacked
    sheet: str  # the first sheet's member name
    rows: int | None  # from <dimension> (None when the sheet has none) or, once counted, the rows present
    columns: int | None
    counted: bool = False
    suspect: bool = False  # once counted: the sheet has an Excel error value or a formula somewhere


def _column_number(letters: bytes | None) -> int:
    n = 0
    for ch in letters or b"A":
        n = n * 26 + ch - 64
    return n


def _first_sheet(book: zipfile.ZipFile, names: set[str]) -> str:
    """The first sheet's member, as workbook.xml orders the sheets (Excel's own first sheet)."""
    with contextlib.suppress(
        KeyError,
        IndexError,
        AttributeError,
        UnicodeDecodeError,
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        OSError,
        NotImplementedError,
        RuntimeError,
    ):
        with book.open("xl/workbook.xml") as fh:
            head = fh.read(4 * MB)
        match = _FIRST_SHEET.search(head)
        rel = (match.group(1) or match.group(2)).decode()  # type: ignore[union-attr]  # AttributeError is suppressed
        with book.open("xl/_rels/workbook.xml.rels") as fh:
            rels = fh.read(4 * MB)
        for entry in re.finditer(rb"<(?:\w+:)?Relationship\b[^>]*>", rels):
            tag = entry.group(0)
            if re.search(rb"\bId=\"" + re.escape(rel.encode()) + rb"\"", tag):
                target = re.search(rb"\bTarget=\"([^\"]+)\"", tag).group(1).decode()  # type: ignore[union-attr]
                target = target.lstrip("/") if target.startswith("/") else "xl/" + target
                if target in names:
                    return target
    if "xl/worksheets/sheet1.xml" in names:
        return "xl/worksheets/sheet1.xml"
    sheets = sorted(n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml"))
    if not sheets:
        raise FileRefused(gettext("无法读取 Excel 文件：其中没有工作表"))
    return sheets[0]


def _check_sheet_size(rows: int, columns: int, limits: Limits, *, counted: bool) -> None:
    what = "共有" if counted else "标明"
    if rows > limits.rows:
        raise FileRefused(
            gettext("工作表%(what)s%(rows)s行，超过上限%(rows2)s行：请拆分文件后分批导入")
            % {"what": what, "rows": format(rows, ","), "rows2": format(limits.rows, ",")}
        )
    if columns > limits.columns:
        raise FileRefused(
            gettext("工作表%(what)s%(columns)s列，超过上限%(columns2)s列：请只保留导入模板中的列")
            % {"what": what, "columns": format(columns, ","), "columns2": format(limits.columns, ",")}
        )
    if rows * columns > limits.cells and not counted:
        raise FileRefused(
            gettext("工作表%(what)s%(rows)s行×%(columns)s列，超过上限%(cells)s个单元格：请拆分文件后分批导入")
            % {
                "what": what,
                "rows": format(rows, ","),
                "columns": format(columns, ","),
                "cells": format(limits.cells, ","),
            }
        )


def check_xlsx(path: Any, limits: Limits, *, count: bool = True) -> SheetInfo:
    """Refuse an .xlsx that is not one, is encrypted, carries macros or external links, or would unpack too
    large.

    Only the zip directory and the first sheet's first kilobytes are read, unless `count`: then the first
    sheet is streamed (never held) to count its rows and cells, which a forged <dimension> cannot hide.
    FileRefused with a Chinese message otherwise. `path` may also be an open binary file (an upload), left at
    its start.
    """
    if hasattr(path, "read"):
        path.seek(0)
        magic = path.read(8)
        path.seek(0)
        try:
            return _check_zip(path, magic, limits, count=count)
        finally:
            path.seek(0)
    with open(path, "rb") as fh:
        magic = fh.read(8)
    return _check_zip(path, magic, limits, count=count)


MAX_MEMBERS = 10_000  # a workbook has dozens; a zip of millions would cost gigabytes to list
_END_OF_DIRECTORY = b"PK\x05\x06"


def _check_directory(path: Any) -> None:
    """Refuse a zip whose directory lists too many members, read from its end record before the directory
    itself."""
    fh = path if hasattr(path, "read") else open(path, "rb")
    try:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(size - (1 << 16) - 22, 0))
        tail = fh.read()
    finally:
        if fh is path:
            fh.seek(0)
        else:
            fh.close()
    at = tail.rfind(_END_OF_DIRECTORY)
    if at < 0 or len(tail) < at + 22:
        raise FileRefused(
            gettext(
                "无法读取 Excel 文件：文件已损坏，或不是有效的 Excel（.xlsx）表格，请在 Excel 中另存为 .xlsx "
                "后上传"
            )
        )
    entries = int.from_bytes(tail[at + 10 : at + 12], "little")
    directory = int.from_bytes(tail[at + 12 : at + 16], "little")
    # 0xFFFF / 0xFFFFFFFF: the counts are in a ZIP64 record, which no workbook of a sane size needs
    if entries > MAX_MEMBERS or directory > MAX_MEMBERS * 1024:
        raise FileRefused(
            gettext("文件中的压缩成员超过%(MAX_MEMBERS)s个，不像是正常的 Excel 文件，已拒绝")
            % {"MAX_MEMBERS": format(MAX_MEMBERS, ",")}
        )


def _check_zip(path: Any, magic: bytes, limits: Limits, *, count: bool) -> SheetInfo:
    if not magic:
        raise FileRefused(gettext("文件是空的"))
    if magic == OLE_MAGIC:
        raise FileRefused(
            gettext(
                "文件已设置打开密码（加密），或是旧版 .xls 文件：请在 Excel 中取消密码并另存为 .xlsx 后上传"
            )
        )
    if not magic.startswith(ZIP_MAGIC):
        raise FileRefused(
            gettext(
                "无法读取 Excel 文件：文件不是有效的 Excel（.xlsx）表格，请在 Excel 中另存为 .xlsx 后上传"
            )
        )
    _check_directory(path)
    try:
        book = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise FileRefused(
            gettext(
                "无法读取 Excel 文件：文件已损坏，或不是有效的 Excel（.xlsx）表格，请在 Excel 中另存为 .xlsx "
                "后上传"
            )
        ) from None
    with book:
        infos = book.infolist()
        names = {i.filename for i in infos}
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise FileRefused(
                gettext(
                    "无法读取 Excel 文件：文件不是有效的 Excel（.xlsx）表格，请在 Excel 中另存为 .xlsx 后上传"
                )
            )
        if any(i.flag_bits & 0x1 for i in infos):
            raise FileRefused(gettext("文件已加密：请在 Excel 中取消密码并另存为 .xlsx 后上传"))
        lowered = {n.lower() for n in names}
        if any(n.endswith("vbaproject.bin") or n.endswith(".bin") and "activex" in n for n in lowered):
            raise FileRefused(gettext("文件含有宏（.xlsm）：请在 Excel 中另存为不含宏的 .xlsx 后上传"))
        if any(n.startswith("xl/externallinks/") for n in lowered):
            raise FileRefused(
                gettext(
                    "文件含有指向其他工作簿的外部链接：请在 Excel "
                    "中断开链接（数据→编辑链接→断开链接）后另存上传"
                )
            )
        unpacked = sum(i.file_size for i in infos)
        if unpacked > limits.unpacked:
            raise FileRefused(
                gettext("文件解压后有%(MB)s MB，超过上限%(MB2)s MB：请拆分文件后分批导入")
                % {"MB": format(unpacked / MB, ",.0f"), "MB2": format(limits.unpacked / MB, ",.0f")}
            )
        for i in infos:
            if i.file_size > RATIO_FLOOR and i.file_size > limits.ratio * max(i.compress_size, 1):
                raise FileRefused(
                    gettext(
                        "文件压缩比异常（%(filename)s 解压后是压缩时的%(compress_size)s倍），不像是正常的 "
                        "Excel 文件，已拒绝"
                    )
                    % {"filename": i.filename, "compress_size": i.file_size // max(i.compress_size, 1)}
                )
        sheet = _first_sheet(book, names)
        try:
            return _scan_sheet(book, sheet, unpacked, limits, count=count)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError):
            raise FileRefused(
                gettext(
                    "无法读取 Excel 文件：文件已损坏，或不是有效的 Excel（.xlsx）表格，请在 Excel 中另存为 "
                    ".xlsx 后上传"
                )
            ) from None


_SUSPECT_MARKS = (b't="e"', b"<f>", b"<f ", b":f>", b":f ")  # an error cell; a formula (<f>, <x:f …>)


def _scan_sheet(
    book: zipfile.ZipFile, sheet: str, unpacked: int, limits: Limits, *, count: bool
) -> SheetInfo:
    info = SheetInfo(unpacked=unpacked, sheet=sheet, rows=None, columns=None)
    with book.open(sheet) as fh:
        head = fh.read(64 * 1024)
        dimension = _DIMENSION.search(head)
        if dimension and dimension.group(2):
            last_col, last_row = (
                dimension.group(3) or dimension.group(1),
                dimension.group(4) or dimension.group(2),
            )
            info.rows, info.columns = int(last_row), _column_number(last_col)
            _check_sheet_size(info.rows, info.columns, limits, counted=False)
        if not count:
            return info
        prefix = re.search(rb"<(\w+:)?sheetData\b", head)
        tag = prefix.group(1) or b"" if prefix else b""
        row_tags, cell_tags = (
            (b"<" + tag + b"row ", b"<" + tag + b"row>"),
            (b"<" + tag + b"c ", b"<" + tag + b"c>"),
        )
        keep_row, keep_cell = len(row_tags[0]) - 1, len(cell_tags[0]) - 1
        rows = cells = 0
        row_tail = cell_tail = suspect_tail = b""
        chunk = head
        while chunk:
            if not info.suspect:  # an error value or a formula: the importer looks for them cell by cell
                probe = suspect_tail + chunk
                info.suspect = any(mark in probe for mark in _SUSPECT_MARKS)
                suspect_tail = chunk[-8:]
            text = row_tail + chunk
            rows += text.count(row_tags[0]) + text.count(row_tags[1])
            row_tail = text[-keep_row:]
            text = cell_tail + chunk
            cells += text.count(cell_tags[0]) + text.count(cell_tags[1])
            cell_tail = text[-keep_cell:]
            if rows > limits.rows:
                _check_sheet_size(rows, 0, limits, counted=True)
            if cells > limits.cells:
                raise FileRefused(
                    gettext("工作表的单元格超过上限%(cells)s个：请拆分文件后分批导入")
                    % {"cells": format(limits.cells, ",")}
                )
            chunk = fh.read(MB)
    info.rows, info.counted = rows, True
    return info
