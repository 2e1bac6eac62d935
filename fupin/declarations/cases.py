"""From a declaration to a procedure: the village's home verification (or rejection), the procedure the
verified declaration enters without retyping (the 监测户 procedure, or the year's identification or relapse
batch of the village), and following that procedure so the household reads each step on its status page and by
SMS.

Monitoring and procedures sit beside this app and never import it: they call `follow_case` and `follow_batch`,
registered in `DeclarationsConfig.ready()`, inside the transaction that moved the case or the batch.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from fupin.accounts.scope import ensure_can_edit
from fupin.audit.services import record
from fupin.core import sms
from fupin.core.errors import ScopeError
from fupin.monitoring import services as monitoring
from fupin.monitoring.models import MonitoredHousehold, MonitoringKind, MonitoringSource, MonitoringStage
from fupin.procedures import services as procedures
from fupin.procedures.models import Application, Batch, EntryState, Procedure, Stage
from fupin.registry import codes
from fupin.registry import services as registry
from fupin.registry.models import Household, Member

from . import clock
from .models import OPEN_STATUSES, Channel, Declaration, Hardship, Route, Status
from .permissions import can_verify
from .services import (
    FINDINGS_REQUIRED,
    DeclarationError,
    locked_declaration,
    log_event,
    move_declaration,
    record_visit,
)
from .sweep import settle_done_steps


def _household_for_case(declaration: Declaration, *, by) -> Household:
    """The linked household, or a new one (未建档) made from the declaration: nothing is typed twice."""
    if declaration.household_id:
        return declaration.household
    member = Member.objects.filter(id_number=declaration.id_number).select_related("household").first()
    if member is not None:
        return member.household
    try:
        household = registry.create_household(
            by=by,
            village_code=declaration.village_id,
            status=codes.HouseholdStatus.UNREGISTERED,
            phone=declaration.phone,
        )
        registry.add_member(
            household,
            by=by,
            name=declaration.name,
            id_number=declaration.id_number,
            relation=codes.Relation.HEAD,
            phone=declaration.phone,
        )
    except registry.RegistryError as e:
        raise DeclarationError(gettext("不能建立户记录：%(e)s") % {"e": e}) from None
    return Household.objects.get(pk=household.pk)


def _default_kind(household: Household) -> str:
    return (
        MonitoringKind.UNSTABLE_EXITED
        if household.status == codes.HouseholdStatus.EXITED
        else MonitoringKind.SUDDEN_HARDSHIP
    )


SOURCE_OF = {
    Channel.SELF: MonitoringSource.HOUSEHOLD_REPORT,
    Channel.HOTLINE: MonitoringSource.HOUSEHOLD_REPORT,
    Channel.WALK_IN: MonitoringSource.HOUSEHOLD_REPORT,
    Channel.CADRE: MonitoringSource.VILLAGE_SURVEY,
    Channel.DEPARTMENT: MonitoringSource.DEPARTMENT_PUSH,
}

# The procedure's application records who asked: the household itself, or the village for it.
APPLICATION_SOURCE = {
    Channel.SELF: Application.Source.SELF,
    Channel.HOTLINE: Application.Source.SELF,
    Channel.WALK_IN: Application.Source.SELF,
    Channel.CADRE: Application.Source.VILLAGE,
    Channel.DEPARTMENT: Application.Source.VILLAGE,
}

# The declared hardship as the procedure's cause (致贫/返贫原因), so the batch's list needs no retyping.
CAUSE_OF = {
    Hardship.ILLNESS: codes.PovertyCause.ILLNESS,
    Hardship.ACCIDENT: codes.PovertyCause.DISABILITY,
    Hardship.DISASTER: codes.PovertyCause.DISASTER,
    Hardship.SCHOOLING: codes.PovertyCause.SCHOOLING,
    Hardship.JOB_LOSS: codes.PovertyCause.LACK_LABOUR,
    Hardship.OTHER: codes.PovertyCause.OTHER,
}

PROCEDURE_OF = {Route.IDENTIFICATION: Procedure.IDENTIFICATION, Route.RELAPSE: Procedure.RELAPSE}


def _open_monitoring(declaration: Declaration, household: Household, *, by, kind: str, risk: str):
    try:
        return monitoring.report_monitored(
            household,
            by=by,
            kind=kind or _default_kind(household),
            source=SOURCE_OF[declaration.channel],
            year=timezone.localdate().year,
            risk_description=risk,
        )
    except monitoring.MonitoringError as e:
        raise DeclarationError({"kind": str(e)}) from None


def _enter_batch(declaration: Declaration, household: Household, *, by, route: str, risk: str):
    """The village's open batch of the year for this procedure (opened if there is none) takes the household
    as an application, with the declaration's facts as its statement and cause."""
    kind, year = PROCEDURE_OF[Route(route)], timezone.localdate().year
    batch = (
        Batch.objects.filter(kind=kind, village_id=declaration.village_id, year=year)
        .exclude(stage=Stage.ANNOUNCED)
        .first()
    )
    try:
        if batch is None:
            batch = procedures.open_batch(by=by, village_code=declaration.village_id, kind=kind, year=year)
        elif batch.stage != Stage.APPLICATION:
            raise DeclarationError(
                {
                    "route": gettext(
                        "本村%(year)s年%(get_kind_display)s批次已在“%(stage_label)s”环节，不能再加入申请；可先纳入监测，或在该批次公告后开始下一批次"
                    )
                    % {
                        "year": year,
                        "get_kind_display": batch.get_kind_display(),
                        "stage_label": batch.stage_label(),
                    }
                }
            )
        (entry,) = procedures.add_households(
            batch,
            by=by,
            household_ids=[household.pk],
            source=APPLICATION_SOURCE[declaration.channel],
            statement=risk,
            primary_cause=CAUSE_OF[declaration.hardship],
        )
    except procedures.ProcedureError as e:
        raise DeclarationError({"route": str(e)}) from None
    return entry


