"""Projects (项目): created and edited by the county, their progress and acceptance, beneficiaries,
publication."""

import datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from fupin.accounts.models import User
from fupin.audit.services import diff, record, snapshot
from fupin.core import versions
from fupin.regions.models import Region, RegionLevel
from fupin.registry.models import Household

from .models import (
    PROJECT_TRANSITIONS,
    FundSource,
    Project,
    ProjectBeneficiary,
    ProjectCategory,
    ProjectFunding,
    ProjectStatus,
)
from .permissions import ensure_county_office
from .services import FundsError, county_of, ensure_not_future, region_in_county

# --- projects ------------------------------------------------------------------------------------

PROJECT_EDITABLE = (
    "name",
    "category",
    "content",
    "implementer",
    "manager",
    "budget_fen",
    "region_code",
    "funding",
    "village_codes",
)


def _check_funding(funding: dict[str, int]) -> dict[str, int]:
    clean = {}
    for source, fen in (funding or {}).items():
        if source not in FundSource.values:
            raise FundsError({"funding": gettext("未知的资金来源：%(source)s") % {"source": source}})
        if not isinstance(fen, int) or fen < 0:
            raise FundsError({"funding": gettext("资金来源金额不能为负数")})
        if fen:
            clean[source] = fen
    return clean


def _villages(codes_: list[str], county: Region) -> list[Region]:
    villages = list(Region.objects.filter(code__in=codes_ or [], level=RegionLevel.VILLAGE))
    bad = set(codes_ or []) - {v.code for v in villages if v.code.startswith(county.code)}
    if bad:
        raise FundsError(
            {
                "villages": gettext("%(name)s内没有这些行政村：%(bad)s")
                % {"name": county.name, "bad": "、".join(sorted(bad))}
            }
        )
    return villages


def _project_snapshot(project: Project) -> dict:
    return snapshot(project) | {
        "funding": dict(project.funding.values_list("source", "amount_fen")),
        "villages": sorted(project.villages.values_list("code", flat=True)),
    }


@transaction.atomic
def create_project(
    *,
    by: User,
    county_code: str,
    year: int,
    code: str,
    name: str,
    category: str,
    budget_fen: int,
    region_code: str | None = None,
    content: str = "",
    implementer: str = "",
    manager: str = "",
    funding: dict[str, int] | None = None,
    village_codes: list[str] | None = None,
) -> Project:
    """Put a project into the library (项目入库)."""
    county = county_of(county_code)
    ensure_county_office(by, county.code)
    region = region_in_county(region_code or county.code, county)
    errors = {}
    this_year = timezone.localdate().year
    if not 2013 <= year <= this_year + 1:
        errors["year"] = gettext("年度应在2013到%(value)s之间") % {"value": this_year + 1}
    code = (code or "").strip()
    if not code:
        errors["code"] = gettext("请填写项目编号")
    elif Project.objects.filter(county=county, code=code).exists():
        errors["code"] = gettext("项目编号 %(code)s 已在项目库中") % {"code": code}
    if not (name or "").strip():
        errors["name"] = gettext("请填写项目名称")
    if category not in ProjectCategory.values:
        errors["category"] = gettext("请选择项目类别")
    if not isinstance(budget_fen, int) or budget_fen <= 0:
        errors["budget"] = gettext("项目预算须大于0")
    if errors:
        raise FundsError(errors)
    funding = _check_funding(funding or {})
    villages = _villages(village_codes or [], county)
    project = Project.objects.create(
        county=county,
        region=region,
        year=year,
        code=code,
        name=name.strip(),
        category=category,
        content=content.strip(),
        implementer=implementer.strip(),
        manager=manager.strip(),
        budget_fen=budget_fen,
    )
    for source, fen in funding.items():
        ProjectFunding.objects.create(project=project, source=source, amount_fen=fen)
    project.villages.set(villages)
    record(
        by=by,
        action="create_project",
        target=project,
        scope_code=region.code,
        changes={
            k: [None, v] for k, v in _project_snapshot(project).items() if v not in (None, "", [], {}, 0)
        },
    )
    return project


