"""Optimistic version (fupin.core.versions) for a county's microloan parameters, whose page is an edit form
(issue 16, finding 3): the database raises it whenever one of the columns below changes, whoever writes."""

from django.db import migrations

from fupin.core.version_columns import operations

TABLES = {
    "loanpolicy": (
        "funds_loanpolicy",
        (
            "benchmark_rate",
            "city_parts",
            "county_id",
            "county_parts",
            "enterprise_multiple",
            "enterprise_subsidy_share",
            "exited_households_eligible",
            "household_cap_fen",
            "household_subsidy_share",
            "max_age",
            "max_term_months",
            "min_age",
            "min_term_months",
            "reminder_days",
            "risk_deposit_share",
            "settlement_day",
            "subsidy_years",
        ),
    ),
}


class Migration(migrations.Migration):
    dependencies = [("funds", "0002_versions")]

    operations = operations(TABLES)
