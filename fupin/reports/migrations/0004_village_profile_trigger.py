"""PostgreSQL only: a village record's agricultural population is in the rollup too (metric "rural"), so
writes to the village records log their villages like writes to households do."""
from django.db import migrations

TRIGGERS = {
    "insert": "REFERENCING NEW TABLE AS changed_rows",
    "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS changed_rows",
    "delete": "REFERENCING OLD TABLE AS changed_rows",
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for event, referencing in TRIGGERS.items():
        schema_editor.execute(f"DROP TRIGGER IF EXISTS reports_villageprofile_{event} ON procedures_villageprofile")
        schema_editor.execute(f"CREATE TRIGGER reports_villageprofile_{event} AFTER {event.upper()} ON procedures_villageprofile "
                              f"{referencing} FOR EACH STATEMENT EXECUTE FUNCTION reports_log_villages()")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for event in TRIGGERS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS reports_villageprofile_{event} ON procedures_villageprofile")


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_refresh_requested"),
        ("procedures", "0001_initial"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
