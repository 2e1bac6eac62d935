"""What users do with change requests: propose, revise and resubmit, withdraw (the village);
approve or return (the township or county). One function per move of `TRANSITIONS`, each in a
transaction with its audit entry; approving applies the change in the same transaction.
"""

from collections.abc import Callable, Iterable, Sequence
from typing import cast

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import CharField, Q
from django.utils import timezone, translation
from django.utils.translation import gettext

from fupin.accounts.models import User
from fupin.accounts.scope import ensure_can_read
from fupin.audit.services import record
from fupin.core.errors import CONFLICT_MESSAGE
from fupin.registry.models import Household

from . import display, kinds
from .evidence import check_files, save_files
from .kinds import ChangeConflict, ChangeError
from .models import OPEN_STATUSES, TRANSITIONS, ChangeAction, ChangeRequest, ChangeStatus, ChangeTarget
from .permissions import can_propose, can_review

__all__ = [
    "ChangeConflict",
    "ChangeError",
    "add_evidence",
    "approve",
    "propose",
    "resubmit",
    "return_request",
    "withdraw",
]


def _ensure(user: User, codes_: list[str], allowed: Callable[[User], bool], message: str) -> None:
    """In scope of every village the request touches (else ScopeError, which reads as not found), then the
    role."""
    for code in codes_:
        ensure_can_read(user, code)
    if not allowed(user):
        raise PermissionDenied(message)


def _village_codes(households: Iterable[Household]) -> list[str]:
    return sorted({h.village_id for h in households})


def _lock_households(pks: Iterable[int]) -> list[Household]:
    """The households a request touches, locked in one order so two approvals cannot interleave or
    deadlock."""
    return list(Household.objects.select_for_update().filter(pk__in=sorted(set(pks))).order_by("pk"))


def _prepare_locked(kind: str, household: Household, payload: dict, *, by: User) -> kinds.Plan:
    """Check the change, lock every household it touches at once (in pk order), and check it again under the
    lock: two proposals on one household are then taken one after the other, and the second sees the first."""
    plan = kinds.prepare(kind, household, payload, by=by)
    _lock_households([h.pk for h in plan.households])
    household.refresh_from_db()
    return kinds.prepare(kind, household, payload, by=by)


def _conflict(plan: kinds.Plan, *, exclude: int | None = None) -> ChangeRequest | None:
    """The first other open request touching any household, member or new ID number of this one."""
    touched = Q(household_id__in=[h.pk for h in plan.households])
    if plan.members:
        touched |= Q(member_id__in=plan.members)
    if plan.id_numbers:
        touched |= Q(id_number__in=[n for n in plan.id_numbers if n])
    target = (
        ChangeTarget.objects.filter(touched, change_request__status__in=OPEN_STATUSES)
        .exclude(change_request_id=exclude)
        .select_related("change_request")
        .order_by("change_request_id")
        .first()
    )
    return target.change_request if target else None


def _ensure_no_conflict(plan: kinds.Plan, *, by: User, exclude: int | None = None) -> None:
    other = _conflict(plan, exclude=exclude)
    if other is None:
        return
    if by.in_scope(other.village_code):
        raise ChangeConflict(
            gettext(
                "与变更申请 #%(pk)s（%(get_kind_display)s，%(get_status_display)s）冲突：两项申请涉及同一户或"
                "同一成员。请待该申请办结或撤回后再办理。"
            )
            % {
                "pk": other.pk,
                "get_kind_display": other.get_kind_display(),
                "get_status_display": other.get_status_display(),
            }
        )
    # the other request is outside the user's region: say that one exists, not where
    raise ChangeConflict(gettext("此身份证号已在另一项待审核的变更申请中，请待其办结后再提出"))


def _write_targets(request: ChangeRequest, plan: kinds.Plan) -> None:
    request.targets.all().delete()
    rows = [ChangeTarget(change_request=request, household=h) for h in plan.households]
    rows += [
        ChangeTarget(change_request=request, household=request.household, member_id=pk) for pk in plan.members
    ]
    rows += [
        ChangeTarget(change_request=request, household=request.household, id_number=n)
        for n in plan.id_numbers
        if n
    ]
    ChangeTarget.objects.bulk_create(rows)


def _text(value: str | None) -> str:
    return (value or "").strip()


# A request's reason and evidence: the refusals, in the words the web, the API and the field app's phone show
REASON_MAX_LENGTH = 2000
REFERENCE_MAX_LENGTH = cast(CharField, ChangeRequest._meta.get_field("evidence_reference")).max_length or 300
REASON_MESSAGES = {
    "reason": "请填写变更原因",
    "reason_long": "变更原因最多{limit}字",
    "reference_long": "佐证材料说明最多{limit}字",
    "evidence": "请上传佐证材料（图片或 PDF），或填写佐证材料说明",
}