@transaction.atomic
def update_project(
    project: Project, *, by: User, expected_version: int | None = None, **changes: Any
) -> Project:
    """Correct a library entry: name, category, budget, place, planned funding, villages.

    `expected_version`: the version the edit was based on; on another one nothing is saved
    (versions.VersionConflict)."""
    ensure_county_office(by, project.region_id)
    unknown = set(changes) - set(PROJECT_EDITABLE)
    if unknown:
        raise FundsError(gettext("未知字段：%(unknown)s") % {"unknown": ", ".join(sorted(unknown))})
    project = Project.objects.select_for_update().get(pk=project.pk)
    versions.check(project, expected_version, edit={})
    county = Region.objects.get(code=project.county_id)
    before = _project_snapshot(project)
    if "region_code" in changes:
        project.region = region_in_county(changes.pop("region_code") or county.code, county)
    funding = _check_funding(changes.pop("funding")) if "funding" in changes else None
    villages = _villages(changes.pop("village_codes"), county) if "village_codes" in changes else None
    for k, v in changes.items():
        setattr(project, k, v.strip() if isinstance(v, str) else v)
    errors = {}
    if not project.name:
        errors["name"] = gettext("请填写项目名称")
    if project.category not in ProjectCategory.values:
        errors["category"] = gettext("请选择项目类别")
    if not isinstance(project.budget_fen, int) or project.budget_fen <= 0:
        errors["budget"] = gettext("项目预算须大于0")
    if errors:
        raise FundsError(errors)
    project.save()
    if funding is not None:
        project.funding.all().delete()
        for source, fen in funding.items():
            ProjectFunding.objects.create(project=project, source=source, amount_fen=fen)
    if villages is not None:
        project.villages.set(villages)
    changed = diff(before, _project_snapshot(project))
    changed.pop("updated_at", None)
    if changed.keys() & {"funding", "villages"}:  # rows of their own: the project's version counts them too
        Project.objects.filter(pk=project.pk).update(version=F("version") + 1)
    if changed:
        record(by=by, action="update_project", target=project, scope_code=project.region_id, changes=changed)
    return project


@transaction.atomic
def record_progress(
    project: Project,
    *,
    by: User,
    status: str,
    progress: int,
    on: datetime.date,
    note: str = "",
    expected_version: int | None = None,
) -> Project:
    """Implementation progress (实施进度): start, percent done, completion; acceptance is `accept_project`.
    `expected_version`: the version the progress form was based on; on another one nothing is saved
    (versions.VersionConflict). None: a caller inside the product."""
    ensure_county_office(by, project.region_id)
    project = Project.objects.select_for_update().get(pk=project.pk)
    versions.check(project, expected_version, edit={})
    before = snapshot(project)
    errors = {}
    if status == ProjectStatus.ACCEPTED:
        raise FundsError({"status": gettext("验收请通过“项目验收”办理")})
    if status != project.status and status not in PROJECT_TRANSITIONS[ProjectStatus(project.status)]:
        target = ProjectStatus(status).label if status in ProjectStatus.values else status
        errors["status"] = gettext("项目当前为“%(value)s”，不能改为“%(target)s”") % {
            "value": project.get_status_display(),
            "target": target,
        }
    if not isinstance(progress, int) or not 0 <= progress <= 100:
        errors["progress"] = gettext("实施进度应为0到100")
    elif status == ProjectStatus.COMPLETED and progress != 100:
        errors["progress"] = gettext("完工项目的实施进度应为100%")
    elif status == ProjectStatus.PLANNED and progress:
        errors["progress"] = gettext("未开工项目的实施进度应为0")
    ensure_not_future(on, "on", gettext("日期"))
    if errors:
        raise FundsError(errors)
    if status == ProjectStatus.IN_PROGRESS and not project.started_on:
        project.started_on = on
    if status == ProjectStatus.COMPLETED:
        project.completed_on = on
    project.status = status
    project.progress = progress
    project.save()
    changed = diff(before, snapshot(project))
    changed.pop("updated_at", None)
    if note.strip():
        changed["note"] = [None, note.strip()]
    record(by=by, action="project_progress", target=project, scope_code=project.region_id, changes=changed)
    return project


