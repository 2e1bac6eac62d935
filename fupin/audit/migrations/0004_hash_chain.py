"""The audit trail becomes hash-chained per county (fupin.audit.chain): entries get a chain, a number
in it and two hashes; the existing entries are chained in the order they were written (by id), in
batches. `at` is now set by the application (it is hashed), and the user and household links keep
their ids when those rows go (no database constraint, nothing nulled)."""
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import fupin.core.fields

BATCH = 5000


def chain_existing(apps, schema_editor):
    from fupin.audit.chain import CANONICAL_FIELDS, GENESIS, normal_json, canonical, chain_key, link_hash

    AuditEntry = apps.get_model("audit", "AuditEntry")
    ChainHead = apps.get_model("audit", "ChainHead")
    connection = schema_editor.connection
    table = AuditEntry._meta.db_table
    heads: dict[str, list] = {}
    last = 0
    while True:
        rows = list(AuditEntry.objects.using(connection.alias).filter(id__gt=last).order_by("id")
                    .values_list("id", *CANONICAL_FIELDS)[:BATCH])
        if not rows:
            break
        last = rows[-1][0]
        out = []
        for pk, *fields in rows:
            key = chain_key(fields[CANONICAL_FIELDS.index("scope_code")])
            head = heads.setdefault(key, [0, GENESIS])
            seq = head[0] + 1
            digest = link_hash(head[1], canonical(*fields[:-1], normal_json(fields[-1])))
            out.append((pk, key, seq, head[1], digest))
            head[0], head[1] = seq, digest
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                ids, keys, seqs, prevs, hashes = (list(c) for c in zip(*out))
                cursor.execute(
                    f'UPDATE "{table}" a SET chain = v.chain, seq = v.seq, prev_hash = v.prev, hash = v.h '
                    "FROM unnest(%s::bigint[], %s::text[], %s::bigint[], %s::text[], %s::text[]) AS v(id, chain, seq, prev, h) "
                    "WHERE a.id = v.id", [ids, keys, seqs, prevs, hashes])
            else:
                cursor.executemany(f'UPDATE "{table}" SET chain = %s, seq = %s, prev_hash = %s, hash = %s WHERE id = %s',
                                   [(k, s, p, h, pk) for pk, k, s, p, h in out])
    ChainHead.objects.using(connection.alias).bulk_create(
        [ChainHead(chain=k, seq=s, hash=h) for k, (s, h) in heads.items()])


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0003_code_columns'),
        ('registry', '0006_code_columns_and_one_member_search_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditentry',
            name='at',
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False, verbose_name='时间'),
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='user',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING,
                                    related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='household',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True,
                                    on_delete=django.db.models.deletion.DO_NOTHING, related_name='audit_entries',
                                    to='registry.household'),
        ),
        migrations.CreateModel(
            name='ChainHead',
            fields=[
                ('chain', fupin.core.fields.CodeField(max_length=6, primary_key=True, serialize=False, verbose_name='审计链')),
                ('seq', models.BigIntegerField(default=0, verbose_name='链内序号')),
                ('hash', models.CharField(max_length=64, verbose_name='哈希')),
            ],
            options={'verbose_name': '审计链末端', 'verbose_name_plural': '审计链末端'},
        ),
        migrations.CreateModel(
            name='Anchor',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('chain', fupin.core.fields.CodeField(blank=True, max_length=6, verbose_name='审计链')),
                ('seq', models.BigIntegerField(verbose_name='链内序号')),
                ('hash', models.CharField(max_length=64, verbose_name='哈希')),
                ('day', models.DateField(verbose_name='日期')),
                ('made_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='记录时间')),
            ],
            options={
                'verbose_name': '审计链锚点', 'verbose_name_plural': '审计链锚点', 'ordering': ['-day', 'chain', '-seq'],
                'indexes': [models.Index(fields=['chain', 'seq'], name='audit_anchor_chain_seq')],
            },
        ),
        migrations.AddField(
            model_name='auditentry',
            name='chain',
            field=fupin.core.fields.CodeField(blank=True, default='', max_length=6, verbose_name='审计链'),
        ),
        migrations.AddField(
            model_name='auditentry',
            name='seq',
            field=models.BigIntegerField(null=True, verbose_name='链内序号'),
        ),
        migrations.AddField(
            model_name='auditentry',
            name='prev_hash',
            field=models.CharField(default='', max_length=64, verbose_name='前一条哈希'),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='auditentry',
            name='hash',
            field=models.CharField(default='', max_length=64, verbose_name='哈希'),
            preserve_default=False,
        ),
        migrations.RunPython(chain_existing, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name='auditentry',
            name='seq',
            field=models.BigIntegerField(verbose_name='链内序号'),
        ),
        migrations.AddConstraint(
            model_name='auditentry',
            constraint=models.UniqueConstraint(fields=('chain', 'seq'), name='audit_chain_seq'),
        ),
    ]
