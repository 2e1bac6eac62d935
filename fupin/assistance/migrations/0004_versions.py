"""Optimistic versions (fupin.core.versions) for the records this app's edit forms change: a `version` column
the database raises whenever one of the columns below changes, whoever writes (issue 16, finding 3)."""

from django.db import migrations

from fupin.core.version_columns import operations

TABLES = {
    "helperunit": (
        "assistance_helperunit",
        ("address", "contact_person", "contact_phone", "kind", "name", "region_id"),
    ),
    "helper": (
        "assistance_helper",
        ("active", "kind", "name", "phone", "position", "region_id", "unit_id", "user_id"),
    ),
    "pairing": (
        "assistance_pairing",
        (
            "end_reason",
            "ended_by_id",
            "ended_on",
            "helper_id",
            "household_id",
            "start_reason",
            "started_by_id",
            "started_on",
        ),
    ),
    "helpplan": (
        "assistance_helpplan",
        ("created_by_id", "goals", "household_id", "plan_class", "target_exit_year"),
    ),
    "helpmeasure": (
        "assistance_helpmeasure",
        (
            "actual_amount",
            "catalogue_id",
            "completed_on",
            "content",
            "deadline",
            "funding_source",
            "helper_id",
            "income_increase",
            "plan_id",
            "planned_amount",
            "result",
            "status",
            "village_code",
            "year",
        ),
    ),
}


class Migration(migrations.Migration):
    dependencies = [("assistance", "0003_handbook_code")]

    operations = operations(TABLES)