def _check_reason_and_evidence(
    reason: str, reference: str, files: Sequence[UploadedFile], *, existing: int = 0
) -> None:
    errors = {}
    if not reason:
        errors["reason"] = REASON_MESSAGES["reason"]
    elif len(reason) > REASON_MAX_LENGTH:
        errors["reason"] = REASON_MESSAGES["reason_long"].format(limit=REASON_MAX_LENGTH)
    if len(reference) > REFERENCE_MAX_LENGTH:
        errors["evidence_reference"] = REASON_MESSAGES["reference_long"].format(limit=REFERENCE_MAX_LENGTH)
    errors |= check_files(files, existing=existing)
    if not errors and not (reference or files or existing):
        errors["evidence"] = REASON_MESSAGES["evidence"]
    if errors:
        raise ChangeError(errors)


def _move(request: ChangeRequest, to: str) -> str:
    if to not in TRANSITIONS[ChangeStatus(request.status)]:
        raise ChangeError(
            gettext("变更申请 #%(pk)s 当前为“%(get_status_display)s”，不能再办理此操作")
            % {"pk": request.pk, "get_status_display": request.get_status_display()}
        )
    before, request.status = request.status, to
    return before


def _log(
    request: ChangeRequest,
    action: str,
    *,
    by: User,
    comment: str = "",
    before: str | None = None,
    changes: dict | None = None,
) -> None:
    ChangeAction.objects.create(
        change_request=request,
        action=action,
        by=by,
        comment=comment,
        role=by.role or ("admin" if by.is_superuser else ""),
    )
    with translation.override("zh-hans"):  # the trail keeps Chinese whatever the page's language
        label = f"#{request.pk} {request.get_kind_display()}：{display.summary(request)}"
    record(
        by=by,
        action=f"{action}_change",
        target=request,
        household=request.household,
        scope_code=request.village_code,
        changes={"change_request": [None, label], "status": [before, request.status]}
        | ({"comment": [None, comment]} if comment else {})
        | (changes or {}),
    )


@transaction.atomic
def propose(
    household: Household,
    *,
    by: User,
    kind: str,
    payload: dict,
    reason: str,
    evidence_reference: str = "",
    files: Sequence[UploadedFile] = (),
) -> ChangeRequest:
    """The village proposes a change to one of its households, with a reason and evidence."""
    _ensure(by, [household.village_id], can_propose, "只有村扶贫专干或驻村工作队可以提出变更申请")
    reason, evidence_reference, files = _text(reason), _text(evidence_reference), list(files or [])
    plan = _prepare_locked(kind, household, payload, by=by)
    _ensure(by, _village_codes(plan.households), can_propose, "只有村扶贫专干或驻村工作队可以提出变更申请")
    _check_reason_and_evidence(reason, evidence_reference, files)
    _ensure_no_conflict(plan, by=by)
    request = ChangeRequest.objects.create(
        household=household,
        village_code=household.village_id,
        kind=kind,
        payload=plan.payload,
        before=plan.before,
        reason=reason,
        evidence_reference=evidence_reference,
        proposed_by=by,
    )
    _write_targets(request, plan)
    names = save_files(request, files, by=by)
    _log(
        request,
        ChangeAction.Action.PROPOSE,
        by=by,
        changes={
            "kind": [None, request.kind],
            "payload": [None, plan.payload],
            "change_reason": [None, reason],
        }
        | ({"evidence": [None, names]} if names else {}),
    )
    return request


def _locked(request: ChangeRequest) -> ChangeRequest:
    return ChangeRequest.objects.select_for_update().select_related("household").get(pk=request.pk)


@transaction.atomic
def resubmit(
    request: ChangeRequest,
    *,
    by: User,
    payload: dict,
    reason: str,
    evidence_reference: str = "",
    files: Sequence[UploadedFile] = (),
) -> ChangeRequest:
    """The village revises a returned request and sends it for review again."""
    request = _locked(request)
    _ensure(by, [request.village_code], can_propose, "只有村扶贫专干或驻村工作队可以修改变更申请")
    reason, evidence_reference, files = _text(reason), _text(evidence_reference), list(files or [])
    before_status = _move(request, ChangeStatus.PROPOSED)
    household = request.household
    plan = _prepare_locked(request.kind, household, payload, by=by)
    _ensure(by, _village_codes(plan.households), can_propose, "只有村扶贫专干或驻村工作队可以修改变更申请")
    _check_reason_and_evidence(reason, evidence_reference, files, existing=request.evidence.count())
    _ensure_no_conflict(plan, by=by, exclude=request.pk)
    old = {"payload": request.payload, "change_reason": request.reason}
    request.payload, request.before, request.reason = plan.payload, plan.before, reason
    request.evidence_reference = evidence_reference
    request.decided_by, request.decided_at = None, None
    request.save()
    _write_targets(request, plan)
    names = save_files(request, files, by=by)
    new = {"payload": request.payload, "change_reason": request.reason}
    changes = {k: [v, new[k]] for k, v in old.items() if v != new[k]}
    _log(
        request,
        ChangeAction.Action.RESUBMIT,
        by=by,
        before=before_status,
        changes=changes | ({"evidence": [None, names]} if names else {}),
    )
    return request


