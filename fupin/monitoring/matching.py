"""Matching a department's list against the registry's members with DuckDB.

The uploaded file is normalised once to UTF-8 CSV (Excel and GBK files included). A run
exports the members in scope (PostgreSQL COPY TO STDOUT, streamed to a file), lets DuckDB
hash-join the two lists — by ID number, or by name and birth date where a row has no ID —
applies the department's rules in SQL, and hands back the findings as a CSV that the
service loads with COPY (or bulk_create on SQLite).
"""
import codecs
import csv
import datetime
import io
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.db import connection
from django.utils.translation import gettext_lazy as _

from fupin.regions.models import code_range

from .models import Department, Severity

ID_HEADERS = ("身份证号", "身份证号码", "公民身份号码", "公民身份证号", "证件号码", "身份证", "id_number")
NAME_HEADERS = ("姓名", "name")
BIRTH_HEADERS = ("出生日期", "出生年月日", "出生年月", "birth_date")
MAX_EXTRA_COLUMNS = 12
CHUNK = 1 << 20


class DepartmentFileError(ValueError):
    """The uploaded list cannot be used; the message says why, in Chinese."""


@dataclass(frozen=True)
class DepartmentRule:
    key: str
    label: str
    severity: int
    # how the finding reads; {name} is the member (the list's own fields are kept as the evidence)
    detail: str
    on_list: bool = True  # False: fires for registry members *missing* from the list


DEPARTMENT_RULES: dict[str, list[DepartmentRule]] = {
    Department.BUSINESS: [DepartmentRule("business_owner", _("成员登记有工商户或企业"), Severity.MEDIUM,
                                         "成员{name}在市场监管部门登记有工商户或企业")],
    Department.TAX: [DepartmentRule("pays_income_tax", _("成员缴纳个人所得税"), Severity.HIGH,
                                    "成员{name}有个人所得税缴纳记录，收入可能高于登记")],
    Department.SOCIAL_INSURANCE: [DepartmentRule("employee_insured", _("成员在外务工并缴纳职工社保"), Severity.MEDIUM,
                                                 "成员{name}参加职工社会保险，有稳定工资收入")],
    Department.HOUSING: [DepartmentRule("owns_commercial_housing", _("成员在省内购买商品房"), Severity.HIGH,
                                        "成员{name}在省内登记有商品房")],
    Department.VEHICLE: [DepartmentRule("owns_vehicle", _("成员名下有登记车辆"), Severity.HIGH,
                                        "成员{name}名下有登记车辆")],
    Department.PUBLIC_EMPLOYEE: [DepartmentRule("public_employee", _("成员为财政供养人员"), Severity.HIGH,
                                                "成员{name}为财政供养人员（公职人员）")],
    Department.DEATH: [DepartmentRule("deceased_listed", _("成员已死亡仍在册"), Severity.HIGH,
                                      "成员{name}已死亡注销，仍在户内登记")],
    Department.SCHOOL: [
        DepartmentRule("schooling_mismatch", _("学籍与在校生状况不符"), Severity.LOW,
                       "成员{name}有在校学籍，登记为非在校生"),
        DepartmentRule("no_school_record", _("义务教育阶段学生无学籍"), Severity.HIGH,
                       "成员{name}登记为义务教育阶段在校生，教育部门无其学籍，疑似失学辍学", on_list=False),
    ],
    Department.MEDICAL: [
        DepartmentRule("insurance_mismatch", _("参保状态与登记不符"), Severity.LOW,
                       "成员{name}医保部门显示已参保，登记为未参保"),
        DepartmentRule("not_insured", _("医保名单中无参保记录"), Severity.MEDIUM,
                       "成员{name}登记为已参加基本医疗保险，医保部门无其参保记录", on_list=False),
    ],
    Department.DISABILITY: [
        DepartmentRule("unregistered_disability", _("持证残疾未登记"), Severity.LOW,
                       "成员{name}持有残疾证，户内未登记残疾"),
        DepartmentRule("disability_without_certificate", _("登记残疾但无残疾证"), Severity.MEDIUM,
                       "成员{name}登记为残疾，残联无其残疾证记录", on_list=False),
    ],
}
# The registry condition under which each rule fires (SQL over the member columns, alias m).
RULE_CONDITIONS = {
    "schooling_mismatch": "m.schooling = 'none'",
    "no_school_record": "m.schooling IN ('primary', 'grade7', 'grade8', 'grade9')",
    "insurance_mismatch": "NOT m.insured",
    "not_insured": "m.insured",
    "unregistered_disability": "m.disability = ''",
    "disability_without_certificate": "m.disability <> ''",
}
LOW_VALUE_VEHICLES = ("摩托", "三轮", "农用", "拖拉机", "电动")


