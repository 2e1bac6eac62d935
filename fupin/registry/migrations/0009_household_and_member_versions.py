"""Household.version and Member.version, raised by the database on every change of an edited column.

Whoever writes (a form, the API, a procedure's bulk update, a change request, the importer's
UPDATE … FROM its temporary table), the row's version goes up by one when any column a form or
the API edits changes, so an edit based on an older version is refused (fupin.core.versions)
instead of silently putting back what the other writer changed. The version is set from the old
row's, never taken from the statement, so a stale object saved whole cannot bring an old number
back. Rows the importer COPYs in start at 1, the column's default.

The columns are frozen here (what a form edits today); a later migration that adds an editable
column replaces the triggers with the longer list. The version columns are added with ALTER TABLE
on both databases, default 1 kept in the database (for COPY and raw inserts): Django's AddField
would remake SQLite's tables, dropping the list-version triggers of migration 0003.
"""

from django.db import migrations, models

COLUMNS = {
    "registry_household": (
        "address",
        "bank_account",
        "bank_name",
        "exit_year",
        "farmland_area",
        "forest_area",
        "fuel_type",
        "group_id",
        "has_broadcast_tv",
        "has_electricity",
        "has_sanitary_toilet",
        "household_type",
        "housing_area",
        "identification_standard",
        "in_cooperative",
        "irrigated_area",
        "is_dangerous_house",
        "is_military_family",
        "is_only_child",
        "is_two_daughters",
        "other_causes",
        "pasture_area",
        "phone",
        "primary_cause",
        "registration_year",
        "returned_forest_area",
        "road_distance_km",
        "road_type",
        "status",
        "water_area",
        "water_difficult",
        "water_safe",
    ),
    "registry_member": (
        "birth_date",
        "disability_category",
        "disability_level",
        "education",
        "ethnicity",
        "has_accident_insurance",
        "has_medical_insurance",
        "has_pension_insurance",
        "has_serious_illness_insurance",
        "health",
        "household_id",
        "id_number",
        "is_active_military",
        "labour_skill",
        "name",
        "phone",
        "political_status",
        "relation",
        "schooling",
        "sex",
        "work_months",
        "work_status",
    ),
}

PG_FUNCTION = """CREATE OR REPLACE FUNCTION registry_raise_version() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.version := OLD.version + 1;
        RETURN NEW;
    END $$"""


def _quoted(columns, row):
    return ", ".join(f'{row}."{c}"' for c in columns)


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION)
    for table, columns in COLUMNS.items():
        trigger = f"{table}_version"
        if vendor == "postgresql":
            # ROW(...) IS DISTINCT FROM compares jsonb other_causes by value; a statement setting equal values
            # (Django's save() sets every column) leaves the version as it is.
            schema_editor.execute(
                f'CREATE TRIGGER {trigger} BEFORE UPDATE ON "{table}" FOR EACH ROW '
                f"WHEN (ROW({_quoted(columns, 'OLD')}) IS DISTINCT FROM ROW({_quoted(columns, 'NEW')})) "
                "EXECUTE FUNCTION registry_raise_version()"
            )
        elif vendor == "sqlite":
            changed = " OR ".join(f'OLD."{c}" IS NOT NEW."{c}"' for c in columns)
            names = ", ".join(f'"{c}"' for c in columns)
            schema_editor.execute(
                f'CREATE TRIGGER {trigger} AFTER UPDATE OF {names} ON "{table}" FOR EACH ROW WHEN {changed} '
                f'BEGIN UPDATE "{table}" SET version = OLD.version + 1 WHERE id = NEW.id; END'
            )


def add_columns(apps, schema_editor):
    for table in COLUMNS:
        schema_editor.execute(
            f'ALTER TABLE "{table}" ADD COLUMN "version" integer NOT NULL DEFAULT 1 CHECK ("version" >= 0)'
        )


def drop_columns(apps, schema_editor):
    for table in COLUMNS:
        schema_editor.execute(f'ALTER TABLE "{table}" DROP COLUMN "version"')


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in COLUMNS:
        if vendor == "postgresql":
            schema_editor.execute(f'DROP TRIGGER IF EXISTS {table}_version ON "{table}"')
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_version")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS registry_raise_version()")


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0008_import_commit"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="household",
                    name="version",
                    field=models.PositiveIntegerField(default=1, editable=False, verbose_name="版本"),
                ),
                migrations.AddField(
                    model_name="member",
                    name="version",
                    field=models.PositiveIntegerField(default=1, editable=False, verbose_name="版本"),
                ),
            ],
            database_operations=[migrations.RunPython(add_columns, drop_columns)],
        ),
        migrations.RunPython(create, drop),
    ]
