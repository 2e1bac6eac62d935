"""Cross-checks (比对): a department's list uploaded, matched against the registry in the background, its
findings decided; old uploads purged."""

import datetime
import tempfile
import time
from pathlib import Path

from django.core.files.base import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from fupin.accounts.models import Role, User
from fupin.accounts.scope import ScopeError, ensure_can_edit
from fupin.audit.services import record
from fupin.core import work
from fupin.core.evidence import random_name
from fupin.core.files import local_path
from fupin.regions.models import Region, RegionLevel
from fupin.registry import codes
from fupin.registry.services import RegistryError, apply_key_facts
from fupin.subscriptions.events import raise_problem_event

from . import matching, permissions
from .models import (
    CrossCheck,
    Decision,
    Department,
    Finding,
    Problem,
    ProblemSource,
    ProblemStatus,
)
from .services import AddresseeError, MonitoringError, display_name

# ---------------------------------------------------------------- cross-checks


def addressed_county(by: User, county: str) -> str:
    """The county a list is for: a county office's own; the one a liaison names (an administrator may name
    none: everywhere).

    Only that county's office may run the list (start_cross_check), so a list a department sends
    to one county is never matched against another's households.
    """
    if permissions.holds(by, Role.COUNTY):
        assert by.region_id is not None  # a role's user has its region (user_role_needs_region)
        return by.region_id
    county = (county or "").strip()
    if not county and by.is_superuser:
        return ""
    if not (
        len(county) == 6
        and county.isdigit()
        and Region.objects.filter(code=county, level=RegionLevel.COUNTY).exists()
    ):
        raise AddresseeError(
            gettext("请填写名单所发往的县（区）的6位区划代码")
            if not county
            else gettext("县级区划代码不存在：%(county)s") % {"county": county}
        )
    return county


def upload_cross_check(*, by: User, department: str, upload: File, county: str = "") -> CrossCheck:
    """Keep a department's list (as matching.store_list stores it) until its retention date; a bad file leaves
    nothing behind.

    The list is addressed to one county (`county`, for a liaison; a county office's uploads are its own).
    """
    permissions.ensure(permissions.can_upload_lists(by), "只有部门联络员和县扶贫办可以上传比对名单")
    if department not in Department.values or department == Department.REGISTRY:
        raise MonitoringError(gettext("请选择部门"))
    scope_code = addressed_county(by, county)
    name = Path(getattr(upload, "name", "") or "名单.csv").name[:200]
    with tempfile.TemporaryDirectory() as tmp:
        dest = Path(tmp) / "list.parquet"
        try:
            upload.seek(0)
        except Exception:
            pass
        columns, rows = matching.normalise_upload(upload, dest)
        with transaction.atomic():
            check = CrossCheck(
                department=department,
                original_name=name,
                columns=columns,
                rows=rows,
                uploaded_by=by,
                retain_until=CrossCheck.default_retention(),
                scope_code=scope_code,
            )
            with open(dest, "rb") as f:
                check.file.save(random_name(".parquet"), File(f), save=False)
            check.save()
            record(
                by=by,
                action="upload_cross_check",
                target=check,
                scope_code=check.scope_code,
                changes={"department": [None, department], "rows": [None, rows], "file": [None, name]},
            )
    return check


def start_cross_check(check: CrossCheck, *, by: User) -> CrossCheck:
    """The office of the county a list is addressed to runs it against that county (an administrator: against
    its scope)."""
    permissions.ensure(permissions.can_run_checks(by))
    with transaction.atomic():
        check = CrossCheck.objects.select_for_update().get(pk=check.pk)
        if by.is_superuser:
            if check.scope_code and by.region_id and not check.scope_code.startswith(by.region_id):
                raise ScopeError(gettext("不在您的管辖范围内"))
            scope = check.scope_code or by.region_id or ""
        elif check.scope_code != by.region_id:
            # a list with no county (uploaded before lists were addressed) is run by an administrator only
            raise ScopeError(gettext("该名单不是发给本县的，不能比对"))
        else:
            scope = by.region_id
        if check.status not in (CrossCheck.Status.UPLOADED, CrossCheck.Status.FAILED):
            raise MonitoringError(
                gettext("该名单当前状态为“%(get_status_display)s”，不能再次比对")
                % {"get_status_display": check.get_status_display()}
            )
        if check.purged_at or not check.file:
            raise MonitoringError(gettext("名单文件已按保留期限删除，请重新上传"))
        check.status = CrossCheck.Status.QUEUED
        check.scope_code = scope
        check.run_by = by
        check.progress = 0
        check.message = ""
        check.save(update_fields=["status", "scope_code", "run_by", "progress", "message"])
        record(
            by=by,
            action="start_cross_check",
            target=check,
            scope_code=scope,
            changes={"scope": [None, scope]},
        )
        from .tasks import run_cross_check_task  # cycle breaker: the task module runs these services

        transaction.on_commit(lambda: run_cross_check_task.enqueue(check.pk))
    return check


