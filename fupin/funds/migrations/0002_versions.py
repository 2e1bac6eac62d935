"""Optimistic versions (fupin.core.versions) for the records this app's edit forms change: a `version` column
the database raises whenever one of the columns below changes, whoever writes (issue 16, finding 3)."""

from django.db import migrations

from fupin.core.version_columns import operations

TABLES = {
    "project": (
        "funds_project",
        (
            "acceptance_note",
            "accepted_on",
            "budget_fen",
            "category",
            "code",
            "completed_on",
            "content",
            "county_id",
            "implementer",
            "manager",
            "name",
            "progress",
            "published_on",
            "region_id",
            "started_on",
            "status",
            "year",
        ),
    ),
    "fund": (
        "funds_fund",
        (
            "allocated_fen",
            "amount_fen",
            "county_id",
            "document_no",
            "name",
            "received_on",
            "source",
            "spent_fen",
            "year",
        ),
    ),
    "allocation": (
        "funds_allocation",
        ("allocated_on", "amount_fen", "fund_id", "project_id", "spent_fen"),
    ),
    "loan": (
        "funds_loan",
        (
            "amount_fen",
            "amount_requested_fen",
            "applied_on",
            "bank",
            "benchmark_rate",
            "borrower_id",
            "borrower_kind",
            "borrower_name",
            "capacity_confirmed",
            "contract_no",
            "county_id",
            "created_by_id",
            "credit_code",
            "decided_on",
            "defaulted_on",
            "disbursed_on",
            "household_id",
            "industry",
            "interest_rate",
            "maturity_on",
            "purpose",
            "region_id",
            "rejection_reason",
            "reminder_sent_on",
            "repaid_on",
            "status",
            "subsidy_share",
            "term_months",
            "village_opinion",
        ),
    ),
}


class Migration(migrations.Migration):
    dependencies = [("funds", "0001_initial")]

    operations = operations(TABLES)
