"""Admin pages for the assistance app's reference data; case work goes through the services."""

from django.contrib import admin

from fupin.audit.admin import AuditedAdmin
from fupin.core.admin import VersionedAdmin

from .models import AssistanceSettings, HelperUnit, MeasureCatalogue


@admin.register(MeasureCatalogue)
class MeasureCatalogueAdmin(AuditedAdmin):
    list_display = ("code", "name", "group", "order", "active")
    list_filter = ("group", "active")
    list_editable = ("order", "active")


@admin.register(AssistanceSettings)
class AssistanceSettingsAdmin(AuditedAdmin):
    list_display = ("county", "load_cap", "visit_interval_days", "updated_at")
    raw_id_fields = ("county",)


@admin.register(HelperUnit)
class HelperUnitAdmin(VersionedAdmin, AuditedAdmin):
    list_display = ("name", "kind", "region", "contact_person", "contact_phone")
    search_fields = ("name",)
    raw_id_fields = ("region",)