def rule_labels() -> dict[str, str]:
    return {r.key: r.label for rules in DEPARTMENT_RULES.values() for r in rules}


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
        raise DepartmentFileError("文件第一行应为列名，但为空")
    dupes = sorted({h for h in headers if h and headers.count(h) > 1})
    if dupes:
        raise DepartmentFileError(f"列名重复：{'、'.join(dupes)}")
    found = {"id": _find(headers, ID_HEADERS), "name": _find(headers, NAME_HEADERS), "birth": _find(headers, BIRTH_HEADERS)}
    if not found["id"] and not (found["name"] and found["birth"]):
        raise DepartmentFileError(
            "文件缺少“身份证号”列；没有身份证号时须有“姓名”和“出生日期”两列。现有列：" + "、".join(h for h in headers if h)[:300])
    for h in headers:
        if not h:
            raise DepartmentFileError("有列没有列名，请补全第一行的列名")
        if not re.fullmatch(r"[\w\u3400-\u9fff（）()·./ -]{1,40}", h):
            raise DepartmentFileError(f"列名“{h[:40]}”含有不支持的字符")
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
                return raw[:e.start].decode(encoding), encoding
            continue
    raise DepartmentFileError("文件编码无法识别，请另存为 UTF-8 或 GBK 编码的 CSV 文件，或 Excel（.xlsx）文件")


def normalise_upload(source, dest: Path) -> tuple[dict, int]:
    """Write the upload (CSV in UTF-8 or GBK, or .xlsx) to `dest` as UTF-8 CSV; its columns and row count.

    Nothing is written at `dest` unless the whole file reads cleanly.
    """
    head = source.read(8)
    source.seek(0)
    tmp = dest.with_suffix(".part")
    try:
        if head.startswith(b"PK\x03\x04"):
            columns, rows = _xlsx_to_csv(source, tmp)
        elif head.startswith(b"\xd0\xcf\x11\xe0"):
            raise DepartmentFileError("不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV")
        else:
            columns, rows = _csv_to_csv(source, tmp)
        if rows == 0:
            raise DepartmentFileError("文件中没有数据行")
        os.replace(tmp, dest)
    finally:
        if tmp.exists():
            tmp.unlink()
    return columns, rows


def _csv_to_csv(source, tmp: Path) -> tuple[dict, int]:
    first = source.read(CHUNK)
    if not first.strip():
        raise DepartmentFileError("文件为空")
    if b"\x00" in first[:4096]:
        raise DepartmentFileError("文件不是文本格式的 CSV，请上传 CSV 或 Excel（.xlsx）文件")
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
                    f"文件中有无法按 {'UTF-8' if encoding == 'utf-8-sig' else 'GBK'} 解码的字符，请检查文件编码后重新上传") from None
            newlines += chunk.count(b"\n")
            last = chunk[-1:]
        try:
            tail = decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise DepartmentFileError("文件结尾有不完整的字符，请检查文件编码后重新上传") from None
        if tail and encoding != "utf-8-sig":
            out.write(tail.encode("utf-8"))
    rows = newlines if last not in (b"\n", b"") else newlines - 1
    return columns, max(rows, 0)


def _xlsx_to_csv(source, tmp: Path) -> tuple[dict, int]:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(source)
        sheet = book.get_sheet_by_index(0)
        data = sheet.to_python(skip_empty_area=True)
    except Exception:
        raise DepartmentFileError("无法读取 Excel 文件，请确认文件未损坏且为 .xlsx 格式") from None
    if not data:
        raise DepartmentFileError("文件为空")

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

MEMBER_EXPORT_COLUMNS = ("member_id", "household_id", "village_code", "id_number", "name", "birth_date", "schooling",
                         "insured", "disability")


