from django.contrib import admin

from fupin.core.admin import ReadOnlyAdmin, ServiceAdmin

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
class CrossCheckAdmin(ReadOnlyAdmin):
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
class SweepAdmin(ReadOnlyAdmin):
    list_display = ("kind", "year", "scope_code", "status", "results", "seconds", "created_at")


def _open_lookback(*, by, region_id, **fields):
    return services.open_lookback(by=by, region_code=region_id, **fields)


@admin.register(LookBack)
class LookBackAdmin(ServiceAdmin):
    """Opened here by the service (which lists the households to check, audited); a campaign is then worked on
    its pages, never changed here."""

    list_display = ("name", "region", "year", "starts_on", "ends_on", "status")
    list_filter = ("year", "status")
    autocomplete_fields = ("region",)  # search as you type: the region tree has some 665,000 rows
    service = staticmethod(_open_lookback)
    service_fields = ("region_id", "name", "year", "starts_on", "ends_on", "income_line")
    exclude = ("status", "created_by")

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)


# Case records change only through the monitoring procedure's services (audited): viewed here, never edited.
for model in (Finding, Problem, MonitoredHousehold, RiskSignal):
    admin.site.register(
        model,
        ReadOnlyAdmin,
        list_display=("__str__",),
        raw_id_fields=[
            f.name for f in model._meta.fields if f.many_to_one and f.name in ("household", "member")
        ],
    )
