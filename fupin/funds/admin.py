"""Read-only admin views of money records: every change goes through a service so it is audited."""

from django.contrib import admin

from fupin.core.admin import ReadOnlyAdmin

from .models import (
    Allocation,
    Fund,
    InterestPayment,
    LedgerImport,
    Loan,
    LoanPolicy,
    Payment,
    Project,
    Repayment,
    RiskFundAccount,
    RiskFundEntry,
    SubsidyPayment,
)


@admin.register(Project)
class ProjectAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "county", "year", "category", "status", "budget_fen", "published_on")
    list_filter = ("year", "category", "status")
    search_fields = ("code", "name")


@admin.register(Fund)
class FundAdmin(ReadOnlyAdmin):
    list_display = ("name", "county", "year", "source", "amount_fen", "allocated_fen", "spent_fen")
    list_filter = ("year", "source")


@admin.register(Loan)
class LoanAdmin(ReadOnlyAdmin):
    list_display = (
        "borrower_name",
        "borrower_kind",
        "county",
        "bank",
        "amount_fen",
        "status",
        "disbursed_on",
        "maturity_on",
    )
    list_filter = ("status", "borrower_kind")
    search_fields = ("borrower_name", "contract_no")


for model in (
    Allocation,
    Payment,
    InterestPayment,
    Repayment,
    SubsidyPayment,
    RiskFundAccount,
    RiskFundEntry,
    LoanPolicy,
    LedgerImport,
):
    admin.site.register(model, ReadOnlyAdmin)
