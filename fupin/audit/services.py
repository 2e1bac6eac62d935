"""Writing audit entries; called by every service that changes a record, in its transaction. Every
entry is appended to its county's hash chain (fupin.audit.chain)."""

import datetime
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.db.models.fields.files import FieldFile

from . import chain
from .models import AuditEntry

SENSITIVE = {"id_number", "phone", "bank_account"}
_deferred: ContextVar[list[AuditEntry] | None] = ContextVar("fupin_audit_deferred", default=None)


def _plain(value: Any) -> Any:
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, (Decimal, datetime.date, datetime.datetime)):
        return str(value)
    return value


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict:
    """The instance's concrete field values, as JSON-friendly values keyed by field name."""
    out = {}
    for field in instance._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        if field.name == "version":  # raised by the database on each change (fupin.core.versions): not data
            continue
        out[field.name] = _plain(getattr(instance, field.attname))
    return out


def diff(before: dict, after: dict) -> dict:
    return {
        k: [before.get(k), after.get(k)]
        for k in sorted(set(before) | set(after))
        if before.get(k) != after.get(k)
    }


def entry(
    *,
    by: Any,
    action: str,
    target_type: str,
    target_id: object,
    target_label: str,
    changes: dict | None = None,
    household_id: int | None = None,
    scope_code: str = "",
    at: datetime.datetime | None = None,
) -> AuditEntry:
    """An unsaved entry for `by`; write it with record_many (or through record)."""
    fields = {"at": at} if at is not None else {}
    return AuditEntry(
        user_id=by.pk if getattr(by, "pk", None) else None,
        username=getattr(by, "username", None) or "system",
        role=getattr(by, "role", "") or ("admin" if getattr(by, "is_superuser", False) else ""),
        region_code=getattr(by, "region_id", None) or "",
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        target_label=(target_label or "")[:200],
        household_id=household_id,
        scope_code=scope_code or "",
        changes=changes or {},
        **fields,
    )


def record_many(entries: list[AuditEntry], *, batch_size: int = 2000) -> list[AuditEntry]:
    """Write unsaved entries in bulk, chained in their order, in the caller's transaction."""
    if not entries:
        return entries
    with transaction.atomic(savepoint=False):
        chain.link_entries(entries)
        return AuditEntry.objects.bulk_create(entries, batch_size=batch_size)


@contextmanager
def deferred() -> Iterator[list[AuditEntry]]:
    """Entries `record` makes inside the block are chained and written together when it ends (record_many, in
    their order, in the caller's transaction), instead of one chain-head lock and one insert each. Nested: an
    inner block that ends normally hands its entries to the outer one; one left by an exception drops them, as
    the savepoint around it drops the changes they describe. Entries inside a block have no id until it
    ends."""
    outer = _deferred.get()
    mine: list[AuditEntry] = []
    token = _deferred.set(mine)
    try:
        yield mine
    finally:
        _deferred.reset(token)
    if outer is not None:
        outer.extend(mine)
    else:
        record_many(mine)


def record(
    *,
    by: Any,
    action: str,
    target: models.Model,
    changes: dict | None = None,
    household: models.Model | int | None = None,
    scope_code: str = "",
) -> AuditEntry:
    item = entry(
        by=by,
        action=action,
        target_type=target._meta.model_name or "",
        target_id=target.pk,
        target_label=str(target),
        changes=changes,
        household_id=household.pk if isinstance(household, models.Model) else household,
        scope_code=scope_code,
    )
    pending = _deferred.get()
    if pending is not None:
        pending.append(item)
        return item
    with transaction.atomic(savepoint=False):
        chain.link_entries([item])
        item.save(force_insert=True)
    return item
