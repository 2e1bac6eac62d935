"""Exporting a household list to .xlsx in the import template's layout, one row per member.

An export of the full identifiers can be edited and imported back. The workbook is written
in openpyxl's write-only mode from a chunked query, so memory stays flat for any list size.
"""

from collections.abc import Iterator
from decimal import Decimal
from types import SimpleNamespace

from django.db.models import QuerySet
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from fupin.core import idnumber, spreadsheets
from fupin.regions.models import CODE_LENGTHS, Region, RegionLevel

from . import codes
from .importing.columns import HEADINGS, HOUSEHOLD, INCOME, MEMBER, REGION, REGION_FIELDS, TEMPLATE_COLUMNS
from .models import Household, IncomeRecord, Member

CHUNK = 1000
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


def _cell(column, value, labels) -> str:
    if value is None:
        return ""
    table = labels.get(column.field)
    if table is not None:
        return table.get(value, str(value)) if value != "" else ""
    if isinstance(value, bool):
        return (
            ("有" if value else "无") if column.field == "has_sanitary_toilet" else ("是" if value else "否")
        )
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


class _RegionNames:
    """Names of a village's ancestors, one query per chunk of new villages."""

    def __init__(self):
        self.names: dict[str, str] = {}

    def load(self, village_codes: set[str]) -> None:
        wanted = {code[: CODE_LENGTHS[level]] for code in village_codes for level in _REGION_LEVELS} - set(
            self.names
        )
        if wanted:
            self.names.update(Region.objects.filter(code__in=wanted).values_list("code", "name"))

    def path(self, village_code: str) -> list[str]:
        return [self.names.get(village_code[: CODE_LENGTHS[level]], "") for level in _REGION_LEVELS]


def _concrete(model, part: str, *extra: str) -> list[str]:
    names = {f.name for f in model._meta.concrete_fields}
    return sorted({c.field for c in TEMPLATE_COLUMNS if c.part == part and c.field in names} | set(extra))


# read as values, not model instances: building a model per member cost more than the rest of a row
_HOUSEHOLD_FIELDS = _concrete(
    Household, HOUSEHOLD, "id", "village_id", "group_id", "size", "other_causes", "phone", "bank_account"
)
_MEMBER_FIELDS = _concrete(Member, MEMBER, "id", "household_id", "relation", "id_number", "phone")


def _chunk_of(households: list[SimpleNamespace]) -> None:
    """Each household's members (id order) and latest income, and its group's name: three queries a chunk."""
    ids = [h.id for h in households]
    members: dict[int, list] = {i: [] for i in ids}
    for values in Member.objects.filter(household_id__in=ids).order_by("id").values(*_MEMBER_FIELDS):
        members[values["household_id"]].append(SimpleNamespace(**values))
    incomes: dict[int, IncomeRecord] = {}
    for income in IncomeRecord.objects.filter(household_id__in=ids).order_by("household_id", "-year"):
        incomes.setdefault(income.household_id, income)
    groups = dict(
        Region.objects.filter(code__in={h.group_id for h in households if h.group_id}).values_list(
            "code", "name"
        )
    )
    for h in households:
        h.member_list = members[h.id]
        h.income = incomes.get(h.id)
        h.group_name = groups.get(h.group_id, "") if h.group_id else ""


def export_rows(households: QuerySet[Household], *, show_identifiers: bool) -> Iterator[list[str]]:
    """The template's rows for these households: one per member (a household without members gets one row)."""
    mask_id = (lambda v: v) if show_identifiers else idnumber.mask
    mask_phone = (lambda v: v) if show_identifiers else idnumber.mask_phone
    regions = _RegionNames()
    labels = _labels()
    qs = households.order_by("village_id", "number").values(*_HOUSEHOLD_FIELDS)
    batch: list[SimpleNamespace] = []
    for values in qs.iterator(chunk_size=CHUNK):
        batch.append(SimpleNamespace(**values))
        if len(batch) >= CHUNK:
            _chunk_of(batch)
            yield from _batch_rows(batch, regions, mask_id, mask_phone, labels)
            batch = []
    if batch:
        _chunk_of(batch)
        yield from _batch_rows(batch, regions, mask_id, mask_phone, labels)


_MEMBER_COLUMNS = [(i, column) for i, column in enumerate(TEMPLATE_COLUMNS) if column.part == MEMBER]


def _batch_rows(batch, regions, mask_id, mask_phone, labels) -> Iterator[list[str]]:
    regions.load({h.village_id for h in batch})
    for household in batch:
        members = sorted(household.member_list, key=lambda m: (m.relation != codes.Relation.HEAD, m.id))
        head = next((m for m in members if m.relation == codes.Relation.HEAD), None)
        income = household.income
        # strict=False: a region path may be shorter than the five levels
        region = dict(zip(REGION_FIELDS, regions.path(household.village_id), strict=False))
        region["group"] = household.group_name
        shared = []
        for column in TEMPLATE_COLUMNS:
            if column.part == REGION:
                shared.append(region.get(column.field, ""))
            elif column.part == HOUSEHOLD:
                shared.append(
                    _cell(
                        column,
                        _household_value(household, head, column.field, mask_id, mask_phone, labels),
                        labels,
                    )
                )
            elif column.part == INCOME:
                value = None
                if income is not None:
                    value = (
                        income.transfers
                        if column.field == "transfers_total"
                        else getattr(income, column.field)
                    )
                shared.append(_cell(column, value, labels))
            else:
                shared.append(None)
        for member in members or [None]:
            row = list(shared)
            for i, column in _MEMBER_COLUMNS:
                value = getattr(member, column.field) if member is not None else None
                if column.field == "id_number":
                    value = mask_id(value)
                elif column.field == "phone":
                    value = mask_phone(value)
                row[i] = _cell(column, value, labels)
            yield row


def _household_value(household, head, name, mask_id, mask_phone, labels):
    if name == "head_id_number":
        return mask_id(head.id_number) if head else ""
    if name == "declared_size":
        return household.size
    if name == "other_causes":
        return "、".join(labels["primary_cause"].get(c, c) for c in household.other_causes or [])
    if name == "phone":
        return mask_phone(household.phone)
    if name == "bank_account":
        return mask_id(household.bank_account)
    return getattr(household, name)


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
