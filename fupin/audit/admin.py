"""The audit trail's own pages (read only), and AuditedAdmin: reference data that administrators edit in the
admin (settings, catalogues, units, accounts) with every add, change and delete written to the audit trail, in
the admin's transaction, as a service would."""

import datetime
from decimal import Decimal
from typing import Any

from django.contrib import admin
from django.db import models, transaction
from django.http import HttpRequest

from fupin.core.admin import ReadOnlyAdmin

from .models import Anchor, AuditEntry, ChainHead
from .services import record


def _plain(value: Any) -> Any:
    """A form value as the audit trail keeps it (JSON): records by their key, dates and money as text."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, models.QuerySet | list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime.date | datetime.time | Decimal):
        return str(value)
    return value


def _scope(obj: models.Model) -> str:
    for name in ("scope_code", "region_id", "county_id", "village_id", "region_prefix"):
        value = getattr(obj, name, None)
        if isinstance(value, str):
            return value
    return ""


class AuditedAdmin(admin.ModelAdmin):
    """Saved by the admin itself (no service holds a rule for these rows), audited like a service's write: the
    fields changed with their old and new values; a deleted row with what it was."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        changed = [f for f in form.changed_data if f in form.fields]
        before = {f: _plain(form.initial.get(f)) for f in changed} if change else {}
        super().save_model(request, obj, form, change)
        record(
            by=request.user,
            action="admin_change" if change else "admin_add",
            target=obj,
            scope_code=_scope(obj),
            changes={
                f: ["***", "***"] if "password" in f else [before.get(f), _plain(form.cleaned_data.get(f))]
                for f in changed
            },
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        record(
            by=request.user,
            action="admin_delete",
            target=obj,
            scope_code=_scope(obj),
            changes={"deleted": [str(obj), None]},
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "at",
        "username",
        "role",
        "action",
        "target_type",
        "target_label",
        "scope_code",
        "chain",
        "seq",
    )
    list_filter = ("action", "target_type", "role")
    search_fields = ("username", "target_label", "target_id", "scope_code")
    date_hierarchy = "at"
    show_full_result_count = False
    raw_id_fields = ("user", "household")


@admin.register(ChainHead)
class ChainHeadAdmin(ReadOnlyAdmin):
    list_display = ("chain", "seq", "hash")


@admin.register(Anchor)
class AnchorAdmin(ReadOnlyAdmin):
    list_display = ("day", "chain", "seq", "hash", "made_at")
    list_filter = ("day",)
    search_fields = ("chain",)
