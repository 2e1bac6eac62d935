"""Optimistic version (fupin.core.versions) for a county's assistance parameters, whose page is an edit form
(issue 16, finding 3): the database raises it whenever one of the columns below changes, whoever writes."""

from django.db import migrations

from fupin.core.version_columns import operations

TABLES = {
    "assistancesettings": (
        "assistance_assistancesettings",
        ("county_id", "load_cap", "visit_interval_days"),
    ),
}


class Migration(migrations.Migration):
    dependencies = [("assistance", "0005_batch_kind")]

    operations = operations(TABLES)
