"""ChangeRequest.payload and .before: the ID numbers and phones inside stored encrypted (fupin.core.fields.
SealedJSONField), the rows of an existing registry rewritten in batches walked by id; the reverse writes them plain."""

import fupin.core.fields
from django.db import migrations, models
from django.db.models import Value

BATCH = 500


def _rewrite(apps, sealing: bool) -> None:
    model = apps.get_model("changes", "ChangeRequest")
    last = 0
    while True:
        rows = list(model.objects.filter(pk__gt=last).order_by("pk").only("pk", "payload", "before")[:BATCH])
        if not rows:
            return
        if sealing:
            model.objects.bulk_update(rows, ["payload", "before"])
        else:
            for row in rows:
                model.objects.filter(pk=row.pk).update(
                    payload=Value(row.payload, output_field=models.JSONField()),
                    before=Value(row.before, output_field=models.JSONField()),
                )
        last = rows[-1].pk


def forwards(apps, schema_editor):
    _rewrite(apps, sealing=True)


def backwards(apps, schema_editor):
    _rewrite(apps, sealing=False)


class Migration(migrations.Migration):

    dependencies = [
        ('changes', '0004_encrypt_target_id_number'),
    ]

    operations = [
        migrations.AlterField(
            model_name='changerequest',
            name='before',
            field=fupin.core.fields.SealedJSONField(default=dict, verbose_name='变更前'),
        ),
        migrations.AlterField(
            model_name='changerequest',
            name='payload',
            field=fupin.core.fields.SealedJSONField(default=dict, verbose_name='变更内容'),
        ),
        migrations.RunPython(forwards, backwards),
    ]
