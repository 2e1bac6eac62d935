from django.contrib import admin

from fupin.core.admin import ServiceAdmin

from . import services
from .models import (
    CrossCheck,
    Finding,
    LookBack,
    MonitoredHousehold,
    MonitoringThreshold,
    Problem,
    RiskSignal,
    Sweep,
)


@admin.register(MonitoringThreshold)
class MonitoringThresholdAdmin(ServiceAdmin):
    list_display = (
        "year",
        "region_prefix",
        "threshold",
        "unregistered_line",
        "income_drop_percent",
        "large_expense",
    )
    list_filter = ("year",)
    key_fields = ("region_prefix", "year")
    service = staticmethod(services.set_threshold)
    service_fields = (
        "region_prefix",
        "year",
        "threshold",
        "unregistered_line",
        "income_drop_percent",
        "large_expense",
        "requires_village_appraisal",
        "requires_township_review",
        "note",
    )


@admin.register(CrossCheck)
class CrossCheckAdmin(admin.ModelAdmin):
    list_display = (
        "department",
        "original_name",
        "status",
        "rows",
        "findings_count",
        "uploaded_at",
        "retain_until",
        "purged_at",
    )
    list_filter = ("department", "status")
    readonly_fields = ("columns",)


@admin.register(Sweep)
class SweepAdmin(admin.ModelAdmin):
    list_display = ("kind", "year", "scope_code", "status", "results", "seconds", "created_at")


for model in (Finding, Problem, MonitoredHousehold, LookBack, RiskSignal):
    admin.site.register(
        model,
        list_display=("__str__",),
        raw_id_fields=[
            f.name for f in model._meta.fields if f.many_to_one and f.name in ("household", "member")
        ],
        # search as you type: the region tree has some 665,000 rows
        autocomplete_fields=[
            f.name
            for f in model._meta.fields
            if f.many_to_one and f.related_model._meta.label == "regions.Region"
        ],
    )
