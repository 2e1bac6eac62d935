"""AuditEntry.household without its own index: the (household, -at) index leads with it."""
import django.db.models.deletion
from django.db import migrations, models

from fupin.core.schema import drop_foreign_key_index


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0001_initial'),
    ]

    operations = [
        drop_foreign_key_index('audit', 'auditentry', 'household', models.ForeignKey(
            blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='audit_entries',
            to='registry.household')),
    ]
