"""Optimistic versions (fupin.core.versions) for the records this app's edit forms change: a `version` column
the database raises whenever one of the columns below changes, whoever writes (issue 16, finding 3)."""

from django.db import migrations

from fupin.core.version_columns import operations

TABLES = {
    "declaration": (
        "declarations_declaration",
        (
            "case_id",
            "channel",
            "concluded_at",
            "consent",
            "consent_at",
            "description",
            "due_on",
            "findings",
            "hardship",
            "household_id",
            "id_number",
            "name",
            "phone",
            "receipt",
            "received_at",
            "received_by_id",
            "received_on",
            "rejection_reason",
            "review_due",
            "source_finding_id",
            "source_signal_id",
            "status",
            "total_due",
            "verified_at",
            "verified_by_id",
            "verify_due",
            "village_id",
        ),
    ),
}


class Migration(migrations.Migration):
    dependencies = [("declarations", "0002_declaration_entry")]

    operations = operations(TABLES)
