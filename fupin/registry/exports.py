"""Exporting a household list to .xlsx in the import template's layout, one row per member.

An export of the full identifiers can be edited and imported back. The rows (export_rows) are built a chunk of
households at a time, a column at a time, so memory stays flat for any list size; the national form's large
exports hand them to rustpy-xlsxwriter (fupin.core.table_exports), the small ones here to openpyxl's
write-only mode.
"""

import json
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from decimal import Decimal
from itertools import islice

from django.db import connections
from django.db.models import BooleanField, Case, DecimalField, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from fupin.core import crypto, idnumber, spreadsheets
from fupin.regions.models import CODE_LENGTHS, Region, RegionLevel

from . import codes
from .importing.columns import HEADINGS, HOUSEHOLD, INCOME, MEMBER, REGION, REGION_FIELDS, TEMPLATE_COLUMNS
from .models import Household, IncomeRecord, Member

CHUNK = 4000
_REGION_LEVELS = [
    RegionLevel.PROVINCE,
    RegionLevel.PREFECTURE,
    RegionLevel.COUNTY,
    RegionLevel.TOWNSHIP,
    RegionLevel.VILLAGE,
]


def _label(choices, value) -> str:
    if value in (None, ""):
        return ""
    if isinstance(choices, list):
        return dict(choices).get(value, value)
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


_CHOICES = {
    "identification_standard": codes.IdentificationStandard,
    "household_type": codes.HouseholdType,
    "primary_cause": codes.PovertyCause,
    "road_type": codes.RoadType,
    "fuel_type": codes.FuelType,
    "status": codes.HouseholdStatus,
    "sex": codes.Sex,
    "relation": codes.Relation,
    "ethnicity": codes.ETHNICITIES,
    "political_status": codes.PoliticalStatus,
    "education": codes.Education,
    "schooling": codes.SchoolingStatus,
    "health": codes.Health,
    "labour_skill": codes.LabourSkill,
    "work_status": codes.WorkStatus,
    "disability_category": codes.DisabilityCategory,
    "disability_level": codes.DisabilityLevel,
}


def _labels() -> dict[str, dict]:
    """Each coded field's labels in the active language, looked up once per export rather than once per
    cell."""
    return {
        name: {
            value: str(label) for value, label in (choices if isinstance(choices, list) else choices.choices)
        }
        for name, choices in _CHOICES.items()
    }


class _RegionNames:
    """Each village's five region names (province … village), one query per chunk of new villages."""

    def __init__(self):
        self.paths: dict[str, tuple[str, ...]] = {}

    def load(self, village_codes: set[str]) -> None:
        new = village_codes - set(self.paths)
        if not new:
            return
        wanted = {code[: CODE_LENGTHS[level]] for code in new for level in _REGION_LEVELS}
        names = dict(Region.objects.filter(code__in=wanted).values_list("code", "name"))
        for code in new:
            self.paths[code] = tuple(names.get(code[: CODE_LENGTHS[level]], "") for level in _REGION_LEVELS)


def _parts() -> tuple[list, list, list]:
    """The template's household, income and member columns. A row is built as its region, household, income
    and member cells joined, so the template must keep its columns in those four blocks."""
    order = [c.part for c in TEMPLATE_COLUMNS]
    blocks = [part for i, part in enumerate(order) if i == 0 or order[i - 1] != part]
    assert blocks == [REGION, HOUSEHOLD, INCOME, MEMBER], blocks
    assert [c.field for c in TEMPLATE_COLUMNS if c.part == REGION] == [*REGION_FIELDS, "group"]
    household, income, member = (
        [c for c in TEMPLATE_COLUMNS if c.part == p] for p in (HOUSEHOLD, INCOME, MEMBER)
    )
    return household, income, member


_HOUSEHOLD_PART, _INCOME_PART, _MEMBER_PART = _parts()
_SEALED = ("phone", "bank_account")  # encrypted: read as stored, decrypted a column at a time
# where a household's template field is read from when it is not its own column
_HOUSEHOLD_SOURCES = {"declared_size": "size"}
_HOUSEHOLD_READ = [
    _HOUSEHOLD_SOURCES.get(c.field, c.field)
    for c in _HOUSEHOLD_PART
    if c.field not in ("head_id_number", "other_causes")
]
_INCOME_READ = [c.field for c in _INCOME_PART if c.field != "transfers_total"]
_DECIMALS = {
    f.name for m in (Household, IncomeRecord) for f in m._meta.concrete_fields if isinstance(f, DecimalField)
}
_BOOLEANS = {
    f.name for m in (Household, Member) for f in m._meta.concrete_fields if isinstance(f, BooleanField)
}
_YES_NO = {True: "是", False: "否", None: ""}  # 1 and 0 (SQLite's booleans read raw) hash as True and False
_HAVE_NONE = {True: "有", False: "无", None: ""}
_HEAD = codes.Relation.HEAD.value


