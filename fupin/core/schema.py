"""Migration helpers for the schema."""

from collections.abc import Callable
from typing import Any

from django.db import migrations


def drop_foreign_key_index(
    app_label: str, model_name: str, field_name: str, field: Any
) -> migrations.SeparateDatabaseAndState:
    """A foreign key's own index dropped (`field` is the key with db_index=False) where another index leads
    with its column. Django would remake an SQLite table to alter the field, which drops the triggers
    migrations put on it (list versions, rollups); the index is dropped by its name instead, on either
    database."""

    def index_name(apps: Any, schema_editor: Any) -> tuple[Any, Any, Any]:
        model = apps.get_model(app_label, model_name)
        column = model._meta.get_field(field_name).column
        return model._meta.db_table, column, schema_editor._create_index_name(model._meta.db_table, [column])

    def forwards(apps: Any, schema_editor: Any) -> None:
        _, _, name = index_name(apps, schema_editor)
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")

    def backwards(apps: Any, schema_editor: Any) -> None:
        table, column, name = index_name(apps, schema_editor)
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {schema_editor.quote_name(name)} "
            f"ON {schema_editor.quote_name(table)} ({schema_editor.quote_name(column)})"
        )

    return migrations.SeparateDatabaseAndState(
        state_operations=[migrations.AlterField(model_name=model_name, name=field_name, field=field)],
        database_operations=[migrations.RunPython(forwards, backwards)],
    )


def drop_indexes(dropped: dict[str, str]) -> migrations.RunPython:
    """These indexes dropped where they exist, each recreated by its statement if the migration is reversed
    (Django's pattern-matching indexes, varchar_pattern_ops, only ever exist on PostgreSQL)."""

    def forwards(apps: Any, schema_editor: Any) -> None:
        for index in dropped:
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(index)}")

    def backwards(apps: Any, schema_editor: Any) -> None:
        for create in dropped.values():
            if "varchar_pattern_ops" not in create or schema_editor.connection.vendor == "postgresql":
                schema_editor.execute(create)

    return migrations.RunPython(forwards, backwards)


def code_fields(
    app_label: str, model_name: str, fields: dict, dropped: dict[str, str] | None = None
) -> migrations.SeparateDatabaseAndState:
    """CharFields that become CodeFields (fupin.core.fields): on PostgreSQL their columns take the collation
    "C", their indexes rebuilt with it; the `dropped` indexes go (see drop_indexes): Django's pattern-matching
    ones, which "C" makes needless, and those Meta now declares under a name of its own. SQLite's table is not
    remade (that would drop the triggers migrations put on it)."""

    def collate(collation: str) -> Callable[[Any, Any], None]:
        def run(apps: Any, schema_editor: Any) -> None:
            if schema_editor.connection.vendor != "postgresql":
                return
            model = apps.get_model(app_label, model_name)
            quote = schema_editor.quote_name
            for name, field in fields.items():
                schema_editor.execute(
                    f"ALTER TABLE {quote(model._meta.db_table)} "
                    f"ALTER COLUMN {quote(model._meta.get_field(name).column)} "
                    f"TYPE varchar({field.max_length}) COLLATE {collation}"
                )

        return run

    return migrations.SeparateDatabaseAndState(
        state_operations=[
            migrations.AlterField(model_name=model_name, name=name, field=field)
            for name, field in fields.items()
        ],
        database_operations=[
            drop_indexes(dropped or {}),
            migrations.RunPython(collate('"C"'), collate('"default"')),
        ],
    )