@transaction.atomic
def withdraw(request: ChangeRequest, *, by: User, comment: str = "") -> ChangeRequest:
    request = _locked(request)
    _ensure(by, [request.village_code], can_propose, "只有村扶贫专干或驻村工作队可以撤回变更申请")
    before = _move(request, ChangeStatus.WITHDRAWN)
    request.save(update_fields=["status"])
    _log(request, ChangeAction.Action.WITHDRAW, by=by, comment=_text(comment), before=before)
    return request


@transaction.atomic
def add_evidence(request: ChangeRequest, *, by: User, files: Sequence[UploadedFile]) -> ChangeRequest:
    """The village adds files to an open request (the reviewer sees them, and the history says when they
    came)."""
    request = _locked(request)
    _ensure(by, [request.village_code], can_propose, "只有村扶贫专干或驻村工作队可以补充佐证材料")
    if not request.is_open:
        raise ChangeError(gettext("变更申请 #%(pk)s 已办结，不能再补充佐证材料") % {"pk": request.pk})
    files = list(files or [])
    if not files:
        raise ChangeError({"evidence": gettext("请选择要上传的文件")})
    errors = check_files(files, existing=request.evidence.count())
    if errors:
        raise ChangeError(errors)
    names = save_files(request, files, by=by)
    _log(
        request,
        ChangeAction.Action.EVIDENCE,
        by=by,
        before=request.status,
        comment="、".join(names),
        changes={"evidence": [None, names]},
    )
    return request


def _ensure_reviewer(request: ChangeRequest, by: User, codes_: list[str]) -> None:
    _ensure(by, codes_, can_review, "只有乡镇或县扶贫办可以审核变更申请")
    makers = set(
        request.actions.filter(
            action__in=[ChangeAction.Action.PROPOSE, ChangeAction.Action.RESUBMIT]
        ).values_list("by_id", flat=True)
    ) | {request.proposed_by_id}
    if by.pk in makers:
        raise PermissionDenied(gettext("不能审核自己提出的变更申请"))


def _touched_villages(request: ChangeRequest) -> list[str]:
    return sorted(
        {request.village_code} | set(request.targets.values_list("household__village_id", flat=True))
    )


@transaction.atomic
def return_request(request: ChangeRequest, *, by: User, comment: str) -> ChangeRequest:
    """Send a request back to the village with a comment saying what to change."""
    request = _locked(request)
    _ensure_reviewer(request, by, _touched_villages(request))
    comment = _text(comment)
    if not comment:
        raise ChangeError({"comment": gettext("退回时请填写审核意见，说明需要修改什么")})
    before = _move(request, ChangeStatus.RETURNED)
    request.decided_by, request.decided_at, request.review_comment = by, timezone.now(), comment
    request.save(update_fields=["status", "decided_by", "decided_at", "review_comment"])
    _log(request, ChangeAction.Action.RETURN, by=by, comment=comment, before=before)
    return request


@transaction.atomic
def approve(request: ChangeRequest, *, by: User, comment: str = "") -> ChangeRequest:
    """Approve and apply, all or nothing: the registry must still be as the request saw it."""
    request = _locked(request)
    _ensure_reviewer(request, by, _touched_villages(request))
    before_status = _move(request, ChangeStatus.APPROVED)
    target_pks = set(request.targets.values_list("household_id", flat=True)) | {request.household_id}
    _lock_households(target_pks)
    request.household.refresh_from_db()
    try:
        plan = kinds.prepare(request.kind, request.household, request.payload, by=by)
    except ChangeError as e:
        raise ChangeError(
            gettext("此申请已不能生效：%(e)s。请退回，由村里核实后重新提出") % {"e": e}
        ) from None
    _ensure(by, _village_codes(plan.households), can_review, "只有乡镇或县扶贫办可以审核变更申请")
    stale = sorted(
        k for k in set(plan.before) | set(request.before) if plan.before.get(k) != request.before.get(k)
    )
    if stale:
        records = {
            "income": "所更正年度的收入",
            "member": "所更正成员的身份信息",
            "guarantees": "所更正年度的两不愁三保障核查",
        }
        numbers = "、".join(
            str((request.before.get(k) or {}).get("number") or k) for k in stale if k not in records
        )
        what = "、".join(
            ([f"户 {numbers} 的户状态或成员"] if numbers else [])
            + [records[k] for k in stale if k in records]
        )
        raise ChangeError(
            gettext(
                "自提出申请以来，%(what)s已有变动，申请所依据的情况已不是现状。请退回，由村里按现状重新提出"
            )
            % {"what": what}
        )
    _ensure_no_conflict(plan, by=by, exclude=request.pk)
    request.decided_by, request.decided_at, request.review_comment = by, timezone.now(), _text(comment)
    try:
        with transaction.atomic():
            kinds.apply(request, by=by)
    except IntegrityError:
        raise ChangeError(CONFLICT_MESSAGE) from None
    request.save()
    _log(request, ChangeAction.Action.APPROVE, by=by, comment=request.review_comment, before=before_status)
    return request
