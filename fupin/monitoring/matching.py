"""Matching a department's list against the registry's members with DuckDB.

The uploaded file is normalised once to UTF-8 CSV (Excel and GBK files included). A run
exports the join keys of the members in scope (PostgreSQL COPY TO STDOUT, streamed to a file),
lets DuckDB hash-join the two lists — by ID number, or by name and birth date where a row has
no ID — and hands the matches back as a CSV. The database then writes the findings with one
INSERT … SELECT per department rule, reading each member's registry fields where they live.
"""

import codecs
import csv
import datetime
import itertools
import os
import re
import shutil
import tempfile
from pathlib import Path

import polars as pl
from django.db import connection, transaction
from django.utils.translation import gettext
from python_calamine import CalamineWorkbook

from fupin.core import crypto, files
from fupin.regions.models import code_range
from fupin.registry import codes, consents
from fupin.registry.models import ConsentScope

from .department_rules import DEPARTMENT_RULES
from .models import Department, Severity
from .screening import read_columns

ID_HEADERS = ("身份证号", "身份证号码", "公民身份号码", "公民身份证号", "证件号码", "身份证", "id_number")
NAME_HEADERS = ("姓名", "name")
BIRTH_HEADERS = ("出生日期", "出生年月日", "出生年月", "birth_date")
MAX_EXTRA_COLUMNS = 12
CHUNK = 1 << 20


class DepartmentFileError(ValueError):
    """The uploaded list cannot be used; the message says why, in Chinese."""


# The registry condition under which each rule fires (SQL over registry_member, alias m; both databases).
RULE_CONDITIONS = {
    "schooling_mismatch": f"m.schooling = '{codes.SchoolingStatus.NOT_IN_SCHOOL.value}'",
    "no_school_record": "m.schooling IN ({})".format(
        ", ".join(
            f"'{s.value}'"
            for s in (
                codes.SchoolingStatus.PRIMARY,
                codes.SchoolingStatus.GRADE7,
                codes.SchoolingStatus.GRADE8,
                codes.SchoolingStatus.GRADE9,
            )
        )
    ),
    "insurance_mismatch": "NOT m.has_medical_insurance",
    "not_insured": "m.has_medical_insurance",
    "unregistered_disability": "m.disability_category = ''",
    "disability_without_certificate": "m.disability_category <> ''",
}
LOW_VALUE_VEHICLES = ("摩托", "三轮", "农用", "拖拉机", "电动")


# ---------------------------------------------------------------- reading the upload


def _find(headers: list[str], names: tuple[str, ...]) -> str | None:
    for h in headers:
        if h.strip().lower() in names:
            return h
    return None


def columns_of(headers: list[str]) -> dict:
    """Which header is the ID number, the name, the birth date; the rest are kept as evidence."""
    headers = [h.strip() for h in headers]
    if not any(headers):
        raise DepartmentFileError(gettext("文件第一行应为列名，但为空"))
    dupes = sorted({h for h in headers if h and headers.count(h) > 1})
    if dupes:
        raise DepartmentFileError(gettext("列名重复：%(value)s") % {"value": "、".join(dupes)})
    found = {
        "id": _find(headers, ID_HEADERS),
        "name": _find(headers, NAME_HEADERS),
        "birth": _find(headers, BIRTH_HEADERS),
    }
    if not found["id"] and not (found["name"] and found["birth"]):
        raise DepartmentFileError(
            gettext("文件缺少“身份证号”列；没有身份证号时须有“姓名”和“出生日期”两列。现有列：%(columns)s")
            % {"columns": "、".join(h for h in headers if h)[:300]}
        )
    for h in headers:
        if not h:
            raise DepartmentFileError(gettext("有列没有列名，请补全第一行的列名"))
        if not re.fullmatch(r"[\w\u3400-\u9fff（）()·./ -]{1,40}", h):
            raise DepartmentFileError(gettext("列名“%(value)s”含有不支持的字符") % {"value": h[:40]})
    used = {v for v in found.values() if v}
    found["extra"] = [h for h in headers if h not in used][:MAX_EXTRA_COLUMNS]
    found["headers"] = headers
    return found


