"""Optimistic versions (fupin.core.versions) for the records this app's edit forms change: a `version` column
the database raises whenever one of the columns below changes, whoever writes (issue 16, finding 3)."""

from django.db import migrations

from fupin.core.version_columns import operations

TABLES = {
    "monitoringthreshold": (
        "monitoring_monitoringthreshold",
        (
            "income_drop_percent",
            "large_expense",
            "note",
            "region_prefix",
            "requires_township_review",
            "requires_village_appraisal",
            "threshold",
            "unregistered_line",
            "year",
        ),
    ),
    "problem": (
        "monitoring_problem",
        (
            "check_item",
            "close_note",
            "closed_at",
            "closed_by_id",
            "created_by_id",
            "deadline",
            "description",
            "evidence",
            "finding_id",
            "household_id",
            "lookback_item_id",
            "measure",
            "rectification",
            "rectified_at",
            "rectified_by_id",
            "region_code",
            "responsible_level",
            "responsible_person",
            "source",
            "status",
        ),
    ),
}


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0009_crosscheck_unauthorised_members")]

    operations = operations(TABLES)
