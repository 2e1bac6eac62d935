"""Events a department pushes one at a time (a death, a new disability certificate, a large medical bill, a
disaster loss, a vehicle or business registration), matched at once by the cross-check's own code.

A pushed event is a department list of one row: it is normalised and its ID number replaced by its blind index
(matching.normalise_upload), the registry's member of that index in the county read with the department's
consent filter (matching.export_members), the two joined by DuckDB (matching.match) and the findings written
by the same rules, severities and explanations (matching.raise_findings) onto a cross-check of its own, so the
county decides them where it decides a list's. A bill or a loss is recorded as the household's risk event and
the village's signals swept by the sweep's rules (sweeps.run_sweep, queued as a county's sweep is). Rules off
the list (a member *missing* from the department's list) do not fire: one event is not the department's whole
list.
"""

import csv
import datetime
import io
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from fupin.audit.services import record
from fupin.core import crypto, idnumber
from fupin.registry import consents
from fupin.registry.models import Member

from . import matching, permissions, rules
from .cross_checks import addressed_county
from .models import CrossCheck, Department, DepartmentEvent, PushedEventKind, RiskEvent, Sweep
from .services import MonitoringError

# The department whose list rules a pushed event is matched by (None: no finding rule, only a risk event).
KIND_DEPARTMENT = {
    PushedEventKind.DEATH: Department.DEATH,
    PushedEventKind.DISABILITY_CERTIFICATE: Department.DISABILITY,
    PushedEventKind.MEDICAL_BILL: Department.MEDICAL,
    PushedEventKind.DISASTER_LOSS: None,
    PushedEventKind.VEHICLE: Department.VEHICLE,
    PushedEventKind.BUSINESS: Department.BUSINESS,
}
# The events that are a household's risk event (the source of the expense and disaster signals).
KIND_RISK = {
    PushedEventKind.MEDICAL_BILL: RiskEvent.Kind.MEDICAL,
    PushedEventKind.DISASTER_LOSS: RiskEvent.Kind.DISASTER,
}


@dataclass(frozen=True)
class Pushed:
    """What a department sends: its own event id, the kind, the person's ID number, when, an amount (a bill, a
    loss),
    the county it is addressed to, and other fields kept as the finding's evidence (as a list's other
    columns)."""

    event_id: str
    kind: str
    id_number: str
    occurred_on: datetime.date
    county: str = ""
    amount: Decimal | None = None
    description: str = ""
    details: dict[str, str] = field(default_factory=dict)


def _validated(event: Pushed) -> str:
    """The event's ID number, checked; refusals name the field."""
    errors = {}
    if event.kind not in PushedEventKind.values:
        errors["kind"] = gettext("未知的事件类别")
    if event.occurred_on > timezone.localdate():
        errors["occurred_on"] = gettext("发生日期不能晚于今天")
    elif event.occurred_on.year < 2013:
        errors["occurred_on"] = gettext("发生日期不能早于2013年")
    if event.kind in KIND_RISK and (event.amount is None or event.amount < 0):
        errors["amount"] = gettext("医疗费用和灾害损失须填写金额（元，不能为负数）")
    number = ""
    try:
        number = idnumber.parse(event.id_number).number
    except idnumber.IdNumberError as e:
        errors["id_number"] = str(e)
    if errors:
        raise MonitoringError(errors)
    return number


def _one_row_list(event: Pushed, number: str, dest: Path) -> dict:
    """The event as a department list of one row at `dest` (UTF-8 CSV, the ID replaced by its blind index)."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["身份证号", *event.details])
    writer.writerow([number, *event.details.values()])
    try:
        columns, _rows = matching.normalise_upload(io.BytesIO(text.getvalue().encode()), dest)
    except matching.DepartmentFileError as e:
        raise MonitoringError({"details": str(e)}) from None
    return columns


def _unauthorised(scope_code: str, department: str, index: int) -> int:
    """The person is in the registry under `scope_code` but holds no consent in force for the department's
    data."""
    consent = matching.DEPARTMENT_CONSENT.get(department)
    if not consent:
        return 0
    members = Member.objects.filter(id_number_index=index)
    if scope_code:
        members = members.filter(village_code__startswith=scope_code)
    return members.extra(where=[f"NOT {consents.consent_sql(consent)}"]).count()


def _match(event: Pushed, number: str, scope_code: str, tmp: Path) -> tuple[dict, int, Path, list[int]]:
    """Join the one-row list with the registry: its columns, members matched, the hits file, the members'
    ids."""
    department = KIND_DEPARTMENT[event.kind] or Department.DEATH  # a loss is matched on the ID alone
    list_csv, members_csv, hits_csv = tmp / "list.csv", tmp / "members.csv", tmp / "hits.csv"
    columns = _one_row_list(event, number, list_csv)
    consent = matching.DEPARTMENT_CONSENT.get(department) if KIND_DEPARTMENT[event.kind] else None
    index = crypto.blind_index(number, "id_number")
    matching.export_members(scope_code, members_csv, consent=consent, id_index=index)
    if not members_csv.stat().st_size:
        return columns, 0, hits_csv, []
    with open(members_csv, encoding="utf-8") as f:
        member_ids = [int(row[0]) for row in csv.reader(f) if row]
    matched = matching.match(
        department=department, columns=columns, members_csv=members_csv, list_csv=list_csv, hits_csv=hits_csv
    )
    return columns, matched, hits_csv, member_ids


def _findings(check: CrossCheck, hits_csv: Path, now) -> int:
    n = matching.raise_findings(
        check_id=check.pk,
        department=check.department,
        scope_code=check.scope_code,
        hits_csv=hits_csv,
        created_at=now,
        on_list_only=True,
    )
    CrossCheck.objects.filter(pk=check.pk).update(findings_count=n)
    return n


def _risk_event(event: Pushed, member_ids: list[int], *, by) -> RiskEvent | None:
    member = Member.objects.select_related("household").filter(pk__in=member_ids).first()
    if member is None:
        return None
    kind = KIND_RISK[event.kind]
    label = gettext("%(kind)s（部门推送）") % {"kind": PushedEventKind(event.kind).label}
    risk = RiskEvent.objects.create(
        household=member.household,
        kind=kind,
        occurred_on=event.occurred_on,
        amount=event.amount or 0,
        description=(f"{label}：{event.description.strip()}" if event.description.strip() else label)[:300],
        recorded_by=by,
    )
    return risk


def _queue_signals(pushed: DepartmentEvent, risk: RiskEvent, *, by) -> None:
    """Sweep the village's signals for the event's year with the sweep's rules, after the event commits."""
    year = risk.occurred_on.year
    if not rules.effective_thresholds(year):
        pushed.message = gettext("未设置%(year)s年的监测线，风险事件已登记，待设置监测线后筛查预警") % {
            "year": year
        }
        pushed.save(update_fields=["message"])
        return
    sweep = Sweep.objects.create(
        kind=Sweep.Kind.SIGNALS,
        year=year,
        scope_code=risk.household.village_id,
        started_by=by,
        rules_total=len(rules.SIGNAL_RULES),
    )
    pushed.sweep = sweep
    pushed.save(update_fields=["sweep"])
    from .tasks import run_sweep_task  # cycle breaker: the task module runs these services

    transaction.on_commit(lambda: run_sweep_task.enqueue(sweep.pk))


