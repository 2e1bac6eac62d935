from django.contrib import admin

from fupin.core.admin import ReadOnlyAdmin

from .models import Anchor, AuditEntry, ChainHead


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
