"""ChangeTarget: its personal fields encrypted in place (fupin.core.crypto), exact lookups through a blind index.

Rows are encrypted in batches walked by id (fupin.core.encrypting); the reverse decrypts them."""

import fupin.core.fields
from django.db import migrations, models


def forwards(apps, schema_editor, decrypting=False):
    from fupin.core import encrypting

    for table in encrypting.tables([apps.get_model("changes", "ChangeTarget")]):
        encrypting.recrypt(table, decrypting=decrypting, connection=schema_editor.connection, atomic_batches=False)


def backwards(apps, schema_editor):
    forwards(apps, schema_editor, decrypting=True)


class Migration(migrations.Migration):

    dependencies = [
        ('changes', '0003_kinds_member_identity_guarantee_correction'),
        ('registry', '0012_encrypt_personal_data'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='changetarget',
            name='change_target_id_number',
        ),
        migrations.AddField(
            model_name='changetarget',
            name='id_number_index',
            field=fupin.core.fields.BlindIndexField(purpose='id_number', source='id_number'),
        ),
        migrations.AlterField(
            model_name='changetarget',
            name='id_number',
            field=fupin.core.fields.EncryptedField(blank=True, max_length=18, purpose='id_number'),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.AddIndex(
            model_name='changetarget',
            index=models.Index(fields=['id_number_index'], name='change_target_id_number'),
        ),
    ]
