"""Reconciling the project library with the year's statistics table and the payment records.

Seed 003 (資金項目管理): “將每個年度的扶貧資金項目統計表鎖定的項目及資金規模與脫貧攻堅項目庫進行比對，
做到錄入項目庫的扶貧項目與實際實施的扶貧項目賬賬相符、賬實相符”. `reconcile` is pure: it takes
the library and the table as plain rows and lists every disagreement, one line each.
"""

import io
from dataclasses import dataclass

from django.db.models import TextChoices
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from openpyxl import load_workbook

from fupin.core import files, money

from .models import Project, ProjectStatus
from .selectors import with_money


class MismatchKind(TextChoices):
    # 账账相符: the statistics table against the library and its payment records
    NOT_IN_LIBRARY = "not_in_library", _("统计表有、项目库无")
    NOT_IN_LEDGER = "not_in_ledger", _("项目库有、统计表无")
    DUPLICATE_IN_LEDGER = "duplicate_in_ledger", _("统计表重复列项")
    WRONG_YEAR = "wrong_year", _("年度不符")
    NAME_DIFFERS = "name_differs", _("项目名称不符")
    CANCELLED_IN_LEDGER = "cancelled_in_ledger", _("项目库已取消、统计表仍列项")
    SCALE_DIFFERS = "scale_differs", _("资金规模不符")
    PAID_DIFFERS = "paid_differs", _("拨付金额不符")
    # 账实相符: the library against what was funded, implemented and paid
    BUDGET_DIFFERS = "budget_differs", _("预算与已安排资金不符")
    PLAN_DIFFERS = "plan_differs", _("资金来源构成与预算不符")
    PAID_BEFORE_START = "paid_before_start", _("未开工已拨付")
    CANCELLED_WITH_MONEY = "cancelled_with_money", _("已取消项目仍有资金")
    ACCEPTED_NOT_PAID = "accepted_not_paid", _("已验收未足额拨付")
    PAID_NOT_ACCEPTED = "paid_not_accepted", _("已足额拨付未验收")


@dataclass(frozen=True)
class LibraryProject:
    code: str
    name: str
    year: int
    status: str
    budget_fen: int
    planned_fen: int | None  # sum of the funding plan; None when no plan was entered
    allocated_fen: int
    paid_fen: int
    pk: int | None = None


@dataclass(frozen=True)
class LedgerRow:
    row: int
    code: str
    name: str
    amount_fen: int
    paid_fen: int


@dataclass(frozen=True)
class Mismatch:
    kind: str
    code: str
    name: str
    library: str = ""
    ledger: str = ""
    row: int | None = None
    project_pk: int | None = None

    @property
    def label(self) -> str:
        return str(MismatchKind(self.kind).label)


def _yuan(fen: int) -> str:
    return f"{money.format_fen(fen)}元"


def _row_mismatches(row: LedgerRow, project: LibraryProject, year: int) -> list[Mismatch]:
    """A table row against its project in the library."""
    out: list[Mismatch] = []
    common = {"code": row.code, "name": project.name, "row": row.row, "project_pk": project.pk}
    if project.year != year:
        out.append(
            Mismatch(MismatchKind.WRONG_YEAR, library=f"{project.year}年", ledger=f"{year}年", **common)
        )
    if row.name.strip() != project.name.strip():
        out.append(Mismatch(MismatchKind.NAME_DIFFERS, library=project.name, ledger=row.name, **common))
    if project.status == ProjectStatus.CANCELLED:
        out.append(
            Mismatch(
                MismatchKind.CANCELLED_IN_LEDGER,
                library=str(ProjectStatus(project.status).label),
                ledger=_yuan(row.amount_fen),
                **common,
            )
        )
    if row.amount_fen != project.allocated_fen:
        out.append(
            Mismatch(
                MismatchKind.SCALE_DIFFERS,
                library=_yuan(project.allocated_fen),
                ledger=_yuan(row.amount_fen),
                **common,
            )
        )
    if row.paid_fen != project.paid_fen:
        out.append(
            Mismatch(
                MismatchKind.PAID_DIFFERS,
                library=_yuan(project.paid_fen),
                ledger=_yuan(row.paid_fen),
                **common,
            )
        )
    return out


def _library_mismatches(project: LibraryProject, seen: set[str]) -> list[Mismatch]:
    """A project of the year against the table (`seen`: the codes it lists) and against its own money."""
    out: list[Mismatch] = []
    common = {"code": project.code, "name": project.name, "project_pk": project.pk}
    cancelled = project.status == ProjectStatus.CANCELLED
    if project.code not in seen and not cancelled:
        out.append(Mismatch(MismatchKind.NOT_IN_LEDGER, library=_yuan(project.allocated_fen), **common))
    if cancelled:
        if project.allocated_fen or project.paid_fen:
            out.append(
                Mismatch(
                    MismatchKind.CANCELLED_WITH_MONEY,
                    library=f"安排{_yuan(project.allocated_fen)}，拨付{_yuan(project.paid_fen)}",
                    **common,
                )
            )
        return out
    if project.budget_fen != project.allocated_fen:
        out.append(
            Mismatch(
                MismatchKind.BUDGET_DIFFERS,
                library=f"预算{_yuan(project.budget_fen)}，已安排{_yuan(project.allocated_fen)}",
                **common,
            )
        )
    if project.planned_fen is not None and project.planned_fen != project.budget_fen:
        out.append(
            Mismatch(
                MismatchKind.PLAN_DIFFERS,
                library=f"预算{_yuan(project.budget_fen)}，来源合计{_yuan(project.planned_fen)}",
                **common,
            )
        )
    if project.status == ProjectStatus.PLANNED and project.paid_fen:
        out.append(
            Mismatch(MismatchKind.PAID_BEFORE_START, library=f"已拨付{_yuan(project.paid_fen)}", **common)
        )
    if project.status == ProjectStatus.ACCEPTED and project.paid_fen < project.allocated_fen:
        out.append(
            Mismatch(
                MismatchKind.ACCEPTED_NOT_PAID,
                library=f"已安排{_yuan(project.allocated_fen)}，已拨付{_yuan(project.paid_fen)}",
                **common,
            )
        )
    if (
        project.status != ProjectStatus.ACCEPTED
        and project.paid_fen
        and project.paid_fen == project.allocated_fen
    ):
        out.append(
            Mismatch(
                MismatchKind.PAID_NOT_ACCEPTED,
                library=f"{ProjectStatus(project.status).label}，已拨付{_yuan(project.paid_fen)}",
                **common,
            )
        )
    return out