def _decode_head(raw: bytes) -> tuple[str, str]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError as e:
            # a multi-byte character cut at the end of the sample is not an error
            if encoding == "utf-8-sig" and e.start >= len(raw) - 3:
                return raw[: e.start].decode(encoding), encoding
            continue
    raise DepartmentFileError(
        gettext("文件编码无法识别，请另存为 UTF-8 或 GBK 编码的 CSV 文件，或 Excel（.xlsx）文件")
    )


def normalise_upload(source, dest: Path) -> tuple[dict, int]:
    """Write the upload (CSV in UTF-8 or GBK, or .xlsx) to `dest` as the stored list (store_list: Parquet, the
    ID numbers replaced by their blind indexes); its columns and row count.

    Nothing is written at `dest` unless the whole file reads cleanly.
    """
    head = source.read(8)
    source.seek(0)
    tmp = dest.with_suffix(".part")
    try:
        if head.startswith(b"PK\x03\x04"):
            columns, rows = _xlsx_to_csv(source, tmp)
        elif head.startswith(b"\xd0\xcf\x11\xe0"):
            raise DepartmentFileError(gettext("不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV"))
        else:
            columns, rows = _csv_to_csv(source, tmp)
        if rows == 0:
            raise DepartmentFileError(gettext("文件中没有数据行"))
        store_list(columns, tmp)
        os.replace(tmp, dest)
    finally:
        if tmp.exists():
            tmp.unlink()
    return columns, rows


def _unparsable(error: Exception) -> str:
    """The refusal of a list file its reader (Polars, DuckDB) could not parse, with the first line of why."""
    return gettext("名单文件无法解析：%(value)s") % {"value": str(error).splitlines()[0][:200]}


def store_list(columns: dict, path: Path) -> None:
    """Rewrite the list at `path` (UTF-8 CSV) as it is stored and matched: Parquet (zstd), every column text
    under its header except the ID number's, replaced by its blind index (fupin.core.crypto), an integer.

    The registry's members are matched by their blind indexes, and the department's numbers are kept on disk
    no more than the registry's are. Each number is compared as before, trimmed of spaces (any whitespace,
    the full-width one too) with a lower-case x read as X; a row without one keeps an empty cell (matched by
    name and birth date where the list has those). Stored in columns, a cross-check reads the join's column
    alone and the rest of a row only where it matched (10,000,000 rows: 0.2 s, where parsing the CSV again
    took 1.1 s), and the sealed file is a seventh of the CSV's size."""
    try:
        frame = pl.read_csv(path, infer_schema=False, quote_char='"')
    except pl.exceptions.PolarsError as e:
        raise DepartmentFileError(_unparsable(e)) from None
    frame = frame.rename(str.strip)  # the header names as columns_of read them
    name = columns.get("id")
    if name and not columns.get("ids_hashed"):
        numbers = frame[name].str.strip_chars().str.to_uppercase().to_list()  # any whitespace, U+3000 too
        frame = frame.with_columns(
            pl.Series(name, crypto.blind_indexes(numbers, "id_number"), dtype=pl.Int64)
        )
    part = path.with_suffix(".columns")
    frame.write_parquet(part, compression="zstd")
    os.replace(part, path)
    columns["ids_hashed"] = True
    columns["stored_as"] = "parquet"
    columns.pop("ids_plain", None)