def _write(event: Pushed, *, by, scope_code: str, matched, unauthorised: int, now) -> DepartmentEvent:
    """Everything an event writes, in the caller's transaction: its cross-check, findings, risk event,
    audit."""
    columns, n_matched, hits_csv, member_ids = matched
    department = KIND_DEPARTMENT[event.kind]
    pushed = DepartmentEvent.objects.create(
        sent_by=by,
        event_id=event.event_id,
        kind=event.kind,
        scope_code=scope_code,
        occurred_on=event.occurred_on,
        matched_members=n_matched,
        unauthorised_members=unauthorised,
    )
    if department:
        check = CrossCheck.objects.create(
            department=department,
            original_name=gettext("推送事件 %(id)s") % {"id": event.event_id},
            columns=columns,
            rows=1,
            status=CrossCheck.Status.DONE,
            scope_code=scope_code,
            progress=100,
            matched_members=n_matched,
            unauthorised_members=unauthorised,
            uploaded_by=by,
            finished_at=now,
            retain_until=CrossCheck.default_retention(),
        )
        pushed.cross_check = check
        pushed.findings_count = _findings(check, hits_csv, now) if n_matched else 0
    risk = _risk_event(event, member_ids, by=by) if event.kind in KIND_RISK else None
    pushed.risk_event = risk
    if not n_matched:
        pushed.message = gettext("未在登记成员中找到此人（或其未签署相应授权书）")
    pushed.save(update_fields=["cross_check", "findings_count", "risk_event", "message"])
    record(
        by=by,
        action="receive_department_event",
        target=pushed,
        household=risk.household_id if risk else None,
        scope_code=scope_code,
        changes={
            "kind": [None, event.kind],
            "event_id": [None, event.event_id],
            "matched_members": [None, n_matched],
            "findings": [None, pushed.findings_count],
        },
    )
    if risk is not None:
        _queue_signals(pushed, risk, by=by)
    return pushed


def receive_event(event: Pushed, *, by) -> tuple[DepartmentEvent, bool]:
    """Match one pushed event and write what it raises; (the event, whether it is new).

    The same event id from the same sender answers the first result again and writes nothing (two at once
    included: the unique constraint decides, the loser reads the winner's row)."""
    permissions.ensure(permissions.can_upload_lists(by), "只有部门联络员和县扶贫办可以推送部门事件")
    event_id = (event.event_id or "").strip()
    if not event_id:
        raise MonitoringError({"event_id": gettext("请填写部门事件编号")})
    event = Pushed(**{**event.__dict__, "event_id": event_id})
    earlier = DepartmentEvent.objects.filter(sent_by=by, event_id=event_id).first()
    if earlier is not None:
        return earlier, False
    number = _validated(event)
    try:
        scope_code = addressed_county(by, event.county)
    except MonitoringError as e:
        raise MonitoringError({"county": str(e)}) from None
    department = KIND_DEPARTMENT[event.kind] or Department.DEATH
    with tempfile.TemporaryDirectory() as tmp:
        matched = _match(event, number, scope_code, Path(tmp))
        unauthorised = _unauthorised(scope_code, department, crypto.blind_index(number, "id_number"))
        try:
            with transaction.atomic():
                pushed = _write(
                    event,
                    by=by,
                    scope_code=scope_code,
                    matched=matched,
                    unauthorised=unauthorised if KIND_DEPARTMENT[event.kind] else 0,
                    now=timezone.now(),
                )
        except IntegrityError:
            earlier = DepartmentEvent.objects.filter(sent_by=by, event_id=event_id).first()
            if earlier is None:
                raise
            return earlier, False
    return pushed, True
