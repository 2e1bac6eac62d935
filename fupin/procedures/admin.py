"""Admin for policy data (poverty lines, village criteria, county settings); procedure records read-only."""
from django.contrib import admin

from .models import Batch, Notice, PolicyYear, ProcedureSettings, Quota, ReductionPlan, VillageCriteria, VillageProfile


@admin.register(PolicyYear)
class PolicyYearAdmin(admin.ModelAdmin):
    list_display = ["year", "region_prefix", "poverty_line", "monitoring_threshold", "note"]
    list_filter = ["year"]


@admin.register(VillageCriteria)
class VillageCriteriaAdmin(admin.ModelAdmin):
    list_display = ["region_prefix", "kind", "incidence_percent", "min_collective_income"]


@admin.register(ProcedureSettings)
class ProcedureSettingsAdmin(admin.ModelAdmin):
    list_display = ["county", "notice_days", "day_rule", "survey_deadline", "update_deadline"]


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Batch)
class BatchAdmin(ReadOnly):
    list_display = ["year", "village", "kind", "round", "stage", "announced_at"]
    list_filter = ["year", "kind", "stage"]


@admin.register(Notice)
class NoticeAdmin(ReadOnly):
    list_display = ["title", "kind", "posted_at", "ends_at"]


@admin.register(Quota, ReductionPlan, VillageProfile)
class AllocationAdmin(ReadOnly):
    pass
