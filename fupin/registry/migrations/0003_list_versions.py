"""The version of what a village's household list shows, changed by the database on every write to it.

registry_listversion holds one opaque token per village: triggers on the household and member
tables replace the token of every village a write touched (its old and new village for a move),
in the same transaction as the write, and a write to any region replaces the token of the row ''
(region names appear on every list). The household list caches its rendered pages under these
tokens (fupin.registry.selectors.list_region reads them, before the rows), so a cached page is
never older than the data: the first read after a commit sees a new token and renders afresh.

Tokens are random rather than counters so that a rolled-back write, a restored backup or a
flushed test database can never bring back a token a cached page was stored under.
On PostgreSQL the triggers are statement-level (a bulk import costs one upsert per village, not
per row), with TRUNCATE covered too; SQLite has only row triggers. The upserts lock a village's
row until the writer commits, so two writers to one village take turns at the end of their
statements; villages are locked in code order.
"""

from django.db import migrations

TABLE = """CREATE TABLE IF NOT EXISTS registry_listversion (
    village_code varchar(15) NOT NULL PRIMARY KEY,
    token varchar(36) NOT NULL
)"""

# village column of each table whose rows the list shows
LISTED = {"registry_household": "village_id", "registry_member": "village_code"}

PG_BUMP = """CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' THEN
            INSERT INTO registry_listversion (village_code, token)
            SELECT code, gen_random_uuid()::text FROM (SELECT {column} AS code FROM old_rows
                                                      UNION SELECT {column} FROM changed_rows) v
            ORDER BY code
            ON CONFLICT (village_code) DO UPDATE SET token = EXCLUDED.token;
        ELSIF TG_OP = 'TRUNCATE' THEN
            UPDATE registry_listversion SET token = gen_random_uuid()::text;
        ELSE
            INSERT INTO registry_listversion (village_code, token)
            SELECT code, gen_random_uuid()::text FROM (SELECT DISTINCT {column} AS code FROM changed_rows) v
            ORDER BY code
            ON CONFLICT (village_code) DO UPDATE SET token = EXCLUDED.token;
        END IF;
        RETURN NULL;
    END $$"""
PG_REGIONS = """CREATE OR REPLACE FUNCTION registry_listversion_regions() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE registry_listversion SET token = gen_random_uuid()::text WHERE village_code = '';
        RETURN NULL;
    END $$"""
PG_EVENTS = {
    "insert": "REFERENCING NEW TABLE AS changed_rows",
    "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS changed_rows",
    "delete": "REFERENCING OLD TABLE AS changed_rows",
    "truncate": "",
}

SQLITE_TOKEN = "lower(hex(randomblob(16)))"
SQLITE_UPSERT = (
    "INSERT INTO registry_listversion (village_code, token) VALUES ({row}.{column}, " + SQLITE_TOKEN + ") "
    "ON CONFLICT (village_code) DO UPDATE SET token = excluded.token;"
)


def forwards(apps, schema_editor):
    run = schema_editor.execute
    postgres = schema_editor.connection.vendor == "postgresql"
    run(TABLE)
    token = "gen_random_uuid()::text" if postgres else SQLITE_TOKEN
    run(
        f"INSERT INTO registry_listversion (village_code, token) VALUES ('', {token}) ON CONFLICT (village_code) DO NOTHING"
    )
    if postgres:
        for table, column in LISTED.items():
            function = f"{table}_listversion"
            run(PG_BUMP.format(function=function, column=column))
            for event, referencing in PG_EVENTS.items():
                run(f"DROP TRIGGER IF EXISTS {table}_listversion_{event} ON {table}")
                run(
                    f"CREATE TRIGGER {table}_listversion_{event} AFTER {event.upper()} ON {table} {referencing} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
                )
        run(PG_REGIONS)
        for event in PG_EVENTS:
            run(f"DROP TRIGGER IF EXISTS regions_region_listversion_{event} ON regions_region")
            run(
                f"CREATE TRIGGER regions_region_listversion_{event} AFTER {event.upper()} ON regions_region "
                f"FOR EACH STATEMENT EXECUTE FUNCTION registry_listversion_regions()"
            )
        return
    for table, column in LISTED.items():
        bodies = {
            "insert": SQLITE_UPSERT.format(row="NEW", column=column),
            "update": SQLITE_UPSERT.format(row="OLD", column=column)
            + SQLITE_UPSERT.format(row="NEW", column=column),
            "delete": SQLITE_UPSERT.format(row="OLD", column=column),
        }
        for event, body in bodies.items():
            run(f"DROP TRIGGER IF EXISTS {table}_listversion_{event}")
            run(
                f"CREATE TRIGGER {table}_listversion_{event} AFTER {event.upper()} ON {table} FOR EACH ROW BEGIN {body} END"
            )
    for event in ("insert", "update", "delete"):
        run(f"DROP TRIGGER IF EXISTS regions_region_listversion_{event}")
        run(
            f"CREATE TRIGGER regions_region_listversion_{event} AFTER {event.upper()} ON regions_region FOR EACH ROW BEGIN "
            f"UPDATE registry_listversion SET token = {SQLITE_TOKEN} WHERE village_code = ''; END"
        )


def backwards(apps, schema_editor):
    run = schema_editor.execute
    postgres = schema_editor.connection.vendor == "postgresql"
    events = PG_EVENTS if postgres else ("insert", "update", "delete")
    for table in [*LISTED, "regions_region"]:
        for event in events:
            run(f"DROP TRIGGER IF EXISTS {table}_listversion_{event}" + (f" ON {table}" if postgres else ""))
    if postgres:
        for table in LISTED:
            run(f"DROP FUNCTION IF EXISTS {table}_listversion()")
        run("DROP FUNCTION IF EXISTS registry_listversion_regions()")
    run("DROP TABLE IF EXISTS registry_listversion")


class Migration(migrations.Migration):
    dependencies = [
        ("regions", "0001_initial"),
        ("registry", "0002_drop_unused_household_indexes"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
