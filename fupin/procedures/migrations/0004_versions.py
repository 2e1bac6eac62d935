"""Optimistic versions (fupin.core.versions) for the records this app's edit forms change: a `version` column
the database raises whenever one of the columns below changes, whoever writes (issue 16, finding 3)."""

from django.db import migrations

from fupin.core.version_columns import operations

TABLES = {
    "villageprofile": (
        "procedures_villageprofile",
        (
            "collective_income",
            "estimated_incidence",
            "estimated_poor",
            "exit_year",
            "has_activity_venue",
            "has_broadband",
            "has_bus",
            "has_clinic",
            "has_electricity",
            "has_hardened_road",
            "has_safe_water",
            "households",
            "identified_year",
            "is_poor_village",
            "population",
            "rural_population",
            "village_id",
            "year",
        ),
    ),
    "quota": (
        "procedures_quota",
        ("adjusted", "basis", "persons", "region_id", "set_by_id", "weight", "year"),
    ),
    "reductionplan": (
        "procedures_reductionplan",
        ("adjusted", "basis", "persons", "region_id", "set_by_id", "weight", "year"),
    ),
}


class Migration(migrations.Migration):
    dependencies = [("procedures", "0003_notice_photo_and_supervision_phone")]

    operations = operations(TABLES)
