from django.contrib import admin

from fupin.core.admin import ReadOnlyAdmin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "username", "role", "action", "target_type", "target_label", "scope_code")
    list_filter = ("action", "target_type", "role")
    search_fields = ("username", "target_label", "target_id", "scope_code")
    date_hierarchy = "at"
    show_full_result_count = False
    raw_id_fields = ("user", "household")
