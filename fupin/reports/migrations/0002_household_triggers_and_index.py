"""PostgreSQL only: log the villages each write to the household table touches, and a covering index.

The triggers are statement-level with transition tables, so a COPY or a bulk update of a million
rows costs one INSERT … SELECT DISTINCT of its villages, not a trigger call per row; they append to
reports_dirtyvillage without a uniqueness check, so concurrent writers never wait on each other.
The index lets the live counts of a region (reports.selectors._grouped) be index-only scans.
"""
from django.db import migrations

TRIGGERS = {
    "insert": "REFERENCING NEW TABLE AS changed_rows",
    "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS changed_rows",
    "delete": "REFERENCING OLD TABLE AS changed_rows",
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    run = schema_editor.execute
    run("""CREATE OR REPLACE FUNCTION reports_log_villages() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' THEN
                INSERT INTO reports_dirtyvillage (village_code, at)
                SELECT DISTINCT village_id, now() FROM (SELECT village_id FROM old_rows UNION SELECT village_id FROM changed_rows) v;
            ELSE
                INSERT INTO reports_dirtyvillage (village_code, at) SELECT DISTINCT village_id, now() FROM changed_rows;
            END IF;
            RETURN NULL;
        END $$""")
    for event, referencing in TRIGGERS.items():
        run(f"DROP TRIGGER IF EXISTS reports_household_{event} ON registry_household")
        run(f"CREATE TRIGGER reports_household_{event} AFTER {event.upper()} ON registry_household {referencing} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION reports_log_villages()")
    run("CREATE INDEX IF NOT EXISTS reports_household_village_cover ON registry_household (village_id) "
        "INCLUDE (status, household_type, primary_cause, size, registration_year, exit_year)")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for event in TRIGGERS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS reports_household_{event} ON registry_household")
    schema_editor.execute("DROP FUNCTION IF EXISTS reports_log_villages()")
    schema_editor.execute("DROP INDEX IF EXISTS reports_household_village_cover")


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("registry", "0001_initial"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
