"""Member.id_number: unique through a named constraint instead of unique=True, without the pattern index.

On PostgreSQL, unique=True on a CharField adds a second index (varchar_pattern_ops) for LIKE 'prefix%'
lookups; ID numbers are looked up whole or searched within, so nothing uses it, and a bulk import
rebuilt it (about 0.8 s of a million members). The unique constraint keeps its name and definition
("registry_member_id_number_key", what AddConstraint would create), so the database only loses the
pattern index; SQLite's inline UNIQUE is the same constraint and its table is not rebuilt (a rebuild
would drop the list-version triggers, migration 0003).
"""
from django.db import migrations, models


def drop_pattern_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'registry_member' "
                       "AND indexdef LIKE '%(id_number varchar_pattern_ops)%'")
        for (name,) in cursor.fetchall():
            schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def create_pattern_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE INDEX IF NOT EXISTS registry_member_id_number_8e412079_like "
                              "ON registry_member (id_number varchar_pattern_ops)")


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0003_list_versions'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='member',
                    name='id_number',
                    field=models.CharField(max_length=18, verbose_name='证件号码'),
                ),
                migrations.AddConstraint(
                    model_name='member',
                    constraint=models.UniqueConstraint(fields=('id_number',), name='registry_member_id_number_key'),
                ),
            ],
            database_operations=[migrations.RunPython(drop_pattern_index, create_pattern_index)],
        ),
    ]