def _csv_to_csv(source, tmp: Path) -> tuple[dict, int]:
    first = source.read(CHUNK)
    if not first.strip():
        raise DepartmentFileError(gettext("文件为空"))
    if b"\x00" in first[:4096]:
        raise DepartmentFileError(gettext("文件不是文本格式的 CSV，请上传 CSV 或 Excel（.xlsx）文件"))
    text, encoding = _decode_head(first)
    header_line = text.splitlines()[0] if text else ""
    headers = next(csv.reader([header_line]))
    columns = columns_of(headers)
    source.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    newlines = 0
    last = b""
    with open(tmp, "wb") as out:
        while True:
            chunk = source.read(CHUNK)
            if not chunk:
                break
            try:
                if encoding == "utf-8-sig":
                    decoder.decode(chunk)  # validate only; the bytes are already UTF-8
                    out.write(chunk if out.tell() or not chunk.startswith(codecs.BOM_UTF8) else chunk[3:])
                else:
                    out.write(decoder.decode(chunk).encode("utf-8"))
            except UnicodeDecodeError:
                raise DepartmentFileError(
                    gettext("文件中有无法按 %(value)s 解码的字符，请检查文件编码后重新上传")
                    % {"value": "UTF-8" if encoding == "utf-8-sig" else "GBK"}
                ) from None
            newlines += chunk.count(b"\n")
            last = chunk[-1:]
        try:
            tail = decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise DepartmentFileError(gettext("文件结尾有不完整的字符，请检查文件编码后重新上传")) from None
        if tail and encoding != "utf-8-sig":
            out.write(tail.encode("utf-8"))
    rows = newlines if last not in (b"\n", b"") else newlines - 1
    return columns, max(rows, 0)


def _xlsx_to_csv(source, tmp: Path) -> tuple[dict, int]:
    try:
        files.check_xlsx(source, files.upload_limits())  # before calamine unpacks the whole sheet into memory
    except files.FileRefused as e:
        raise DepartmentFileError(str(e)) from None
    try:
        book = CalamineWorkbook.from_filelike(source)
        sheet = book.get_sheet_by_index(0)
        data = sheet.to_python(skip_empty_area=True)
    except Exception:
        raise DepartmentFileError(gettext("无法读取 Excel 文件，请确认文件未损坏且为 .xlsx 格式")) from None
    if not data:
        raise DepartmentFileError(gettext("文件为空"))

    def cell(v):
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        if isinstance(v, (datetime.date, datetime.datetime)):
            return v.strftime("%Y-%m-%d")
        return "" if v is None else str(v).strip()

    headers = [cell(v) for v in data[0]]
    columns = columns_of(headers)
    rows = 0
    with open(tmp, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(columns["headers"])
        for row in data[1:]:
            values = [cell(v) for v in row]
            if any(values):
                writer.writerow(values)
                rows += 1
    return columns, rows


# ---------------------------------------------------------------- the registry side


def matches_by_name(columns: dict) -> bool:
    """A list can match by name and birth date (its rows without an ID number) only when it has both
    columns."""
    return bool(columns.get("name") and columns.get("birth"))


# Which consent (registry.ConsentScope) a department's data needs: members without one in force are not
# matched (issue 17, item 3). Lists of deaths, schooling, medical insurance and disability certificates are
# not economic data.
DEPARTMENT_CONSENT: dict[str, ConsentScope] = {
    Department.BUSINESS: ConsentScope.BUSINESS,
    Department.TAX: ConsentScope.INCOME,
    Department.PUBLIC_EMPLOYEE: ConsentScope.INCOME,
    Department.SOCIAL_INSURANCE: ConsentScope.SOCIAL_INSURANCE,
    Department.HOUSING: ConsentScope.REAL_ESTATE,
    Department.VEHICLE: ConsentScope.VEHICLE,
}


def _scope_where(scope_code: str, alias: str = "", consent: str | None = None) -> tuple[str, list]:
    where, params = "1 = 1", []
    if scope_code:
        lo, hi = code_range(scope_code)
        where, params = f"{alias}village_code >= %s AND {alias}village_code <= %s", [lo, hi]
    if consent:
        where += " AND " + consents.consent_sql(consent, f"{alias or 'registry_member.'}id")
    return where, params


def unauthorised_members(scope_code: str, department: str) -> int:
    """How many members under `scope_code` hold no consent in force for the department's data (not
    matched)."""
    consent = DEPARTMENT_CONSENT.get(department)
    if not consent:
        return 0
    where, params = _scope_where(scope_code)
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT count(*) FROM registry_member WHERE {where} AND NOT {consents.consent_sql(consent)}",
            params,
        )
        return cur.fetchone()[0]