@transaction.atomic
def verify(
    declaration: Declaration,
    *,
    by,
    findings: str = "",
    photos=(),
    kind: str = "",
    route: str = Route.MONITORING,
) -> Declaration:
    """The village confirms the hardship at the home: the household enters the procedure chosen (the 监测户
    procedure by default, or the village's identification or relapse batch) with the declaration's facts, and
    the township's clock starts."""
    declaration = locked_declaration(declaration)
    ensure_can_edit(by, declaration.village_id)
    if not can_verify(by, declaration):
        raise ScopeError(gettext("入户核实由村扶贫专干或驻村工作队办理"))
    if route not in Route.values:
        raise DeclarationError({"route": gettext("请选择核实后进入的程序")})
    if (findings or "").strip() or photos:
        record_visit(declaration, by=by, findings=findings, photos=photos)
        declaration.refresh_from_db()
    if not declaration.findings:
        raise DeclarationError({"findings": gettext(FINDINGS_REQUIRED)})
    household = _household_for_case(declaration, by=by)
    risk = (
        f"{declaration.get_hardship_display()}：{declaration.description}\n入户核实：{declaration.findings}"
    )
    today = timezone.localdate()
    if route == Route.MONITORING:
        declaration.case = _open_monitoring(declaration, household, by=by, kind=kind, risk=risk)
        label, link = "村已入户核实，进入村民主评议和乡镇审核", {"case": [None, declaration.case.pk]}
    else:
        declaration.entry = _enter_batch(declaration, household, by=by, route=route, risk=risk)
        batch = declaration.entry.batch
        label = f"村已入户核实，纳入{batch.year}年{batch.get_kind_display()}程序"
        link = {"batch": [None, batch.pk]}
    before = move_declaration(declaration, Status.IN_PROCEDURE, by=by, label=label)
    declaration.household, declaration.verified_by = household, by
    declaration.verified_at = timezone.now()
    declaration.review_due = clock.review_deadline(declaration.village_id, today, declaration.total_due)
    declaration.due_on = declaration.review_due
    declaration.save()
    record(
        by=by,
        action="declaration_verified",
        target=declaration,
        household=household,
        scope_code=declaration.village_id,
        changes={"status": [before, declaration.status], "route": [None, route]} | link,
    )
    sms.queue(declaration.phone, "step", receipt=declaration.receipt, step="村已入户核实，正在评议审核")
    settle_done_steps(declaration)
    return declaration


@transaction.atomic
def reject(declaration: Declaration, *, by, reason: str) -> Declaration:
    """The village finds at the home that the declaration does not hold: the reason is recorded and sent."""
    declaration = locked_declaration(declaration)
    ensure_can_edit(by, declaration.village_id)
    if not can_verify(by, declaration):
        raise ScopeError(gettext("入户核实由村扶贫专干或驻村工作队办理"))
    reason = (reason or "").strip()
    if not reason:
        raise DeclarationError({"reason": gettext("请填写不予纳入的理由")})
    before = move_declaration(declaration, Status.REJECTED, by=by, label="经入户核实，不予纳入", note=reason)
    declaration.rejection_reason, declaration.due_on = reason, None
    declaration.concluded_at = timezone.now()
    declaration.save()
    record(
        by=by,
        action="declaration_rejected",
        target=declaration,
        household=declaration.household,
        scope_code=declaration.village_id,
        changes={"status": [before, declaration.status], "reason": [None, reason]},
    )
    sms.queue(declaration.phone, "rejected", receipt=declaration.receipt, reason=reason[:60])
    settle_done_steps(declaration)
    return declaration