def _text_cells(values) -> list[str]:
    return [v if type(v) is str else "" if v is None else str(v) for v in values]


def _cells(name: str, values, labels: dict) -> list[str]:
    """One column's cells, converted as a whole: codes to labels and yes/no by dict look-ups, amounts and
    areas with two places, None as an empty cell."""
    table = labels.get(name)
    if table is not None:  # an unknown code is shown as it is
        return list(map({**table, None: "", "": ""}.get, values, values))
    if name in _BOOLEANS:
        return list(map((_HAVE_NONE if name == "has_sanitary_toilet" else _YES_NO).get, values))
    if name in _DECIMALS:
        return ["" if v is None else f"{v:.2f}" for v in values]
    return _text_cells(values)


def _masks(show_identifiers: bool) -> tuple[Callable, Callable]:
    """(ID numbers', phones') shown cells from a column of plain values: masked unless shown in full."""
    if show_identifiers:
        return _text_cells, _text_cells
    return (
        lambda values: list(map(idnumber.mask, values)),
        lambda values: [idnumber.mask_phone(v) if v else "" for v in values],  # most members have none
    )


def export_rows(households: QuerySet[Household], *, show_identifiers: bool) -> Iterator[tuple[str, ...]]:
    """The template's rows for these households, every cell as text: one per member, the head first (a
    household without members gets one row).

    Built a chunk of households at a time and a column at a time (issue 18, export speed): each column is read
    once, decrypted as a whole (crypto.decrypt_many), masked, and turned into labels by dict look-ups over the
    whole column; a row is then its household's cells joined to its member's."""
    masks = _masks(show_identifiers)
    regions = _RegionNames()
    labels = _labels()
    ids = households.order_by("village_id", "number").values_list("id", flat=True).iterator(chunk_size=CHUNK)
    while chunk := list(islice(ids, CHUNK)):
        yield from _chunk_rows(chunk, regions, labels, masks)


def _listed(ids: list[int]) -> RawSQL:
    """A chunk's household ids for an `__in` look-up, written into the query as integer literals: the ORM's
    processing of a list parameter, value by value, took longer than running the query."""
    return RawSQL(",".join([str(int(i)) for i in ids]), ())


