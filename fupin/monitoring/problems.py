"""The problem ledger (问题台账): problems opened by people or by deadlines, rectified, closed or returned."""

import datetime
from pathlib import Path
from typing import Any

from django.core.files.base import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from fupin.accounts.models import User
from fupin.accounts.scope import ensure_can_edit
from fupin.audit.services import record
from fupin.regions.models import RegionLevel, level_of
from fupin.registry.models import Household
from fupin.subscriptions.events import raise_problem_event

from . import permissions
from .models import (
    Problem,
    ProblemSource,
    ProblemStatus,
)
from .services import MonitoringError, accepted_evidence

# ---------------------------------------------------------------- the problem ledger


def _open(*, by: User | None, action: str, **fields: Any) -> Problem:
    """A new problem (by a person, or by the system when `by` is None) and its audit entry."""
    problem = Problem.objects.create(**fields, created_by=by)
    raise_problem_event(problem, closed=problem.status == ProblemStatus.CLOSED)
    record(
        by=by,
        action=action,
        target=problem,
        household=problem.household,
        scope_code=problem.region_code,
        changes={"description": [None, problem.description], "deadline": [None, str(problem.deadline)]},
    )
    return problem


def _close(
    problem: Problem,
    *,
    by: User | None,
    note: str,
    action: str,
    before: str,
    also: tuple[str, ...],
    at: datetime.datetime | None = None,
) -> Problem:
    """Close the (locked) problem at `at` (now) with `note`, saving the `also` fields the caller set;
    audited."""
    problem.status, problem.closed_at, problem.close_note = ProblemStatus.CLOSED, at or timezone.now(), note
    problem.save(update_fields=["status", *also, "closed_at", "close_note"])
    raise_problem_event(problem, closed=True)
    record(
        by=by,
        action=action,
        target=problem,
        household=problem.household,
        scope_code=problem.region_code,
        changes={"status": [before, "closed"], "note": [None, note]},
    )
    return problem


@transaction.atomic
def create_problem(
    *,
    by: User,
    source: str,
    region_code: str,
    description: str,
    deadline: datetime.date,
    household: Household | None = None,
    responsible_person: str = "",
    measure: str = "",
    responsible_level: int | None = None,
) -> Problem:
    ensure_can_edit(by, region_code)
    if source not in ProblemSource.values:
        raise MonitoringError(gettext("请选择问题来源"))
    if not (description or "").strip():
        raise MonitoringError(gettext("请填写问题描述"))
    if (
        household is not None
        and household.village_id != region_code
        and not household.village_id.startswith(region_code)
    ):
        raise MonitoringError(gettext("该户不在所选区域内"))
    region_level = level_of(region_code)
    level = responsible_level or min(region_level, RegionLevel.VILLAGE)
    if level < region_level and region_level <= RegionLevel.VILLAGE:
        level = region_level
    return _open(
        by=by,
        action="create_problem",
        source=source,
        region_code=region_code,
        household=household,
        description=description.strip(),
        responsible_level=level,
        responsible_person=(responsible_person or "").strip(),
        measure=(measure or "").strip(),
        deadline=deadline,
    )


@transaction.atomic
def open_deadline_problem(
    *,
    region_code: str,
    description: str,
    deadline: datetime.date,
    responsible_level: int,
    household: Household | None = None,
) -> Problem:
    """A problem the deadline sweep opens (申报办理超期) for the level that let a step run over: no user acts,
    the audit entry names the system."""
    return _open(
        by=None,
        action="open_deadline_problem",
        source=ProblemSource.DEADLINE,
        region_code=region_code,
        household=household,
        description=description,
        responsible_level=responsible_level,
        deadline=deadline,
    )


@transaction.atomic
def settle_deadline_problem(problem: Problem, *, note: str) -> Problem:
    """Close a deadline problem once its step is done (late): the fact that settles it is the step itself."""
    problem = Problem.objects.select_for_update().get(pk=problem.pk)
    if problem.source != ProblemSource.DEADLINE:
        raise MonitoringError(gettext("只有申报办理超期问题由系统销号"))
    if problem.status == ProblemStatus.CLOSED:
        return problem
    before = problem.status
    now = timezone.now()
    problem.rectification, problem.rectified_at = note, now
    return _close(
        problem,
        by=None,
        note=note,
        action="settle_deadline_problem",
        before=before,
        also=("rectification", "rectified_at"),
        at=now,
    )


@transaction.atomic
def rectify_problem(
    problem: Problem, *, by: User, rectification: str, evidence: File | None = None, measure: str = ""
) -> Problem:
    """The responsible level reports the rectification done, with evidence; it then waits for close-out."""
    ensure_can_edit(by, problem.region_code)
    problem = Problem.objects.select_for_update().get(pk=problem.pk)
    if problem.status != ProblemStatus.OPEN:
        raise MonitoringError(gettext("只有整改中的问题才能提交整改情况"))
    if not (rectification or "").strip():
        raise MonitoringError(gettext("请填写整改情况"))
    if evidence is None and not problem.evidence:
        raise MonitoringError(gettext("请上传整改佐证材料"))
    if evidence is not None:
        evidence = accepted_evidence(evidence)
    problem.rectification = rectification.strip()
    if measure.strip():
        problem.measure = measure.strip()
    if evidence is not None:
        problem.evidence.save(Path(evidence.name or "").name, evidence, save=False)
    problem.status, problem.rectified_by, problem.rectified_at = ProblemStatus.RECTIFIED, by, timezone.now()
    problem.save()
    record(
        by=by,
        action="rectify_problem",
        target=problem,
        household=problem.household,
        scope_code=problem.region_code,
        changes={"status": ["open", "rectified"], "rectification": [None, problem.rectification]},
    )
    return problem


@transaction.atomic
def close_problem(problem: Problem, *, by: User, note: str) -> Problem:
    ensure_can_edit(by, problem.region_code)
    problem = (
        Problem.objects.select_for_update(of=("self",)).select_related("rectified_by").get(pk=problem.pk)
    )
    if problem.status != ProblemStatus.RECTIFIED:
        raise MonitoringError(gettext("问题尚未提交整改情况，不能销号"))
    if not permissions.can_close(by, problem):
        raise MonitoringError(gettext("销号须由整改责任层级的上一级审核"))
    if not (note or "").strip():
        raise MonitoringError(gettext("请填写销号意见"))
    problem.closed_by = by
    return _close(
        problem, by=by, note=note.strip(), action="close_problem", before="rectified", also=("closed_by",)
    )


@transaction.atomic
def return_problem(problem: Problem, *, by: User, reason: str) -> Problem:
    """The level above sends a rectification back (整改不到位)."""
    ensure_can_edit(by, problem.region_code)
    problem = (
        Problem.objects.select_for_update(of=("self",)).select_related("rectified_by").get(pk=problem.pk)
    )
    if problem.status != ProblemStatus.RECTIFIED:
        raise MonitoringError(gettext("只有待销号的问题可以退回"))
    if not permissions.can_close(by, problem):
        raise MonitoringError(gettext("退回须由整改责任层级的上一级审核"))
    if not (reason or "").strip():
        raise MonitoringError(gettext("请填写退回理由"))
    problem.status = ProblemStatus.OPEN
    problem.close_note = f"退回：{reason.strip()}"
    problem.save(update_fields=["status", "close_note"])
    record(
        by=by,
        action="return_problem",
        target=problem,
        household=problem.household,
        scope_code=problem.region_code,
        changes={"status": ["rectified", "open"], "reason": [None, reason.strip()]},
    )
    return problem