@transaction.atomic
def accept_project(project: Project, *, by: User, accepted_on: datetime.date, note: str) -> Project:
    """Acceptance (项目验收) of a completed project."""
    ensure_county_office(by, project.region_id)
    project = Project.objects.select_for_update().get(pk=project.pk)
    before = snapshot(project)
    if project.status != ProjectStatus.COMPLETED:
        raise FundsError(
            {
                "status": gettext("项目当前为“%(get_status_display)s”，完工后才能验收")
                % {"get_status_display": project.get_status_display()}
            }
        )
    ensure_not_future(accepted_on, "accepted_on", gettext("验收日期"))
    if project.completed_on and accepted_on < project.completed_on:
        raise FundsError({"accepted_on": gettext("验收日期不能早于完工日期")})
    if not (note or "").strip():
        raise FundsError({"note": gettext("请填写验收意见")})
    project.status = ProjectStatus.ACCEPTED
    project.accepted_on = accepted_on
    project.acceptance_note = note.strip()
    project.save()
    changed = diff(before, snapshot(project))
    changed.pop("updated_at", None)
    record(by=by, action="accept_project", target=project, scope_code=project.region_id, changes=changed)
    return project


@transaction.atomic
def add_beneficiary(
    project: Project, *, by: User, household: Household, benefit: str = "", amount_fen: int = 0
) -> ProjectBeneficiary:
    ensure_county_office(by, project.region_id)
    if not household.village_id.startswith(project.county_id):
        raise FundsError({"household": gettext("受益户须在本县")})
    if not isinstance(amount_fen, int) or amount_fen < 0:
        raise FundsError({"amount": gettext("到户金额不能为负数")})
    if ProjectBeneficiary.objects.filter(project=project, household=household).exists():
        raise FundsError(
            {"household": gettext("户 %(number)s 已是本项目的受益户") % {"number": household.number}}
        )
    beneficiary = ProjectBeneficiary.objects.create(
        project=project, household=household, benefit=benefit.strip()[:200], amount_fen=amount_fen
    )
    record(
        by=by,
        action="add_beneficiary",
        target=project,
        household=household,
        scope_code=project.region_id,
        changes={
            "beneficiary": [None, household.number],
            "benefit": [None, beneficiary.benefit],
            "amount_fen": [None, amount_fen],
        },
    )
    return beneficiary


@transaction.atomic
def remove_beneficiary(beneficiary: ProjectBeneficiary, *, by: User) -> None:
    project = beneficiary.project
    ensure_county_office(by, project.region_id)
    record(
        by=by,
        action="remove_beneficiary",
        target=project,
        household=beneficiary.household,
        scope_code=project.region_id,
        changes={
            "beneficiary": [beneficiary.household.number, None],
            "amount_fen": [beneficiary.amount_fen, None],
        },
    )
    beneficiary.delete()


@transaction.atomic
def publish_project(project: Project, *, by: User, on: datetime.date | None = None) -> Project:
    """Put the project and its money on the public disclosure page (公告公示)."""
    ensure_county_office(by, project.region_id)
    project = Project.objects.select_for_update().get(pk=project.pk)
    if project.status == ProjectStatus.CANCELLED:
        raise FundsError({"status": gettext("已取消的项目不公告")})
    before = snapshot(project)
    project.published_on = on or timezone.localdate()
    project.save(update_fields=["published_on", "updated_at"])
    record(
        by=by,
        action="publish_project",
        target=project,
        scope_code=project.region_id,
        changes={"published_on": [before["published_on"], str(project.published_on)]},
    )
    return project