def _read(qs: QuerySet, names: list[str]) -> dict[str, tuple]:
    """The columns of a values_list queryset's rows, as stored: its compiled query run on its cursor, past the
    ORM's conversion of each value (encrypted fields stay encrypted, SQLite's booleans 0 and 1, its decimals
    numbers, JSON text)."""
    sql, params = qs.values_list(*names).query.sql_with_params()
    with connections[qs.db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return {name: () for name in names}
    return dict(zip(names, zip(*rows, strict=True), strict=True))


def _chunk_rows(ids: list[int], regions: _RegionNames, labels: dict, masks) -> Iterator[tuple[str, ...]]:
    columns = _read(
        Household.objects.filter(id__in=_listed(ids)),
        ["id", "village_id", "group_id", "other_causes", *_HOUSEHOLD_READ],
    )
    if list(columns["id"]) != ids:
        # read in the database's order: put back in the list's (without a household deleted since it was read)
        at = {hid: i for i, hid in enumerate(columns["id"])}
        ids = [hid for hid in ids if hid in at]
        if not ids:  # every one of them deleted (and `IN ()` is no SQL to PostgreSQL)
            return
        order = [at[hid] for hid in ids]
        columns = {name: [values[i] for i in order] for name, values in columns.items()}
    member_households, member_rows, heads = _members(ids, labels, masks)
    at = [bisect_left(member_households, hid) for hid in ids]
    head_ids = [
        heads[i] if i < len(heads) and member_households[i] == hid else ""
        for i, hid in zip(at, ids, strict=True)
    ]
    shared = zip(
        *_region_cells(columns, regions),
        *_household_cells(columns, head_ids, labels, masks),
        *_income_cells(ids),
        strict=True,
    )
    blank = ("",) * len(_MEMBER_PART)
    for cells, hid, first in zip(shared, ids, at, strict=True):
        last = bisect_right(member_households, hid, first)
        if first == last:
            yield cells + blank
        else:
            for member in member_rows[first:last]:
                yield cells + member


def _region_cells(columns: dict, regions: _RegionNames) -> list[list[str]]:
    """The province … village names and the group's name, as columns."""
    regions.load(set(columns["village_id"]))
    paths = list(map(regions.paths.__getitem__, columns["village_id"]))
    group_ids = columns["group_id"]
    groups = dict(Region.objects.filter(code__in={g for g in group_ids if g}).values_list("code", "name"))
    return [*map(list, zip(*paths, strict=True)), [groups.get(g, "") if g else "" for g in group_ids]]


def _household_cells(columns: dict, head_ids: list[str], labels: dict, masks) -> list[list[str]]:
    mask_id, mask_phone = masks
    causes = labels["primary_cause"]
    out = []
    for column in _HOUSEHOLD_PART:
        name = column.field
        if name == "head_id_number":
            out.append(head_ids)
        elif name == "other_causes":
            lists = [json.loads(v) if isinstance(v, str) else v for v in columns[name]]
            out.append(["、".join(causes.get(c, c) for c in v or []) for v in lists])
        elif name in _SEALED:
            plain = crypto.decrypt_many(columns[name], Household._meta.get_field(name).purpose)
            out.append(mask_phone(plain) if name == "phone" else mask_id(plain))
        else:
            out.append(_cells(name, columns[_HOUSEHOLD_SOURCES.get(name, name)], labels))
    return out


def _income_cells(ids) -> list[list[str]]:
    """The income columns of each household's latest year (empty for a household without one)."""
    latest: dict[int, tuple] = {}
    incomes = IncomeRecord.objects.filter(household_id__in=_listed(ids)).order_by("household_id", "-year")
    for values in incomes.values_list("household_id", *_INCOME_READ):
        latest.setdefault(values[0], values[1:])
    rows = [latest.get(hid) for hid in ids]
    transfers = [_INCOME_READ.index(f) for f in IncomeRecord.TRANSFER_FIELDS]
    out = []
    for column in _INCOME_PART:
        if column.field == "transfers_total":
            values = [None if r is None else sum((r[i] for i in transfers), Decimal("0")) for r in rows]
            out.append(_cells("wages", values, {}))  # an amount, as the other amounts
        else:
            k = _INCOME_READ.index(column.field)
            out.append(_cells(column.field, [None if r is None else r[k] for r in rows], {}))
    return out


def _members(ids, labels: dict, masks) -> tuple[list[int], list[tuple[str, ...]], list[str]]:
    """The chunk's members, in each household the head first and then by id: their household ids (in order),
    their template cells and their shown ID numbers where they are the head ("" elsewhere).

    Read past the ORM's conversion of each value (the compiled query of the queryset, run on its cursor:
    SQLite's booleans stay 0 and 1, which the look-ups take as False and True) and converted a column at a
    time."""
    mask_id, mask_phone = masks
    names = [c.field for c in _MEMBER_PART]
    head_first = Case(When(relation=_HEAD, then=Value(0)), default=Value(1))
    qs = Member.objects.filter(household_id__in=_listed(ids)).order_by("household_id", head_first, "id")
    read = _read(qs, ["household_id", *names])
    cells = []
    for name in names:
        if name == "id_number":
            cells.append(mask_id(crypto.decrypt_many(read[name], "id_number")))
        elif name == "phone":
            cells.append(mask_phone(crypto.decrypt_many(read[name], "phone")))
        else:
            cells.append(_cells(name, read[name], labels))
    shown = cells[names.index("id_number")]
    heads = [s if r == _HEAD else "" for s, r in zip(shown, read["relation"], strict=True)]
    return list(read["household_id"]), list(zip(*cells, strict=True)), heads


def write_xlsx(households: QuerySet[Household], out, *, show_identifiers: bool) -> int:
    """Write the export to `out` (a path or binary file); returns the number of member rows."""
    workbook = spreadsheets.new_workbook(write_only=True)
    sheet = workbook.create_sheet("贫困户信息采集表")
    for i, column in enumerate(TEMPLATE_COLUMNS):
        sheet.column_dimensions[get_column_letter(i + 1)].width = max(
            10, min(2 * len(column.heading) + 2, 24)
        )
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for heading in HEADINGS:
        cell = WriteOnlyCell(sheet, value=heading)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    count = 0
    for row in export_rows(households, show_identifiers=show_identifiers):
        sheet.append(spreadsheets.safe_row(sheet, row))
        count += 1
    spreadsheets.save(workbook, out)
    return count
