"""Optimistic version (fupin.core.versions) for a household's look-back checklist, whose page is an edit form
(issue 16, finding 3): the database raises it whenever one of the columns below changes, whoever writes."""

from django.db import migrations

from fupin.core.version_columns import operations

TABLES = {
    "lookbackitem": (
        "monitoring_lookbackitem",
        (
            "checked_by_id",
            "checked_on",
            "education",
            "evidence",
            "food_clothing",
            "housing",
            "income",
            "medical",
            "notes",
            "water",
        ),
    ),
}


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0012_department_event_match")]

    operations = operations(TABLES)
