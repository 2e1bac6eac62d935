"""PostgreSQL only: monitoring cases and help measures log their own village code, the one the case-work rollup
groups them by (their household's village, copied when they were made), instead of looking it up through the
household (0006); a measure catalogue entry that changes group logs its measures' village codes."""
from django.db import migrations

TRIGGERS = {
    "insert": "REFERENCING NEW TABLE AS changed_rows",
    "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS changed_rows",
    "delete": "REFERENCING OLD TABLE AS changed_rows",
}
TABLES = ("monitoring_monitoredhousehold", "assistance_helpmeasure")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    run = schema_editor.execute
    run("""CREATE OR REPLACE FUNCTION reports_log_own_villages() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' THEN
                INSERT INTO reports_dirtyvillage (village_code, at)
                SELECT DISTINCT village_code, now() FROM (SELECT village_code FROM old_rows UNION SELECT village_code FROM changed_rows) v;
            ELSE
                INSERT INTO reports_dirtyvillage (village_code, at) SELECT DISTINCT village_code, now() FROM changed_rows;
            END IF;
            RETURN NULL;
        END $$""")
    run("""CREATE OR REPLACE FUNCTION reports_log_catalogue_villages() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO reports_dirtyvillage (village_code, at)
            SELECT DISTINCT m.village_code, now() FROM assistance_helpmeasure m
            WHERE m.catalogue_id IN (SELECT n.id FROM changed_rows n JOIN old_rows o ON o.id = n.id
                                     WHERE o."group" IS DISTINCT FROM n."group");
            RETURN NULL;
        END $$""")
    for table in TABLES:
        for event, referencing in TRIGGERS.items():
            run(f"DROP TRIGGER IF EXISTS reports_{event} ON {table}")
            run(f"CREATE TRIGGER reports_{event} AFTER {event.upper()} ON {table} {referencing} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION reports_log_own_villages()")
    run("DROP FUNCTION IF EXISTS reports_log_measure_villages()")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    import importlib

    previous = importlib.import_module("fupin.reports.migrations.0006_casework_triggers")
    previous.forwards(apps, schema_editor)  # the functions and triggers as 0006 made them
    schema_editor.execute("DROP FUNCTION IF EXISTS reports_log_own_villages()")


class Migration(migrations.Migration):
    dependencies = [("reports", "0007_loan_stat")]
    operations = [migrations.RunPython(forwards, backwards)]
