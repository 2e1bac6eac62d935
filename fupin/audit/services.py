"""Writing audit entries; called by every service that changes a record, in its transaction."""
import datetime
from decimal import Decimal

from django.db import models
from django.db.models.fields.files import FieldFile

from .models import AuditEntry

SENSITIVE = {"id_number", "phone", "bank_account"}


def _plain(value):
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, (Decimal, datetime.date, datetime.datetime)):
        return str(value)
    return value


def snapshot(instance: models.Model, fields=None) -> dict:
    """The instance's concrete field values, as JSON-friendly values keyed by field name."""
    out = {}
    for field in instance._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        out[field.name] = _plain(getattr(instance, field.attname))
    return out


def diff(before: dict, after: dict) -> dict:
    return {k: [before.get(k), after.get(k)] for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)}


def record(*, by, action: str, target: models.Model, changes: dict | None = None, household=None, scope_code: str = "") -> AuditEntry:
    return AuditEntry.objects.create(
        user=by if getattr(by, "pk", None) else None,
        username=getattr(by, "username", None) or "system",
        role=getattr(by, "role", "") or ("admin" if getattr(by, "is_superuser", False) else ""),
        region_code=getattr(by, "region_id", None) or "",
        action=action,
        target_type=target._meta.model_name,
        target_id=str(target.pk),
        target_label=str(target)[:200],
        household=household,
        scope_code=scope_code,
        changes=changes or {},
    )
