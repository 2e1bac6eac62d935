"""POST sync: a device's changes applied in its order, each once (the idempotency key), each in its own
savepoint through the owning service, with a receipt line per change: accepted, merged, refused or conflict,
and why."""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import DataError, IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext

from fupin.accounts.models import User
from fupin.accounts.scope import household_filter, households_in_scope_key
from fupin.audit.services import deferred, record
from fupin.core.batch import batch, remember
from fupin.core.errors import CONFLICT_MESSAGE, ServiceError
from fupin.registry.models import Household

from . import ops, permissions
from .merge import label
from .models import Conflict, Device, Outcome, SyncedChange
from .services import FieldError

NOT_FOUND = "未找到，或不在您的管辖范围内"
MESSAGES = {
    Outcome.MERGED: "已与他人在此期间的修改合并",
    Outcome.CONFLICT: "部分内容与他人在此期间的修改冲突：已保留较新的值，您的值已交审核人处理",
}


def _line(change: dict, outcome: str, message: str, **extra: Any) -> dict:
    return {
        "key": change["key"],
        "seq": change["seq"],
        "kind": change["kind"],
        "outcome": outcome,
        "message": message,
    } | extra


def _refusal(e: Exception) -> tuple[str, dict]:
    if isinstance(e, ServiceError):
        errors = {k: str(v) for k, v in e.errors.items()}
        return "；".join(errors.values()), errors
    if isinstance(e, ObjectDoesNotExist):
        return NOT_FOUND, {}
    if isinstance(e, (IntegrityError, DataError)):
        return CONFLICT_MESSAGE, {}
    if isinstance(e, (TypeError, ValueError)):
        return "数据格式有误，未处理", {}
    return str(e) or NOT_FOUND, {}  # PermissionDenied / ScopeError carry their Chinese reason


@dataclass
class Written:
    """What a sync writes once for the whole upload, after its changes: the receipt rows, the reviewer's
    conflicts and the visits' traces (only those of changes whose savepoint held)."""

    synced: list[SyncedChange] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    later: list[Model] = field(default_factory=list)

    def save(self) -> None:
        SyncedChange.objects.bulk_create(self.synced, batch_size=500)
        Conflict.objects.bulk_create(self.conflicts, batch_size=500)  # their change now has its id
        for model in {type(row) for row in self.later}:
            model._default_manager.bulk_create([r for r in self.later if type(r) is model], batch_size=500)


def _record_merge(ctx: ops.Context, applied: ops.Applied, synced: SyncedChange) -> list[Conflict]:
    """Conflict rows for the reviewer, and one audit entry naming both sides (theirs kept, mine not
    applied)."""
    merge = applied.merge
    household = ctx.household
    if merge is None or household is None or not merge.conflicts:
        return []
    rows = [
        Conflict(
            change=synced,
            household=household,
            village_code=household.village_id,
            record=f"{applied.model._meta.verbose_name if applied.model else ''} {applied.label}".strip(),
            field=name,
            label=label(applied.model, name) if applied.model else name,
            base=base,
            theirs=theirs,
            mine=mine,
            by=ctx.by,
        )
        for name, base, theirs, mine in merge.conflicts
    ]
    record(
        by=ctx.by,
        action="field_sync_conflict",
        target=household,
        household=household,
        scope_code=household.village_id,
        changes={c.field: {"base": c.base, "theirs_kept": c.theirs, "mine": c.mine} for c in rows}
        | {"record": [None, rows[0].record], "device": [None, ctx.device.uid]},
    )
    return rows


def _households(by: User, changes: list[dict]) -> dict[int, Household]:
    """The batch's households the user may read, in one query (the scope's filter, as household_for applies
    it); remembered for the batch, so the services' own scope checks of them need no query each."""
    scope = household_filter(by)
    ids = {c["household"] for c in changes if c.get("household") is not None}
    if scope is None or not ids:
        return {}
    found = {
        h.pk: h
        for h in Household.objects.select_related("village", "group").filter(scope, pk__in=sorted(ids))
    }
    remember(households_in_scope_key(by), frozenset(found))
    return found