def _arrive(declaration: Declaration, status: str, label: str, *, reason: str = "", stage: str) -> None:
    """Move a followed declaration to `status` (or only note the step when it stays), keep its deadlines,
    audit it, tell the household, and settle the deadline problems of the steps now done."""
    before = declaration.status
    if status != before:
        move_declaration(declaration, status, by=None, label=label)
    else:
        log_event(declaration, by=None, label=label)
    if status == Status.IN_PROCEDURE:
        declaration.due_on = declaration.review_due
    elif status == Status.REVIEWED:
        declaration.due_on = declaration.total_due
    elif status in (Status.CONCLUDED, Status.REJECTED):
        declaration.due_on, declaration.concluded_at = None, timezone.now()
        if status == Status.REJECTED:
            declaration.rejection_reason = reason
    declaration.save()
    record(
        by=None,
        action="declaration_followed",
        target=declaration,
        household=declaration.household,
        scope_code=declaration.village_id,
        changes={"status": [before, declaration.status], "stage": [None, stage]},
    )
    if status == Status.REJECTED:
        sms.queue(declaration.phone, "rejected", receipt=declaration.receipt, reason=(reason or label)[:60])
    else:
        sms.queue(declaration.phone, "step", receipt=declaration.receipt, step=label)
    settle_done_steps(declaration)


# The declaration's status and the text the household reads, for each stage of the monitoring case.
FOLLOW = {
    MonitoringStage.APPRAISED: (Status.IN_PROCEDURE, "村民主评议已完成，等待乡镇审核"),
    MonitoringStage.REVIEWED: (Status.REVIEWED, "乡镇已审核，等待县级认定"),
    MonitoringStage.MEASURES: (Status.CONCLUDED, "已纳入监测，落实帮扶措施"),
    MonitoringStage.REJECTED: (Status.REJECTED, "经审核不予纳入"),
}


def follow_case(case: MonitoredHousehold) -> None:
    """Monitoring moved the case a declaration opened (called in monitoring's transaction)."""
    declaration = Declaration.objects.select_for_update().filter(case=case).first()
    if declaration is None or case.stage not in FOLLOW:
        return
    status, label = FOLLOW[case.stage]
    _arrive(declaration, status, label, reason=case.rejection_reason, stage=case.stage)


# Where a batch's household stands, as the household reads it; an entry that left the list ends the
# declaration.
LEFT_THE_LIST = {
    EntryState.NOT_SELECTED: "调查初选未入围，不予纳入",
    EntryState.WITHDRAWN: "公示期间异议成立，移出名单",
}
REVIEWED_STAGES = {Stage.SECOND_NOTICE, Stage.COUNTY_REVIEW}


def _batch_step(declaration: Declaration, batch: Batch) -> tuple[str, str, str]:
    entry = declaration.entry
    if entry.state in LEFT_THE_LIST:
        return Status.REJECTED, LEFT_THE_LIST[EntryState(entry.state)], entry.reason or ""
    if batch.stage == Stage.ANNOUNCED and entry.state == EntryState.CONFIRMED:
        return Status.CONCLUDED, f"县级已公告，认定为{batch.get_kind_display()}对象", ""
    if batch.stage in REVIEWED_STAGES:
        return Status.REVIEWED, f"乡镇已审核，进入“{batch.stage_label()}”环节", ""
    if entry.state == EntryState.RETURNED:
        return Status.IN_PROCEDURE, "退回村里重新核实", ""
    return Status.IN_PROCEDURE, f"进入“{batch.stage_label()}”环节", ""


def follow_batch(batch: Batch) -> None:
    """Procedures moved a batch (called in its transaction): each open declaration whose household is in it
    follows."""
    rows = (
        Declaration.objects.select_for_update()
        .filter(entry__batch=batch, status__in=OPEN_STATUSES)
        .select_related("entry")
    )
    for declaration in rows:
        status, label, reason = _batch_step(declaration, batch)
        _arrive(declaration, status, label, reason=reason, stage=batch.stage)
