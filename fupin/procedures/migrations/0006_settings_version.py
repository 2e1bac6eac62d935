"""Optimistic version (fupin.core.versions) for a county's procedure settings, whose page is an edit form
(issue 16, finding 3): the database raises it whenever one of the columns below changes, whoever writes."""

from django.db import migrations

from fupin.core.version_columns import operations

TABLES = {
    "proceduresettings": (
        "procedures_proceduresettings",
        (
            "county_id",
            "day_rule",
            "extra_workdays",
            "holidays",
            "notice_days",
            "supervision_phone",
            "survey_deadline",
            "update_deadline",
        ),
    ),
}


class Migration(migrations.Migration):
    dependencies = [("procedures", "0005_joint_township_notice")]

    operations = operations(TABLES)
