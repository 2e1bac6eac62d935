"""Writing audit entries; called by every service that changes a record, in its transaction. Every
entry is appended to its county's hash chain (fupin.audit.chain)."""

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.db.models.fields.files import FieldFile

from . import chain
from .models import AuditEntry

SENSITIVE = {"id_number", "phone", "bank_account"}


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
    with transaction.atomic(savepoint=False):
        chain.link_entries([item])
        item.save(force_insert=True)
    return item
