"""The registry in the admin site: for looking things up; every change goes through the web pages' services."""

from django.contrib import admin

from fupin.core.admin import ReadOnlyAdmin

from .models import GuaranteeCheck, Household, ImportJob, IncomeRecord, Member


class MemberInline(admin.TabularInline):
    model = Member
    fields = ("name", "relation", "sex", "birth_date", "id_number", "health", "labour_skill")
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Household)
class HouseholdAdmin(ReadOnlyAdmin):
    list_display = (
        "number",
        "head_name",
        "village",
        "size",
        "household_type",
        "status",
        "primary_cause",
        "latest_income",
    )
    list_filter = ("status", "household_type", "primary_cause")
    search_fields = ("=number", "head_name", "head_initials")
    list_select_related = ("village",)
    raw_id_fields = ("village", "group")
    inlines = [MemberInline]
    show_full_result_count = False


@admin.register(Member)
class MemberAdmin(ReadOnlyAdmin):
    list_display = ("name", "relation", "sex", "birth_date", "household")
    search_fields = ("=id_number", "name", "name_initials")
    list_select_related = ("household",)
    raw_id_fields = ("household",)
    show_full_result_count = False


@admin.register(IncomeRecord)
class IncomeRecordAdmin(ReadOnlyAdmin):
    list_display = ("household", "year", "household_size", "per_capita_net_income")
    list_filter = ("year",)
    search_fields = ("=household__number",)
    list_select_related = ("household",)
    raw_id_fields = ("household",)


@admin.register(GuaranteeCheck)
class GuaranteeCheckAdmin(ReadOnlyAdmin):
    list_display = (
        "household",
        "year",
        "checked_on",
        "food",
        "clothing",
        "education",
        "medical",
        "housing",
        "water",
    )
    list_filter = ("year",)
    search_fields = ("=household__number",)
    list_select_related = ("household",)
    raw_id_fields = ("household",)


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = ("original_name", "user", "scope_code", "status", "total_rows", "error_rows", "created_at")
    list_filter = ("status",)
    search_fields = ("original_name", "user__username", "scope_code")
