"""Declaration: its personal fields encrypted in place (fupin.core.crypto), exact lookups through a blind index.

Rows are encrypted in batches walked by id (fupin.core.encrypting); the reverse decrypts them."""

import fupin.core.fields
from django.conf import settings
from django.db import migrations, models


def _versions():
    import importlib

    table, columns = importlib.import_module("fupin.declarations.migrations.0003_versions").TABLES["declaration"]
    return table, columns


def drop_version_trigger(apps, schema_editor):
    """The version trigger watches id_number and phone: PostgreSQL cannot change their type under it, SQLite's
    remade table would lose it. Dropped here and made again at the end (fupin.core.version_columns)."""
    from fupin.core.version_columns import drop_trigger

    drop_trigger(schema_editor, _versions()[0])


def create_version_trigger(apps, schema_editor):
    from fupin.core.version_columns import create_trigger

    create_trigger(schema_editor, *_versions())


def forwards(apps, schema_editor, decrypting=False):
    from fupin.core import encrypting

    for table in encrypting.tables([apps.get_model("declarations", "Declaration")]):
        encrypting.recrypt(table, decrypting=decrypting, connection=schema_editor.connection, atomic_batches=False)


def backwards(apps, schema_editor):
    forwards(apps, schema_editor, decrypting=True)


class Migration(migrations.Migration):

    dependencies = [
        ('declarations', '0003_versions'),
        ('monitoring', '0008_alter_problem_source'),
        ('regions', '0001_initial'),
        ('registry', '0012_encrypt_personal_data'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(drop_version_trigger, create_version_trigger),
        migrations.RemoveConstraint(
            model_name='declaration',
            name='declaration_one_open_per_person',
        ),
        migrations.RemoveIndex(
            model_name='declaration',
            name='declaration_person',
        ),
        migrations.AddField(
            model_name='declaration',
            name='id_number_index',
            field=fupin.core.fields.BlindIndexField(purpose='id_number', source='id_number'),
        ),
        migrations.AlterField(
            model_name='declaration',
            name='id_number',
            field=fupin.core.fields.EncryptedField(max_length=18, purpose='id_number', verbose_name='身份证号'),
        ),
        migrations.AlterField(
            model_name='declaration',
            name='phone',
            field=fupin.core.fields.EncryptedField(blank=True, max_length=11, purpose='phone', verbose_name='手机号'),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.AddIndex(
            model_name='declaration',
            index=models.Index(fields=['id_number_index', 'status'], name='declaration_person'),
        ),
        migrations.AddConstraint(
            model_name='declaration',
            constraint=models.UniqueConstraint(condition=models.Q(('status__in', ['received', 'in_procedure', 'reviewed'])), fields=('id_number_index',), name='declaration_one_open_per_person'),
        ),
        migrations.RunPython(create_version_trigger, drop_version_trigger),
    ]
