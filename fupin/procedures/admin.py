"""Admin for policy data (poverty lines, village criteria, county settings); procedure records read-only."""

from django.contrib import admin

from fupin.audit.admin import AuditedAdmin
from fupin.core.admin import ReadOnlyAdmin, ServiceAdmin

from . import policy
from .models import (
    Batch,
    Notice,
    PolicyYear,
    ProcedureSettings,
    Quota,
    ReductionPlan,
    VillageCriteria,
    VillageProfile,
)


@admin.register(PolicyYear)
class PolicyYearAdmin(ServiceAdmin):
    list_display = ["year", "region_prefix", "poverty_line", "monitoring_threshold", "note"]
    list_filter = ["year"]
    key_fields = ("region_prefix", "year")
    service = staticmethod(policy.set_policy_year)
    service_fields = ("region_prefix", "year", "poverty_line", "monitoring_threshold", "note")


@admin.register(VillageCriteria)
class VillageCriteriaAdmin(AuditedAdmin):
    list_display = ["region_prefix", "kind", "incidence_percent", "min_collective_income"]


@admin.register(ProcedureSettings)
class ProcedureSettingsAdmin(AuditedAdmin):
    list_display = ["county", "notice_days", "day_rule", "survey_deadline", "update_deadline"]
    autocomplete_fields = ["county"]  # search as you type: the region tree has some 665,000 rows


@admin.register(Batch)
class BatchAdmin(ReadOnlyAdmin):
    list_display = ["year", "village", "kind", "round", "stage", "announced_at"]
    list_filter = ["year", "kind", "stage"]


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ["title", "kind", "posted_at", "ends_at"]


@admin.register(Quota, ReductionPlan, VillageProfile)
class AllocationAdmin(ReadOnlyAdmin):
    pass