def export_members(scope_code: str, path: Path) -> None:
    """Write the members under `scope_code` to a CSV (no header) with MEMBER_EXPORT_COLUMNS."""
    where, params = "", []
    if scope_code:
        lo, hi = code_range(scope_code)
        where, params = " WHERE village_code >= %s AND village_code <= %s", [lo, hi]
    select = ("SELECT id, household_id, village_code, id_number, name, birth_date, schooling, has_medical_insurance, "
              "disability_category FROM registry_member" + where)
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cur, open(path, "wb") as out:
            pg = cur.cursor if hasattr(cur, "cursor") else cur
            sql = pg.mogrify(select, params) if params else select
            with pg.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy:
                for block in copy:
                    out.write(block)
        return
    with connection.cursor() as cur, open(path, "w", encoding="utf-8", newline="") as out:
        cur.execute(select, params)
        writer = csv.writer(out)
        while rows := cur.fetchmany(10000):
            writer.writerows((r[0], r[1], r[2], r[3], r[4], r[5], r[6], "true" if r[7] else "false", r[8]) for r in rows)


# ---------------------------------------------------------------- the join

def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _read_list(columns: dict) -> str:
    """read_csv over the stored list (UTF-8, comma-separated: the upload parsed its header that way), every column
    VARCHAR under the header names the upload validated, so DuckDB does not sniff the 10 million rows' types."""
    headers = columns.get("headers")
    if not headers:  # a list stored before the headers were kept
        return "read_csv(?, header=true, all_varchar=true)"
    spec = ", ".join(f"{_lit(h)}: 'VARCHAR'" for h in headers)
    return (f"read_csv(?, header=true, auto_detect=false, delim=',', quote='\"', escape='\"', "
            f"columns={{{spec}}})")


