"""The registry in the admin site: for looking things up; every change goes through the web pages'
services."""

from django.contrib import admin

from fupin.core import idnumber
from fupin.core.admin import ReadOnlyAdmin

from . import masking
from .models import Consent, GuaranteeCheck, Household, ImportJob, IncomeRecord, Member

# Sensitive values are masked here too (issue 17): the admin site is for looking things up, and a full value
# is revealed, with a purpose and logged, on the household's page (fupin.registry.reveal).
HOUSEHOLD_HIDDEN = ("phone", "bank_account")
MEMBER_HIDDEN = ("id_number", "phone", "birth_date")


class MaskedMember:
    @admin.display(description="证件号码（已遮蔽）")
    def masked_id_number(self, obj):
        return idnumber.mask(obj.id_number)

    @admin.display(description="联系电话（已遮蔽）")
    def masked_phone(self, obj):
        return idnumber.mask_phone(obj.phone)

    @admin.display(description="出生年份")
    def birth_year(self, obj):
        return masking.birth_year(obj.birth_date)


class MemberInline(MaskedMember, admin.TabularInline):
    model = Member
    fields = ("name", "relation", "sex", "birth_year", "masked_id_number", "health", "labour_skill")
    readonly_fields = ("birth_year", "masked_id_number")
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
    exclude = HOUSEHOLD_HIDDEN
    readonly_fields = ("masked_phone", "masked_bank_account")

    @admin.display(description="联系电话（已遮蔽）")
    def masked_phone(self, obj):
        return idnumber.mask_phone(obj.phone)

    @admin.display(description="银行账号（已遮蔽）")
    def masked_bank_account(self, obj):
        return idnumber.mask(obj.bank_account)


@admin.register(Member)
class MemberAdmin(MaskedMember, ReadOnlyAdmin):
    list_display = ("name", "relation", "sex", "birth_year", "masked_id_number", "household")
    exclude = MEMBER_HIDDEN
    readonly_fields = ("masked_id_number", "masked_phone", "birth_year")
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


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    list_display = ("member", "household", "given_on", "method", "withdrawn_at")
    list_filter = ("method",)
    raw_id_fields = ("member", "household")
