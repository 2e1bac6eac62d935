"""Notices get a seal: the SHA-256 of their list when posted and the short code printed on them."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def seal_existing(apps, schema_editor):
    """Notices posted before sealing existed are sealed with their list as it is now."""
    from fupin.disclosure.services import code_of, digest_of

    Notice = apps.get_model("procedures", "Notice")
    NoticeSeal = apps.get_model("disclosure", "NoticeSeal")
    used = set()
    seals = []
    for notice in Notice.objects.select_related("batch").order_by("id").iterator(chunk_size=2000):
        digest = digest_of(notice)
        code = code_of(digest)
        if code in used:
            continue  # 50 bits shared by two notices: left unsealed rather than mismatched
        used.add(code)
        seals.append(NoticeSeal(notice_id=notice.pk, digest=digest, code=code))
        if len(seals) >= 2000:
            NoticeSeal.objects.bulk_create(seals)
            seals = []
    NoticeSeal.objects.bulk_create(seals)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('procedures', '0002_national_poverty_lines'),
    ]

    operations = [
        migrations.CreateModel(
            name='NoticeSeal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('digest', models.CharField(max_length=64, verbose_name='名单哈希')),
                ('code', models.CharField(max_length=10, unique=True, verbose_name='核验码')),
                ('sealed_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='封存时间')),
                ('notice', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='seal', to='procedures.notice', verbose_name='公示公告')),
            ],
            options={
                'verbose_name': '公示核验码',
                'verbose_name_plural': '公示核验码',
            },
        ),
        migrations.RunPython(seal_existing, migrations.RunPython.noop),
    ]
