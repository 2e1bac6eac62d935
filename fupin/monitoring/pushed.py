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

An event may name its person by name and birth date instead of (or beside) an ID number (resolve): one
member under the county with that name and birth date is matched as by the ID (the finding the same, its
evidence marked 比对方式 姓名和出生日期); several, or an ID whose member's name or birth date disagrees with
the event's, give each candidate a finding of rule UNRESOLVED_RULE for a person to decide; none, the event is
unmatched.
Names are plain columns, found along the members' search index (village range, pinyin initials, the name).
"""

import csv
import datetime
import io
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from fupin.audit.services import record
from fupin.core import crypto, idnumber
from fupin.regions.models import code_range
from fupin.registry import consents
from fupin.registry.models import Member
from fupin.registry.services import initials

from . import matching, permissions, rules
from .cross_checks import addressed_county
from .models import (
    CrossCheck,
    Department,
    DepartmentEvent,
    Finding,
    PushedEventKind,
    PushedMatch,
    RiskEvent,
    Severity,
    Sweep,
)
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


# The finding each candidate gets when the event's person is not certain (several with its name and birth
# date, or an ID whose member's name or birth date disagrees); the evidence key saying how a member was found.
UNRESOLVED_RULE = "pushed_person_unresolved"
MATCHED_BY = "比对方式"
MAX_CANDIDATES = 20


@dataclass(frozen=True)
class Pushed:
    """What a department sends: its own event id, the kind, when, the person's ID number or name and birth
    date (or both), an amount (a bill, a loss), the county it is addressed to, and other fields kept as the
    finding's evidence (as a list's other columns)."""

    event_id: str
    kind: str
    occurred_on: datetime.date
    id_number: str = ""
    name: str = ""
    birth_date: datetime.date | None = None
    county: str = ""
    amount: Decimal | None = None
    description: str = ""
    details: dict[str, str] = field(default_factory=dict)


def _validated(event: Pushed) -> tuple[str, str]:
    """The event's ID number, checked ("" when it has none, or a wrong one beside a name and birth date), and
    a note for the answer; refusals name the field."""
    errors = {}
    if event.kind not in PushedEventKind.values:
        errors["kind"] = gettext("未知的事件类别")
    today = timezone.localdate()
    if event.occurred_on > today:
        errors["occurred_on"] = gettext("发生日期不能晚于今天")
    elif event.occurred_on.year < 2013:
        errors["occurred_on"] = gettext("发生日期不能早于2013年")
    if event.birth_date is not None and not datetime.date(1900, 1, 1) <= event.birth_date <= today:
        errors["birth_date"] = gettext("出生日期应在1900年1月1日至今天之间")
    if event.kind in KIND_RISK and (event.amount is None or event.amount < 0):
        errors["amount"] = gettext("医疗费用和灾害损失须填写金额（元，不能为负数）")
    named = bool(event.name.strip() and event.birth_date)
    number, note = "", ""
    if event.id_number.strip():
        try:
            number = idnumber.parse(event.id_number).number
        except idnumber.IdNumberError as e:
            if not named:
                errors["id_number"] = str(e)
            note = gettext("身份证号有误（%(error)s），已按姓名和出生日期比对") % {"error": e}
    elif not named:
        errors["id_number"] = gettext("请填写身份证号，或同时填写姓名和出生日期")
    if errors:
        raise MonitoringError(errors)
    return number, note


@dataclass(frozen=True)
class Resolved:
    """Whom an event names: how it was found (PushedMatch), the ID number its one-row list carries ("" for
    none), and the candidates a person must choose among (ambiguous, conflict)."""

    match: str
    number: str
    candidates: tuple[Member, ...] = ()


def _in_county(members, scope_code: str):
    if not scope_code:
        return members
    lo, hi = code_range(scope_code)
    return members.filter(village_code__gte=lo, village_code__lte=hi)


def _named(event: Pushed, scope_code: str) -> list[Member]:
    """The members under `scope_code` with the event's name and birth date, read along the members' search
    index (village code range, pinyin initials, the name included in the index)."""
    name = event.name.strip()
    members = Member.objects.filter(name_initials=initials(name), name=name, birth_date=event.birth_date)
    return list(_in_county(members, scope_code).order_by("id")[:MAX_CANDIDATES])


def _agrees(member: Member, event: Pushed) -> bool:
    name = event.name.strip()
    return (not name or member.name == name) and (event.birth_date in (None, member.birth_date))


def resolve(event: Pushed, number: str, scope_code: str) -> Resolved:
    """Find the event's person under `scope_code` (consent aside: the match applies it, as a list's does).

    An ID number that is a member's is that member, unless the event's name or birth date disagrees with the
    member's (a conflict: the member and those with the event's name and birth date are candidates). Without
    such a member, the name and birth date: one member is matched by them, several are candidates, none is
    unmatched."""
    named = bool(event.name.strip() and event.birth_date)
    if number:
        index = crypto.blind_index(number, "id_number")
        by_id = _in_county(Member.objects.filter(id_number_index=index), scope_code).first()
        if by_id is not None:
            if _agrees(by_id, event):
                return Resolved(PushedMatch.ID_NUMBER, number)
            others = [m for m in _named(event, scope_code) if m.pk != by_id.pk] if named else []
            return Resolved(PushedMatch.CONFLICT, "", (by_id, *others))
    found = _named(event, scope_code) if named else []
    if len(found) == 1:
        return Resolved(PushedMatch.NAME_BIRTH, found[0].id_number)
    if found:
        return Resolved(PushedMatch.AMBIGUOUS, "", tuple(found))
    return Resolved(PushedMatch.UNMATCHED, "")


def _one_row_list(event: Pushed, resolved: Resolved, dest: Path) -> dict:
    """The event as a department list of one row at `dest` (stored as an upload is: matching.store_list);
    a member found by name and birth date says so first among the row's other fields (the finding's
    evidence)."""
    details = {k: v for k, v in event.details.items() if k != MATCHED_BY}
    if resolved.match != PushedMatch.ID_NUMBER:
        details = {MATCHED_BY: str(PushedMatch(resolved.match).label)} | details
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["身份证号", *details])
    writer.writerow([resolved.number, *details.values()])
    try:
        columns, _rows = matching.normalise_upload(io.BytesIO(text.getvalue().encode()), dest)
    except matching.DepartmentFileError as e:
        raise MonitoringError({"details": str(e)}) from None
    return columns


def _without_consent(department: str, members) -> QuerySet[Member]:
    """Of `members`, those holding no consent in force for the department's data (none when it needs none)."""
    consent = matching.DEPARTMENT_CONSENT.get(department)
    if not consent:
        return members.none()
    return members.extra(where=[f"NOT {consents.consent_sql(consent)}"])