def members_in_scope(scope_code: str) -> int:
    """How many members are under `scope_code` (an index-only count: less than the anti-join of
    unauthorised_members, which a cross-check that has read its consenting members' keys need not run)."""
    where, params = _scope_where(scope_code)
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM registry_member WHERE {where}", params)
        return cur.fetchone()[0]


def export_members(
    scope_code: str,
    path: Path,
    *,
    with_names: bool = False,
    consent: str | None = None,
    id_index: int | None = None,
) -> None:
    """Write the join keys of the members under `scope_code` to a CSV (no header): member id and ID number,
    and name and birth date when the list matches by those too. The rules read everything else from the
    registry when the findings are written, so the export carries only what the join needs. With `consent`,
    only the members holding a consent in force for it; with `id_index`, only those of that blind index (a
    pushed event's one person, read along the index)."""
    where, params = _scope_where(scope_code, consent=consent)
    if id_index is not None:
        where, params = f"{where} AND id_number_index = %s", [*params, id_index]
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        # The server writes the CSV text itself, a few dozen values of many lines each: a million rows
        # through COPY would be a million messages, each a round of Python.
        text = ["id::text", "coalesce(id_number_index::text, '')"]  # the blind index (fupin.core.crypto)
        if with_names:
            text += [_csv_text("name"), "to_char(birth_date, 'YYYY-MM-DD')"]
        line = " || ',' || ".join(text)
        with (
            transaction.atomic(),
            connection.cursor() as cur,
            open(path, "w", encoding="utf-8", newline="") as out,
        ):
            cur.execute("SET LOCAL work_mem = '256MB'")  # room to hash the few groups in memory
            cur.execute(
                f"SELECT string_agg({line}, E'\\n') || E'\\n' FROM registry_member WHERE {where} "
                f"GROUP BY mod(id, {EXPORT_GROUPS})",
                params,
            )
            for (chunk,) in cur:
                out.write(chunk)
        return
    select = (
        f"SELECT id, id_number_index{', name, birth_date' if with_names else ''} "
        f"FROM registry_member WHERE {where}"
    )
    with connection.cursor() as cur, open(path, "w", encoding="utf-8", newline="") as out:
        cur.execute(select, params)
        writer = csv.writer(out)
        while rows := cur.fetchmany(10000):
            writer.writerows(rows)


EXPORT_GROUPS = 64


def read_member_keys(scope_code: str, *, with_names: bool = False, consent: str | None = None):
    """The join keys of the members under `scope_code` as a polars frame (member_id, id_number, and name and
    birth_date as text when the list matches by those too), handed to DuckDB in memory: no CSV written and
    parsed again. PostgreSQL only; None where the CSV export must do (SQLite, a value holding the
    separator)."""
    if connection.vendor != "postgresql":
        return None

    fields = {"member_id": "id", "id_number": "id_number_index"}  # the blind index (fupin.core.crypto)
    if with_names:
        fields |= {"name": "name", "birth_date": "to_char(birth_date, 'YYYY-MM-DD')"}
    where, params = _scope_where(scope_code, consent=consent)
    connection.ensure_connection()
    with transaction.atomic():
        frame = read_columns(fields, where, params, parallel=True)
    return (
        None
        if frame is None
        else frame.with_columns(pl.col("member_id").cast(pl.Int64), pl.col("id_number").cast(pl.Int64))
    )


class _ArrowStream:
    """A polars frame as DuckDB scans it: through the Arrow C stream interface (no pyarrow needed)."""

    def __init__(self, frame):
        self.frame = frame

    def __arrow_c_stream__(self, requested_schema=None):
        return self.frame.__arrow_c_stream__(requested_schema)