def match(*, department: str, columns: dict, members_csv: Path, list_csv: Path, out_csv: Path,
          progress=lambda pct: None) -> tuple[int, int, int]:
    """Join and apply the department's rules; write findings to `out_csv` (no header) with
    household_id, member_id, village_code, rule, severity, detail, evidence (JSON).

    Returns (None, members matched, findings): the list's rows were counted at upload.
    """
    import duckdb

    db = duckdb.connect()
    try:
        db.execute(f"SET threads TO {min(max(os.cpu_count() or 1, 1), 2)}")
        db.execute(f"SET temp_directory = {_lit(tempfile.gettempdir())}")
        db.execute(
            "CREATE TABLE m AS SELECT * FROM read_csv(?, header=false, quote='\"', escape='\"', columns={"
            "'member_id':'BIGINT','household_id':'BIGINT','village_code':'VARCHAR','id_number':'VARCHAR',"
            "'name':'VARCHAR','birth_date':'DATE','schooling':'VARCHAR','insured':'BOOLEAN','disability':'VARCHAR'})",
            [str(members_csv)],
        )
        progress(30)
        id_col, name_col, birth_col = columns.get("id"), columns.get("name"), columns.get("birth")
        extra = columns.get("extra", [])
        # only cheap per-row work on the whole list; the evidence JSON is built for matched rows only
        select = []
        select.append(f"upper(trim({_q(id_col)})) AS id" if id_col else "NULL::VARCHAR AS id")
        select.append(f"trim({_q(name_col)}) AS name" if name_col else "NULL::VARCHAR AS name")
        if birth_col:
            b = f"trim({_q(birth_col)})"
            select.append(f"coalesce(try_strptime({b}, '%Y-%m-%d'), try_strptime({b}, '%Y%m%d'), "
                          f"try_strptime({b}, '%Y/%m/%d'))::DATE AS birth")
        else:
            select.append("NULL::DATE AS birth")
        select += [f"{_q(h)} AS {_q('x_' + h)}" for h in extra]
        pairs = ", ".join(f"{_lit(h)}, d.{_q('x_' + h)}" for h in extra)
        evidence = f"json_object({pairs})" if extra else "'{}'"
        try:
            # one streaming pass over the list: keep only rows whose ID is a member's (a semi hash join)
            # and rows without an ID (matched by name and birth date below)
            db.execute(f"CREATE TABLE d AS SELECT * FROM (SELECT {', '.join(select)} FROM {_read_list(columns)}) "
                       "WHERE id IN (SELECT id_number FROM m) OR id IS NULL OR id = ''", [str(list_csv)])
        except duckdb.Error as e:
            raise DepartmentFileError(f"名单文件无法解析：{str(e).splitlines()[0][:200]}") from None
        list_rows = None  # the upload counted the rows; the list is not read twice
        progress(60)
        db.execute(
            "CREATE TABLE hit AS "
            f"SELECT m.*, {evidence} AS evidence FROM m JOIN d ON m.id_number = d.id "
            "UNION ALL "
            f"SELECT m.*, {evidence} AS evidence FROM m JOIN d ON m.name = d.name AND m.birth_date = d.birth "
            "WHERE d.id IS NULL OR d.id = ''"
        )
        matched = db.execute("SELECT count(DISTINCT member_id) FROM hit").fetchone()[0]
        progress(80)
        parts = []
        for rule in DEPARTMENT_RULES[department]:
            condition = RULE_CONDITIONS.get(rule.key, "true")
            severity = str(int(rule.severity))
            if department == Department.VEHICLE and any("类型" in h or "车型" in h for h in extra):
                kind_col = next(h for h in extra if "类型" in h or "车型" in h)
                low = " OR ".join(f"coalesce(json_extract_string(m.evidence, {_lit('$.' + kind_col)}), '') LIKE "
                                  f"{_lit('%' + word + '%')}" for word in LOW_VALUE_VEHICLES)
                severity = f"CASE WHEN {low} THEN {int(Severity.LOW)} ELSE {int(Severity.HIGH)} END"
            text = _lit(rule.detail).replace("{name}", "' || m.name || '")
            if rule.on_list:
                detail = text
                parts.append(f"SELECT m.household_id, m.member_id, m.village_code, {_lit(rule.key)} AS rule, {severity} AS severity, "
                             f"{detail} AS detail, m.evidence FROM hit m WHERE {condition}")
            else:
                parts.append(f"SELECT m.household_id, m.member_id, m.village_code, {_lit(rule.key)}, {severity}, {text}, '{{}}' "
                             f"FROM m WHERE {condition} AND NOT EXISTS (SELECT 1 FROM hit h WHERE h.member_id = m.member_id)")
        query = " UNION ALL ".join(parts)
        db.execute(f"COPY ({query}) TO {_lit(str(out_csv))} (FORMAT csv, HEADER false)")
        findings = db.execute(f"SELECT count(*) FROM read_csv({_lit(str(out_csv))}, header=false, all_varchar=true)").fetchone()[0] \
            if os.path.getsize(out_csv) else 0
        progress(90)
        return list_rows, matched, findings
    finally:
        db.close()


def read_findings_csv(path: Path):
    """Rows of a findings CSV as tuples (for the SQLite path)."""
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.reader(f):
            yield int(row[0]), int(row[1]), row[2], row[3], int(row[4]), row[5], row[6]


def copy_findings(path: Path, *, check_id: int, department: str, created_at: datetime.datetime) -> None:
    """Load a findings CSV into monitoring_finding with COPY (PostgreSQL)."""
    stamp = created_at.isoformat()
    with connection.cursor() as cur:
        pg = cur.cursor if hasattr(cur, "cursor") else cur
        with pg.copy("COPY monitoring_finding (household_id, member_id, village_code, rule, severity, detail, evidence, "
                     "cross_check_id, department, decision, decision_note, created_at) FROM STDIN WITH (FORMAT csv)") as copy:
            suffix = f',{check_id},{department},pending,"",{stamp}\n'.encode()  # "" is an empty string, not NULL
            with open(path, "rb") as f:
                buf = io.BytesIO()
                for line in _csv_records(f):
                    buf.write(line.rstrip(b"\r\n"))
                    buf.write(suffix)
                    if buf.tell() > CHUNK:
                        copy.write(buf.getvalue())
                        buf = io.BytesIO()
                copy.write(buf.getvalue())


def _csv_records(f):
    """Whole CSV records as bytes (a quoted field may hold a newline)."""
    pending = b""
    for line in f:
        pending += line
        if pending.count(b'"') % 2 == 0:
            yield pending
            pending = b""
    if pending:
        yield pending
