"""Migration operations that give a table the optimistic version of `fupin.core.versions`.

A `version` column (default 1, kept in the database for COPY and raw inserts) that a trigger raises from the
old row's version whenever one of the listed columns changes, whoever writes. The registry's migration 0009
did this for households and members; later migrations call `operations` with their tables and columns, frozen
there: a migration that adds an edited column replaces the trigger with the longer list. The column is added
with ALTER TABLE, not AddField, so that SQLite keeps the tables' other triggers.
"""

from typing import Any

from django.db import migrations, models

PG_FUNCTION = """CREATE OR REPLACE FUNCTION fupin_raise_version() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.version := OLD.version + 1;
        RETURN NEW;
    END $$"""


def _quoted(columns: tuple[str, ...], row: str) -> str:
    return ", ".join(f'{row}."{c}"' for c in columns)


def create_trigger(schema_editor: Any, table: str, columns: tuple[str, ...]) -> None:
    trigger = f"{table}_version"
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION)
        schema_editor.execute(
            f'CREATE TRIGGER {trigger} BEFORE UPDATE ON "{table}" FOR EACH ROW '
            f"WHEN (ROW({_quoted(columns, 'OLD')}) IS DISTINCT FROM ROW({_quoted(columns, 'NEW')})) "
            "EXECUTE FUNCTION fupin_raise_version()"
        )
    else:
        changed = " OR ".join(f'OLD."{c}" IS NOT NEW."{c}"' for c in columns)
        names = ", ".join(f'"{c}"' for c in columns)
        # rowid, not id: some tables are keyed otherwise (a county's loan policy by its county)
        schema_editor.execute(
            f'CREATE TRIGGER {trigger} AFTER UPDATE OF {names} ON "{table}" FOR EACH ROW WHEN {changed} '
            f'BEGIN UPDATE "{table}" SET version = OLD.version + 1 WHERE rowid = NEW.rowid; END'
        )


def drop_trigger(schema_editor: Any, table: str) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'DROP TRIGGER IF EXISTS {table}_version ON "{table}"')
    else:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_version")


def operations(tables: dict[str, tuple[str, tuple[str, ...]]]) -> list[Any]:
    """{model name: (table, edited columns)}: the version field in the migration state, the column and the
    trigger in the database."""

    def add_columns(apps: Any, schema_editor: Any) -> None:
        for table, _ in tables.values():
            schema_editor.execute(
                f'ALTER TABLE "{table}" ADD COLUMN "version" integer NOT NULL DEFAULT 1 '
                'CHECK ("version" >= 0)'
            )

    def drop_columns(apps: Any, schema_editor: Any) -> None:
        for table, _ in tables.values():
            schema_editor.execute(f'ALTER TABLE "{table}" DROP COLUMN "version"')

    def create(apps: Any, schema_editor: Any) -> None:
        for table, columns in tables.values():
            create_trigger(schema_editor, table, columns)

    def drop(apps: Any, schema_editor: Any) -> None:
        for table, _ in tables.values():
            drop_trigger(schema_editor, table)

    return [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name=model,
                    name="version",
                    field=models.PositiveIntegerField(default=1, editable=False, verbose_name="版本"),
                )
                for model in tables
            ],
            database_operations=[migrations.RunPython(add_columns, drop_columns)],
        ),
        migrations.RunPython(create, drop),
    ]