def _csv_text(column: str) -> str:
    """A text column as one quoted CSV field (PostgreSQL)."""
    return f"'\"' || replace({column}, '\"', '\"\"') || '\"'"


# ---------------------------------------------------------------- the join


def _sql_name(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _sql_text(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _read_list(columns: dict) -> str:
    """DuckDB's reader of the stored list: read_parquet (store_list), or for a list stored as CSV before
    that, read_csv (UTF-8, comma-separated: the upload parsed its header that way), every column VARCHAR under
    the header names the upload validated, so DuckDB does not sniff the 10 million rows' types."""
    if columns.get("stored_as") == "parquet":
        return "read_parquet(?)"
    headers = columns.get("headers")
    if not headers:  # a list stored before the headers were kept
        return "read_csv(?, header=true, all_varchar=true)"
    spec = ", ".join(f"{_sql_text(h)}: 'VARCHAR'" for h in headers)
    # The dialect and columns are given, so nothing is sniffed that matters; auto_detect=false is left out
    # on purpose: with it DuckDB 2.0 scans the same file markedly slower (measured 1.5–2x on the 10M list).
    return f"read_csv(?, header=true, delim=',', quote='\"', escape='\"', columns={{{spec}}})"


def _list_severity(department: str, extra: list[str]) -> str:
    """SQL over a list row (alias d) for a severity the list itself decides, else NULL (the rule's own):
    a motorcycle, tricycle or farm vehicle is a low-value vehicle."""
    if department != Department.VEHICLE:
        return "NULL::INTEGER"
    kind_col = next((h for h in extra if "类型" in h or "车型" in h), None)
    if kind_col is None:
        return "NULL::INTEGER"
    low = " OR ".join(
        f"coalesce(d.{_sql_name(kind_col)}, '') LIKE {_sql_text('%' + word + '%')}"
        for word in LOW_VALUE_VEHICLES
    )
    return f"CASE WHEN {low} THEN {int(Severity.LOW)} END"


def _members_relation(db, members_csv: Path | None, member_keys, by_name: bool) -> str:
    """The members as a DuckDB relation: the Arrow stream of `member_keys` registered, or `members_csv`
    read."""
    if member_keys is not None:
        db.register("member_keys", _ArrowStream(member_keys))
        return (
            "(SELECT member_id, id_number"
            + (", name, CAST(birth_date AS DATE) AS birth_date" if by_name else "")
            + " FROM member_keys)"
        )
    member_columns = "'member_id': 'BIGINT', 'id_number': 'BIGINT'" + (
        ", 'name': 'VARCHAR', 'birth_date': 'DATE'" if by_name else ""
    )
    return (
        f"read_csv({_sql_text(str(members_csv))}, header=false, delim=',', quote='\"', escape='\"', "
        f"columns={{{member_columns}}})"
    )


def _list_id(columns: dict) -> str | None:
    """SQL over a list row (alias d) for its ID number's blind index, an integer (store_list replaced the
    numbers on upload; Parquet keeps it an integer, a list stored as CSV before holds it as text), or None
    for a list without the column."""
    id_col = columns.get("id")
    if not id_col:
        return None
    the_id = f"d.{_sql_name(id_col)}"
    return the_id if columns.get("stored_as") == "parquet" else f"TRY_CAST({the_id} AS BIGINT)"


def _hit_columns(department: str, extra: list) -> str:
    """What a match writes: the member, the severity the list decides, the list row's other fields as JSON."""
    pairs = ", ".join(f"{_sql_text(h)}, d.{_sql_name(h)}" for h in extra)
    return (
        f"m.member_id, {_list_severity(department, extra)} AS severity, "
        + (f"json_object({pairs})" if extra else "'{}'")
        + " AS evidence"
    )


def match(
    *,
    department: str,
    columns: dict,
    members_csv: Path | None = None,
    list_csv: Path,
    hits_csv: Path,
    progress=lambda pct: None,
    member_keys=None,
) -> int:
    """Hash-join the list with the members in DuckDB — by ID number (trimmed, upper-case X), and by name and
    birth date for rows without an ID where the list has those columns — and write every match to `hits_csv`
    (no header): member id, the severity the list decides or empty, the list row's other fields as JSON, in
    member order (the findings are then written along the members' and the findings' indexes).
    The members come from `members_csv` (export_members) or `member_keys` (read_member_keys).

    Returns the number of members matched.
    """
    import duckdb  # loaded by the cross-check's worker only, not by every page importing the monitoring app

    if columns.get("id") and not columns.get("ids_hashed"):  # a list kept from before hashing: hashed now
        columns = dict(columns)
        hashed_copy = Path(hits_csv).with_name("list-hashed")  # beside the hits: the run's own folder
        shutil.copyfile(list_csv, hashed_copy)
        store_list(columns, hashed_copy)
        list_csv = hashed_copy

    by_name = matches_by_name(columns)
    db = duckdb.connect()
    try:
        db.execute(f"SET threads TO {min(max(os.cpu_count() or 1, 1), 2)}")
        db.execute(f"SET temp_directory = {_sql_text(tempfile.gettempdir())}")
        members = _members_relation(db, members_csv, member_keys, by_name)
        if by_name:  # read twice below: once into a table
            db.execute(f"CREATE TABLE members AS SELECT * FROM {members}")
            members = "members"
        id_col, name_col, birth_col = columns.get("id"), columns.get("name"), columns.get("birth")
        hit = _hit_columns(department, columns.get("extra", []))
        the_id = _list_id(columns)
        try:
            if not by_name:
                # the common case: one streaming pass over the list, probing the members' hash table
                db.execute(
                    f"CREATE TABLE hit AS SELECT {hit} FROM {_read_list(columns)} d "
                    f"JOIN {members} m ON m.id_number = {the_id}",
                    [str(list_csv)],
                )
            else:
                b = f"trim(d.{_sql_name(birth_col)})"
                birth = (
                    f"coalesce(try_strptime({b}, '%Y-%m-%d'), try_strptime({b}, '%Y%m%d'), "
                    f"try_strptime({b}, '%Y/%m/%d'))::DATE"
                )
                no_id = f"{the_id} IS NULL" if id_col else "true"
                # one pass over the list keeps the rows that can match: a member's ID, or no ID at all
                keep = f"{the_id} IN (SELECT id_number FROM members) OR {no_id}" if id_col else "true"
                db.execute(
                    f"CREATE TABLE d AS SELECT *, {the_id or 'NULL::BIGINT'} AS _id, "
                    f"trim(d.{_sql_name(name_col)}) AS _name, "
                    f"{birth} AS _birth FROM {_read_list(columns)} d WHERE {keep}",
                    [str(list_csv)],
                )
                db.execute(
                    f"CREATE TABLE hit AS SELECT {hit} FROM d JOIN members m ON m.id_number = d._id "
                    f"UNION ALL SELECT {hit} FROM d JOIN members m "
                    "ON m.name = d._name AND m.birth_date = d._birth "
                    "WHERE d._id IS NULL"
                )
        except duckdb.Error as e:
            raise DepartmentFileError(_unparsable(e)) from None
        progress(70)
        db.execute(
            f"COPY (SELECT * FROM hit ORDER BY member_id) TO {_sql_text(str(hits_csv))} "
            "(FORMAT csv, HEADER false)"
        )
        return db.execute("SELECT count(DISTINCT member_id) FROM hit").fetchone()[0]
    finally:
        db.close()


# ---------------------------------------------------------------- the findings

HIT_TABLE = "monitoring_cross_hit"


def _load_hits(cur, hits_csv: Path) -> None:
    cur.execute(f"DROP TABLE IF EXISTS {HIT_TABLE}")
    cur.execute(f"CREATE TEMPORARY TABLE {HIT_TABLE} (member_id bigint, severity smallint, evidence text)")
    if connection.vendor == "postgresql":
        pg = cur.cursor if hasattr(cur, "cursor") else cur
        with pg.copy(f"COPY {HIT_TABLE} FROM STDIN WITH (FORMAT csv)") as copy, open(hits_csv, "rb") as f:
            while block := f.read(CHUNK):
                copy.write(block)
        cur.execute(f"ANALYZE {HIT_TABLE}")
        return
    with open(hits_csv, encoding="utf-8", newline="") as f:
        rows = (
            (int(member), int(severity) if severity else None, evidence)
            for member, severity, evidence in csv.reader(f)
        )
        while batch := list(itertools.islice(rows, 5000)):
            cur.executemany(f"INSERT INTO {HIT_TABLE} VALUES (%s, %s, %s)", batch)


def raise_findings(
    *,
    check_id: int,
    department: str,
    scope_code: str,
    hits_csv: Path,
    created_at: datetime.datetime,
    on_list_only: bool = False,
) -> int:
    """Write the department's findings from the matches: one INSERT … SELECT per rule, joining the members for
    their household, village, name and the registry fields a rule tests (no finding passes through Python).
    A rule on the list fires for each matched list row; a rule off the list for each member in scope it
    misses, unless `on_list_only` (a pushed event is one row, not the department's whole list: nobody is
    missing from it)."""
    pg = connection.vendor == "postgresql"
    as_json = (lambda sql: f"CAST({sql} AS jsonb)") if pg else (lambda sql: sql)
    columns = (
        "household_id, member_id, village_code, rule, severity, detail, evidence, cross_check_id, "
        "department, "
        "decision, decision_note, created_at"
    )
    constants = [check_id, department, "pending", "", connection.ops.adapt_datetimefield_value(created_at)]
    total = 0
    with connection.cursor() as cur:
        _load_hits(cur, hits_csv)
        if pg and connection.in_atomic_block:
            # The matches are a few per cent of the members at most: fetch them by primary key rather than
            # hash all the members, which PostgreSQL's default page costs (spinning disks) prefer. Halves the
            # insert.
            cur.execute("SET LOCAL random_page_cost = 1.1")
        for rule in DEPARTMENT_RULES[department]:
            if on_list_only and not rule.on_list:
                continue
            before, after = rule.detail.split("{name}")
            detail = f"substr({_sql_text(before)} || m.name || {_sql_text(after)}, 1, 500)"
            condition = RULE_CONDITIONS.get(rule.key, "1 = 1")
            if rule.on_list:
                sql = (
                    f"INSERT INTO monitoring_finding ({columns}) "
                    "SELECT m.household_id, m.id, m.village_code, %s, "
                    f"coalesce(h.severity, %s), {detail}, {as_json('h.evidence')}, %s, %s, %s, %s, %s "
                    f"FROM {HIT_TABLE} h JOIN registry_member m ON m.id = h.member_id WHERE {condition}"
                )
                params = [rule.key, int(rule.severity)] + constants
            else:
                where, scope_params = _scope_where(scope_code, "m.")
                sql = (
                    f"INSERT INTO monitoring_finding ({columns}) "
                    "SELECT m.household_id, m.id, m.village_code, %s, %s, "
                    f"{detail}, {as_json(_sql_text('{}'))}, %s, %s, %s, %s, %s FROM registry_member m "
                    f"WHERE {where} AND {condition} "
                    f"AND NOT EXISTS (SELECT 1 FROM {HIT_TABLE} h WHERE h.member_id = m.id)"
                )
                params = [rule.key, int(rule.severity)] + constants + scope_params
            cur.execute(sql, params)
            total += cur.rowcount
        cur.execute(f"DROP TABLE {HIT_TABLE}")
    return total
