"""Change requests in the admin site: for looking things up; every move goes through the services."""

from django.contrib import admin

from fupin.core.admin import ReadOnlyAdmin

from .models import ChangeAction, ChangeRequest, Evidence


class ActionInline(admin.TabularInline):
    model = ChangeAction
    fields = ("at", "action", "by", "role", "comment")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class EvidenceInline(admin.TabularInline):
    model = Evidence
    fields = ("name", "content_type", "size", "uploaded_by", "uploaded_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ChangeRequest)
class ChangeRequestAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "kind",
        "status",
        "household",
        "village_code",
        "proposed_by",
        "proposed_at",
        "decided_by",
    )
    list_filter = ("status", "kind")
    search_fields = ("=household__number", "=village_code")
    list_select_related = ("household", "proposed_by", "decided_by")
    raw_id_fields = ("household", "created_household", "proposed_by", "decided_by")
    inlines = [ActionInline, EvidenceInline]
    show_full_result_count = False