def _unauthorised(scope_code: str, department: str, resolved: Resolved) -> int:
    """The person (or candidates) in the registry under `scope_code` holding no consent in force for the
    department's data."""
    if resolved.candidates:
        members = Member.objects.filter(pk__in=[m.pk for m in resolved.candidates])
    elif resolved.number:
        index = crypto.blind_index(resolved.number, "id_number")
        members = _in_county(Member.objects.filter(id_number_index=index), scope_code)
    else:
        return 0
    return _without_consent(department, members).count()


def _match(
    event: Pushed, resolved: Resolved, scope_code: str, tmp: Path
) -> tuple[dict, int, Path, list[int]]:
    """Join the one-row list with the registry: its columns, members matched, the hits file, the members'
    ids."""
    department = KIND_DEPARTMENT[event.kind] or Department.DEATH  # a loss is matched on the ID alone
    list_csv, members_csv, hits_csv = tmp / "list.parquet", tmp / "members.csv", tmp / "hits.csv"
    columns = _one_row_list(event, resolved, list_csv)
    if not resolved.number:
        return columns, 0, hits_csv, []
    consent = matching.DEPARTMENT_CONSENT.get(department) if KIND_DEPARTMENT[event.kind] else None
    index = crypto.blind_index(resolved.number, "id_number")
    matching.export_members(scope_code, members_csv, consent=consent, id_index=index)
    if not members_csv.stat().st_size:
        return columns, 0, hits_csv, []
    with open(members_csv, encoding="utf-8") as f:
        member_ids = [int(row[0]) for row in csv.reader(f) if row]
    matched = matching.match(
        department=department, columns=columns, members_csv=members_csv, list_csv=list_csv, hits_csv=hits_csv
    )
    return columns, matched, hits_csv, member_ids


def _candidates(event: Pushed, resolved: Resolved, department: str) -> list[Member]:
    """The candidates a person decides among: those holding the consent the department's data needs."""
    if not resolved.candidates:
        return []
    refused = set(
        _without_consent(
            department, Member.objects.filter(pk__in=[m.pk for m in resolved.candidates])
        ).values_list("pk", flat=True)
    )
    return [m for m in resolved.candidates if m.pk not in refused]


def _unresolved_findings(
    check: CrossCheck, event: Pushed, resolved: Resolved, candidates: list[Member]
) -> int:
    """One finding per candidate for a person to decide whether the event is theirs (read within each
    reader's scope, as every finding is)."""
    kind = PushedEventKind(event.kind).label
    if resolved.match == PushedMatch.CONFLICT:
        detail = gettext(
            "部门推送的%(kind)s事件（%(id)s）的身份证号与姓名、出生日期指向不同的人，成员%(name)s是其中之一，请核实是否本人"
        )
    else:
        detail = gettext(
            "部门推送的%(kind)s事件（%(id)s）的姓名和出生日期与成员%(name)s相符，相符者共%(n)s人，请核实是否本人"
        )
    evidence = {MATCHED_BY: str(PushedMatch(resolved.match).label), "候选人数": str(len(candidates))}
    evidence |= {k: v for k, v in event.details.items() if k not in evidence}
    Finding.objects.bulk_create(
        Finding(
            cross_check=check,
            household_id=m.household_id,
            member=m,
            village_code=m.village_code,
            department=check.department,
            rule=UNRESOLVED_RULE,
            severity=Severity.MEDIUM,
            detail=(detail % {"kind": kind, "id": event.event_id, "name": m.name, "n": len(candidates)})[
                :500
            ],
            evidence=evidence,
        )
        for m in candidates
    )
    return len(candidates)


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


