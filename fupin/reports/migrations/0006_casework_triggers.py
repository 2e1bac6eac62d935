"""PostgreSQL only: log the villages whose case work a write touches, like writes to households (0002).

The case-work rollup (CaseworkStat) counts households by their village, so a pairing, a visit, a
monitored case or a help measure logs its household's village; a measure catalogue entry that changes
its group logs the villages of every household with a measure of it. Statement-level triggers with
transition tables: a bulk write costs one INSERT … SELECT of its villages.
"""
from django.db import migrations

TRIGGERS = {
    "insert": "REFERENCING NEW TABLE AS changed_rows",
    "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS changed_rows",
    "delete": "REFERENCING OLD TABLE AS changed_rows",
}
# table -> the trigger function that logs its rows' villages
TABLES = {
    "assistance_pairing": "reports_log_household_villages",
    "assistance_visit": "reports_log_household_villages",
    "assistance_helpplan": "reports_log_household_villages",
    "monitoring_monitoredhousehold": "reports_log_household_villages",
    "assistance_helpmeasure": "reports_log_measure_villages",
}


def _function(name: str, households_of: str) -> str:
    """A trigger function logging the villages of the households `households_of` (SQL over a table `rows`) names."""
    def of(rows: str) -> str:
        return households_of.replace("{rows}", rows)

    return f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' THEN
                INSERT INTO reports_dirtyvillage (village_code, at)
                SELECT DISTINCT h.village_id, now() FROM registry_household h
                WHERE h.id IN ({of('old_rows')} UNION {of('changed_rows')});
            ELSE
                INSERT INTO reports_dirtyvillage (village_code, at)
                SELECT DISTINCT h.village_id, now() FROM registry_household h WHERE h.id IN ({of('changed_rows')});
            END IF;
            RETURN NULL;
        END $$"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    run = schema_editor.execute
    run(_function("reports_log_household_villages", "SELECT household_id FROM {rows}"))
    run(_function("reports_log_measure_villages",
                  "SELECT p.household_id FROM assistance_helpplan p WHERE p.id IN (SELECT plan_id FROM {rows})"))
    run("""CREATE OR REPLACE FUNCTION reports_log_catalogue_villages() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO reports_dirtyvillage (village_code, at)
            SELECT DISTINCT h.village_id, now() FROM registry_household h
            WHERE h.id IN (SELECT p.household_id FROM assistance_helpplan p JOIN assistance_helpmeasure m ON m.plan_id = p.id
                           WHERE m.catalogue_id IN (SELECT n.id FROM changed_rows n JOIN old_rows o ON o.id = n.id
                                                    WHERE o."group" IS DISTINCT FROM n."group"));
            RETURN NULL;
        END $$""")
    for table, function in TABLES.items():
        for event, referencing in TRIGGERS.items():
            run(f"DROP TRIGGER IF EXISTS reports_{event} ON {table}")
            run(f"CREATE TRIGGER reports_{event} AFTER {event.upper()} ON {table} {referencing} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()")
    run("DROP TRIGGER IF EXISTS reports_update ON assistance_measurecatalogue")
    run(f"CREATE TRIGGER reports_update AFTER UPDATE ON assistance_measurecatalogue {TRIGGERS['update']} "
        "FOR EACH STATEMENT EXECUTE FUNCTION reports_log_catalogue_villages()")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        for event in TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS reports_{event} ON {table}")
    schema_editor.execute("DROP TRIGGER IF EXISTS reports_update ON assistance_measurecatalogue")
    for function in ("reports_log_household_villages", "reports_log_measure_villages", "reports_log_catalogue_villages"):
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {function}()")


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0005_casework_stat"),
        ("assistance", "0002_measure_catalogue"),
        ("monitoring", "0002_seed_thresholds"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