UNFINISHED = (CrossCheck.Status.QUEUED, CrossCheck.Status.RUNNING)


def run_cross_check(check: CrossCheck, timings: dict | None = None) -> CrossCheck:
    """Run a queued cross-check once, holding its lease (fupin.core.work): a second worker given the same
    check, or a rerun of one that is done or failed, runs nothing; one marked running whose runner died
    (nobody holds its lease; its findings' transaction wrote nothing) is run again from the start."""
    lease = work.Lease("crosscheck", check.pk)
    if not lease.try_acquire():
        check.refresh_from_db()
        return check  # running in another process
    try:
        if not CrossCheck.objects.filter(pk=check.pk, status__in=UNFINISHED).update(
            status=CrossCheck.Status.RUNNING, progress=5, message=""
        ):
            check.refresh_from_db()
            return check
        return _run_cross_check(check, {} if timings is None else timings)
    finally:
        lease.release()


def _run_cross_check(check: CrossCheck, timings: dict) -> CrossCheck:
    """Match the list, then insert all findings in one transaction (all or nothing).
    `timings` gets the seconds of each step (members' keys, match, findings and commit)."""
    started = time.perf_counter()

    def progress(pct: int) -> None:
        CrossCheck.objects.filter(pk=check.pk).update(progress=pct)

    try:
        with tempfile.TemporaryDirectory() as tmp:
            members, hits = Path(tmp) / "members.csv", Path(tmp) / "hits.csv"
            by_name = matching.matches_by_name(check.columns)
            step = time.perf_counter()
            consent = matching.DEPARTMENT_CONSENT.get(check.department)
            keys = matching.read_member_keys(check.scope_code, with_names=by_name, consent=consent)
            if keys is None:
                matching.export_members(check.scope_code, members, with_names=by_name, consent=consent)
                unauthorised = matching.unauthorised_members(check.scope_code, check.department)
            else:  # the keys read are the consenting members': the rest of the scope's are not
                unauthorised = matching.members_in_scope(check.scope_code) - len(keys) if consent else 0
            timings["members"] = time.perf_counter() - step
            progress(20)
            step = time.perf_counter()
            with local_path(check.file) as list_csv:
                matched = matching.match(
                    department=check.department,
                    columns=check.columns,
                    members_csv=members,
                    member_keys=keys,
                    list_csv=Path(list_csv),
                    hits_csv=hits,
                    progress=progress,
                )
            timings["match"] = time.perf_counter() - step
            step = time.perf_counter()
            with transaction.atomic():
                Finding.objects.filter(cross_check=check).delete()
                n = matching.raise_findings(
                    check_id=check.pk,
                    department=check.department,
                    scope_code=check.scope_code,
                    hits_csv=hits,
                    created_at=timezone.now(),
                )
                CrossCheck.objects.filter(pk=check.pk).update(
                    status=CrossCheck.Status.DONE,
                    matched_members=matched,
                    unauthorised_members=unauthorised,
                    findings_count=n,
                    progress=100,
                    finished_at=timezone.now(),
                    seconds=time.perf_counter() - started,
                )
                record(
                    by=check.run_by,
                    action="cross_check_done",
                    target=check,
                    scope_code=check.scope_code,
                    changes={
                        "matched_members": [None, matched],
                        "unauthorised_members": [None, unauthorised],
                        "findings": [None, n],
                    },
                )
            timings["findings"] = time.perf_counter() - step
    except matching.DepartmentFileError as e:
        CrossCheck.objects.filter(pk=check.pk).update(
            status=CrossCheck.Status.FAILED, message=str(e), progress=0
        )
    except Exception as e:
        CrossCheck.objects.filter(pk=check.pk).update(
            status=CrossCheck.Status.FAILED,
            progress=0,
            message=f"比对失败：{str(e).splitlines()[0][:300] if str(e) else type(e).__name__}",
        )
        raise
    check.refresh_from_db()
    return check


