"""The trail's target and scope codes become CodeFields (collation "C" on PostgreSQL, fupin.core.fields); the
scope's index is named in Meta and loses its pattern-matching twin (scopes are code ranges, never LIKE)."""
from django.db import migrations, models

import fupin.core.fields
from fupin.core.schema import code_fields


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0002_auditentry_household_without_own_index'),
    ]

    operations = [
        code_fields('audit', 'auditentry', {
            'scope_code': fupin.core.fields.CodeField(blank=True, max_length=15, verbose_name='记录所在区划'),
            'target_id': fupin.core.fields.CodeField(max_length=40, verbose_name='对象'),
            'target_type': fupin.core.fields.CodeField(max_length=50, verbose_name='对象类型'),
        }, dropped={
            'audit_auditentry_scope_code_899e1da4':
                'CREATE INDEX audit_auditentry_scope_code_899e1da4 ON audit_auditentry (scope_code)',
            'audit_auditentry_scope_code_899e1da4_like':
                'CREATE INDEX audit_auditentry_scope_code_899e1da4_like ON audit_auditentry (scope_code varchar_pattern_ops)',
        }),
        migrations.AddIndex(
            model_name='auditentry',
            index=models.Index(fields=['scope_code'], name='audit_scope'),
        ),
    ]