@dataclass
class Outcome:
    """What matching an event found, before anything is written."""

    resolved: Resolved
    columns: dict
    matched: int
    hits_csv: Path
    member_ids: list[int]
    candidates: list[Member]
    unauthorised: int
    note: str


def _message(outcome: Outcome) -> str:
    match = outcome.resolved.match
    if outcome.candidates:
        text = gettext("%(how)s：%(n)s人列为待确认疑点，请核实为何人") % {
            "how": PushedMatch(match).label,
            "n": len(outcome.candidates),
        }
    elif not outcome.matched:
        text = gettext("未在登记成员中找到此人（或其未签署相应授权书）")
    elif match == PushedMatch.NAME_BIRTH:
        text = str(PushedMatch.NAME_BIRTH.label)
    else:
        text = ""
    return "；".join(t for t in (outcome.note, text) if t)[:300]


def _cross_check(event: Pushed, outcome: Outcome, *, by, scope_code: str, now) -> CrossCheck | None:
    """The event's own finished cross-check, where its findings hang (a loss's candidates under the registry's
    own checks: a loss has no department list)."""
    department = KIND_DEPARTMENT[event.kind] or (Department.REGISTRY if outcome.candidates else None)
    if department is None:
        return None
    return CrossCheck.objects.create(
        department=department,
        original_name=gettext("推送事件 %(id)s") % {"id": event.event_id},
        columns=outcome.columns,
        rows=1,
        status=CrossCheck.Status.DONE,
        scope_code=scope_code,
        progress=100,
        matched_members=outcome.matched,
        unauthorised_members=outcome.unauthorised,
        uploaded_by=by,
        finished_at=now,
        retain_until=CrossCheck.default_retention(),
    )


def _write(event: Pushed, outcome: Outcome, *, by, scope_code: str, now) -> DepartmentEvent:
    """Everything an event writes, in the caller's transaction: its cross-check, findings, risk event,
    audit."""
    pushed = DepartmentEvent.objects.create(
        sent_by=by,
        event_id=event.event_id,
        kind=event.kind,
        scope_code=scope_code,
        occurred_on=event.occurred_on,
        matched_members=outcome.matched,
        unauthorised_members=outcome.unauthorised,
        match=outcome.resolved.match,
        candidates_count=len(outcome.candidates),
        message=_message(outcome),
    )
    check = _cross_check(event, outcome, by=by, scope_code=scope_code, now=now)
    if check is not None:
        pushed.cross_check = check
        if outcome.candidates:
            pushed.findings_count = _unresolved_findings(check, event, outcome.resolved, outcome.candidates)
            CrossCheck.objects.filter(pk=check.pk).update(findings_count=pushed.findings_count)
        elif outcome.matched:
            pushed.findings_count = _findings(check, outcome.hits_csv, now)
    risk = _risk_event(event, outcome.member_ids, by=by) if event.kind in KIND_RISK else None
    pushed.risk_event = risk
    pushed.save(update_fields=["cross_check", "findings_count", "risk_event"])
    record(
        by=by,
        action="receive_department_event",
        target=pushed,
        household=risk.household_id if risk else None,
        scope_code=scope_code,
        changes={
            "kind": [None, event.kind],
            "event_id": [None, event.event_id],
            "match": [None, outcome.resolved.match],
            "matched_members": [None, outcome.matched],
            "candidates": [None, len(outcome.candidates)],
            "findings": [None, pushed.findings_count],
        },
    )
    if risk is not None:
        _queue_signals(pushed, risk, by=by)
    return pushed


def _outcome(event: Pushed, number: str, note: str, scope_code: str, tmp: Path) -> Outcome:
    resolved = resolve(event, number, scope_code)
    department = KIND_DEPARTMENT[event.kind]
    columns, matched, hits_csv, member_ids = _match(event, resolved, scope_code, tmp)
    candidates = _candidates(event, resolved, department) if department else list(resolved.candidates)
    unauthorised = _unauthorised(scope_code, department, resolved) if department else 0
    return Outcome(resolved, columns, matched, hits_csv, member_ids, candidates, unauthorised, note)


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
    number, note = _validated(event)
    try:
        scope_code = addressed_county(by, event.county)
    except MonitoringError as e:
        raise MonitoringError({"county": str(e)}) from None
    with tempfile.TemporaryDirectory() as tmp:
        outcome = _outcome(event, number, note, scope_code, Path(tmp))
        try:
            with transaction.atomic():
                pushed = _write(event, outcome, by=by, scope_code=scope_code, now=timezone.now())
        except IntegrityError:
            earlier = DepartmentEvent.objects.filter(sent_by=by, event_id=event_id).first()
            if earlier is None:
                raise
            return earlier, False
    return pushed, True
