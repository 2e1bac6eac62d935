"""What the admin site shares: read-only pages for records that only services may change."""
from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable, never added, changed or deleted here: the registry and the audit trail change
    only through services, which validate, keep derived fields and write the audit entry."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
