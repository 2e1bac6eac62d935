"""Migration helpers for the schema."""
from django.db import migrations


def drop_foreign_key_index(app_label: str, model_name: str, field_name: str, field) -> migrations.SeparateDatabaseAndState:
    """A foreign key's own index dropped (`field` is the key with db_index=False) where another index leads with
    its column. Django would remake an SQLite table to alter the field, which drops the triggers migrations put
    on it (list versions, rollups); the index is dropped by its name instead, on either database."""

    def index_name(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        column = model._meta.get_field(field_name).column
        return model._meta.db_table, column, schema_editor._create_index_name(model._meta.db_table, [column])

    def forwards(apps, schema_editor):
        _, _, name = index_name(apps, schema_editor)
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")

    def backwards(apps, schema_editor):
        table, column, name = index_name(apps, schema_editor)
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {schema_editor.quote_name(name)} "
                              f"ON {schema_editor.quote_name(table)} ({schema_editor.quote_name(column)})")

    return migrations.SeparateDatabaseAndState(
        state_operations=[migrations.AlterField(model_name=model_name, name=field_name, field=field)],
        database_operations=[migrations.RunPython(forwards, backwards)],
    )