def purge_cross_checks(*, today: datetime.date | None = None) -> int:
    """Delete uploaded lists past their retention date; the summary and the findings stay."""
    today = today or timezone.localdate()
    n = 0
    for check in CrossCheck.objects.filter(retain_until__lt=today, purged_at__isnull=True):
        with transaction.atomic():
            if check.file:
                check.file.delete(save=False)
            check.file = ""
            check.purged_at = timezone.now()
            check.save(update_fields=["file", "purged_at"])
            record(
                by=None,
                action="purge_cross_check",
                target=check,
                scope_code=check.scope_code,
                changes={"file": [check.original_name, None]},
            )
            n += 1
    return n


@transaction.atomic
def decide_finding(
    finding: Finding,
    *,
    by: User,
    decision: str,
    note: str,
    responsible_person: str = "",
    deadline: datetime.date | None = None,
) -> Finding:
    """Review a suspect record (township or county). The decision goes into the problem ledger:
    explained / corrected / excluded close the problem at once (the reviewer is the level above the
    village that keeps the record); "rectify" leaves it open with a responsible person and deadline.
    Excluding a household clears it out (清退) through the registry service, audited there."""
    permissions.ensure(permissions.can_decide_cases(by))
    ensure_can_edit(by, finding.village_code)
    finding = Finding.objects.select_for_update().select_related("household").get(pk=finding.pk)
    if finding.decision != Decision.PENDING:
        raise MonitoringError(gettext("该疑点已核实处理"))
    if decision not in Decision.values or decision == Decision.PENDING:
        raise MonitoringError(gettext("请选择核实结论"))
    note = (note or "").strip()
    if not note:
        raise MonitoringError(gettext("请填写核实说明"))
    if decision == Decision.RECTIFY and (deadline is None or not responsible_person.strip()):
        raise MonitoringError(gettext("转整改须填写整改责任人和整改时限"))
    if decision == Decision.RECTIFY and deadline is not None and deadline < timezone.localdate():
        raise MonitoringError(gettext("整改时限不能早于今天"))
    now = timezone.now()
    if decision == Decision.EXCLUDED and finding.household.status != codes.HouseholdStatus.REMOVED:
        try:
            apply_key_facts(
                finding.household, by=by, action="monitoring_exclude", status=codes.HouseholdStatus.REMOVED
            )
        except RegistryError as e:
            raise MonitoringError(gettext("清退失败：%(e)s") % {"e": e}) from None
    finding.decision, finding.decision_note, finding.decided_by, finding.decided_at = decision, note, by, now
    finding.save(update_fields=["decision", "decision_note", "decided_by", "decided_at"])
    closed = decision != Decision.RECTIFY
    source = (
        ProblemSource.DATA_CHECK if finding.department == Department.REGISTRY else ProblemSource.CROSS_CHECK
    )
    problem = Problem.objects.create(
        source=source,
        region_code=finding.village_code,
        household=finding.household,
        finding=finding,
        description=f"{finding.get_department_display()}：{finding.detail}",
        responsible_level=RegionLevel.VILLAGE,
        responsible_person=responsible_person.strip(),
        measure=f"{Decision(decision).label}：{note}",
        deadline=deadline or timezone.localdate(now),
        created_by=by,
        status=ProblemStatus.CLOSED if closed else ProblemStatus.OPEN,
        rectification=note if closed else "",
        rectified_by=by if closed else None,
        rectified_at=now if closed else None,
        closed_by=by if closed else None,
        closed_at=now if closed else None,
        close_note=f"经{display_name(by)}核实：{Decision(decision).label}" if closed else "",
    )
    raise_problem_event(problem, closed=False)
    if closed:  # decided at once: opened and closed out in one step
        raise_problem_event(problem, closed=True)
    record(
        by=by,
        action="decide_finding",
        target=finding,
        household=finding.household,
        scope_code=finding.village_code,
        changes={
            "decision": [Decision.PENDING.value, decision],
            "note": [None, note],
            "problem": [None, problem.pk],
        },
    )
    return finding