def reconcile(*, year: int, library: list[LibraryProject], ledger: list[LedgerRow]) -> list[Mismatch]:
    """Every disagreement between the table (for `year`) and the library, in table order then library
    order."""
    by_code = {p.code: p for p in library}
    out: list[Mismatch] = []
    seen: set[str] = set()
    for row in ledger:
        if row.code in seen:
            out.append(
                Mismatch(
                    MismatchKind.DUPLICATE_IN_LEDGER, row.code, row.name, ledger=f"第{row.row}行", row=row.row
                )
            )
            continue
        seen.add(row.code)
        project = by_code.get(row.code)
        if project is None:
            out.append(
                Mismatch(
                    MismatchKind.NOT_IN_LIBRARY, row.code, row.name, ledger=_yuan(row.amount_fen), row=row.row
                )
            )
            continue
        out.extend(_row_mismatches(row, project, year))
    for project in library:
        if project.year != year:
            continue
        out.extend(_library_mismatches(project, seen))
    return out


def library_of(county_code: str) -> list[LibraryProject]:
    """The county's whole library as plain rows (every year: a table row may name another year's project)."""
    qs = with_money(Project.objects.filter(county_id=county_code)).prefetch_related("funding")
    out = []
    for p in qs:
        plan = [f.amount_fen for f in p.funding.all()]
        out.append(
            LibraryProject(
                code=p.code,
                name=p.name,
                year=p.year,
                status=p.status,
                budget_fen=p.budget_fen,
                planned_fen=sum(plan) if plan else None,
                allocated_fen=p.allocated_fen,
                paid_fen=p.paid_fen,
                pk=p.pk,
            )
        )
    return out


def ledger_rows(stored: list[dict]) -> list[LedgerRow]:
    return [
        LedgerRow(
            row=r["row"], code=r["code"], name=r["name"], amount_fen=r["amount_fen"], paid_fen=r["paid_fen"]
        )
        for r in stored
    ]


LEDGER_HEADERS = ["项目编号", "项目名称", "资金规模（元）", "已拨付（元）"]


class LedgerFileError(ValueError):
    """The uploaded table cannot be read; `errors` lists '第N行：…' messages."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("；".join(errors[:5]))


def parse_ledger(data: bytes) -> list[dict]:
    """Read the statistics table (.xlsx, first sheet, headers as in LEDGER_HEADERS) into JSON-ready rows."""
    try:
        files.check_xlsx(io.BytesIO(data), files.small_sheet_limits())  # before openpyxl unpacks anything
    except files.FileRefused as e:
        raise LedgerFileError([str(e)]) from None
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise LedgerFileError([gettext("文件不是有效的 Excel（.xlsx）表格")]) from None
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [str(c).strip() if c is not None else "" for c in next(rows, [])]
    missing = [h for h in LEDGER_HEADERS if h not in header]
    if missing:
        raise LedgerFileError(
            [gettext("表头缺少：%(missing)s（请使用下载的模板）") % {"missing": "、".join(missing)}]
        )
    idx = {h: header.index(h) for h in LEDGER_HEADERS}
    out, errors = [], []
    for number, values in enumerate(rows, start=2):
        values = list(values) + [None] * len(header)
        cell = {h: values[i] for h, i in idx.items()}
        if all(v in (None, "") for v in cell.values()):
            continue
        code = str(cell["项目编号"] or "").strip()
        name = str(cell["项目名称"] or "").strip()
        if not code:
            errors.append(f"第{number}行：项目编号为空")
            continue
        amounts = {}
        for h in ("资金规模（元）", "已拨付（元）"):
            raw = cell[h]
            try:
                amounts[h] = money.yuan_to_fen(
                    format(raw, "f") if isinstance(raw, float) else (raw if raw not in (None, "") else "0")
                )
            except (money.MoneyError, TypeError) as e:
                errors.append(f"第{number}行{h}：{e}")
        if len(amounts) == 2:
            out.append(
                {
                    "row": number,
                    "code": code,
                    "name": name,
                    "amount_fen": amounts["资金规模（元）"],
                    "paid_fen": amounts["已拨付（元）"],
                }
            )
    if errors:
        raise LedgerFileError(errors)
    if not out:
        raise LedgerFileError([gettext("表格中没有数据行")])
    return out