def _apply(
    device: Device,
    by: User,
    change: dict,
    received: datetime.datetime,
    households: dict[int, Household],
    written: Written,
) -> dict:
    kind = change["kind"]
    household = None
    synced = SyncedChange(
        device=device,
        key=change["key"],
        seq=change["seq"],
        kind=kind,
        device_time=change.get("at"),
        received_at=received,
    )
    try:
        # the change and its audit entries together: a refused change leaves neither (its savepoint rolled
        # back, its deferred entries dropped); the accepted ones' entries are chained and written once for the
        # batch
        with transaction.atomic(), deferred():
            if change.get("household") is not None:
                household = households.get(change["household"])
                if household is None:
                    raise Household.DoesNotExist
            ctx = ops.Context(by, device, household, change.get("data") or {}, change.get("at"))
            applied = ops.KINDS[kind](ctx)
            merge = applied.merge
            outcome = (
                Outcome.CONFLICT
                if merge and merge.conflicts
                else Outcome.MERGED
                if merge and merge.moved
                else Outcome.ACCEPTED
            )
            line = _line(
                change,
                outcome,
                MESSAGES.get(outcome, applied.message),
                record=dict(zip(("type", "id"), applied.record, strict=True)) if applied.record else None,
                kept=list(merge.kept) if merge else [],
            )
            conflicts = _record_merge(ctx, applied, synced)
            if conflicts:
                line["conflicts"] = [
                    {"field": c.field, "label": c.label, "theirs": c.theirs, "mine": c.mine}
                    for c in conflicts
                ]
            synced.household, synced.outcome, synced.receipt = household, outcome, line
        written.synced.append(synced)
        written.conflicts += conflicts
        written.later += ctx.later
        return line
    except (
        ServiceError,
        ObjectDoesNotExist,
        PermissionDenied,
        IntegrityError,
        DataError,
        TypeError,
        ValueError,
    ) as e:
        # a change a service refused, or one whose data a service could not even read (a phone's bug, a
        # crafted request): refused on its own line, the rest of the sync goes on — never a 500 for the whole
        # upload
        message, errors = _refusal(e)
        line = _line(change, Outcome.REFUSED, message, errors=errors)
        synced.household, synced.outcome, synced.receipt = household, Outcome.REFUSED, line
        written.synced.append(synced)
        return line


def sync(device: Device, *, by: User, changes: list[dict]) -> dict:
    """Apply the changes in their sequence. A key seen before answers with its first receipt and records
    nothing; a new change numbered at or below the device's last sequence is refused (an old copy replayed).
    One transaction for the upload, a savepoint for each change; the scope read once, the audit entries
    written together."""
    with transaction.atomic(), batch(), deferred():
        return _sync(device, by, changes)


def _sync(device: Device, by: User, changes: list[dict]) -> dict:
    if not permissions.can_use_app(by):
        raise FieldError(gettext("帮扶 App 仅供帮扶责任人、村扶贫专干和驻村工作队使用"))
    device = Device.objects.select_for_update().get(pk=device.pk)
    known = {
        s.key: s.receipt
        for s in SyncedChange.objects.filter(device=device, key__in=[c["key"] for c in changes]).only(
            "key", "receipt"
        )
    }
    received = timezone.now()
    households = _households(by, [c for c in changes if c["key"] not in known])
    written = Written()
    lines = []
    for change in sorted(changes, key=lambda c: c["seq"]):
        if change["key"] in known:
            lines.append(known[change["key"]] | {"replayed": True})
            continue
        if change["seq"] <= device.last_seq:
            lines.append(
                _line(change, Outcome.REFUSED, "序号不晚于本设备已同步的记录，未处理（可能是旧数据重发）")
            )
            continue
        if change["kind"] not in ops.KINDS:
            lines.append(_line(change, Outcome.REFUSED, "未知的记录类型"))
            continue
        line = _apply(device, by, change, received, households, written)
        known[change["key"]] = line
        lines.append(line)
        device.last_seq = change["seq"]
    written.save()
    device.last_sync_at = received
    device.save(update_fields=["last_seq", "last_sync_at"])
    counts = {o.value: sum(1 for line in lines if line["outcome"] == o.value) for o in Outcome}
    return {"results": lines, "counts": counts, "last_seq": device.last_seq, "received_at": received}
