"""Optimistic versions (fupin.core.versions) for the records this app's edit forms change: a `version` column
the database raises whenever one of the columns below changes, whoever writes (issue 16, finding 3)."""

from django.db import migrations

from fupin.core.version_columns import operations

TABLES = {
    "incomerecord": (
        "registry_incomerecord",
        (
            "dibao",
            "eco_compensation",
            "family_planning",
            "household_id",
            "household_size",
            "other_transfers",
            "pension",
            "per_capita_net_income",
            "production",
            "productive_expenditure",
            "property_income",
            "wages",
            "wubao",
            "year",
        ),
    ),
    "guaranteecheck": (
        "registry_guaranteecheck",
        (
            "checked_on",
            "clothing",
            "education",
            "evidence",
            "food",
            "household_id",
            "housing",
            "medical",
            "notes",
            "water",
            "year",
        ),
    ),
}


class Migration(migrations.Migration):
    dependencies = [("registry", "0010_consent")]

    operations = operations(TABLES)
