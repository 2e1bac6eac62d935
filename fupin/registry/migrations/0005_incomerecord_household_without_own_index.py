"""IncomeRecord.household without its own index: the (household, year) unique constraint leads with it."""
import django.db.models.deletion
from django.db import migrations, models

from fupin.core.schema import drop_foreign_key_index


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0004_member_id_number_unique_without_pattern_index'),
    ]

    operations = [
        drop_foreign_key_index('registry', 'incomerecord', 'household', models.ForeignKey(
            db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='incomes', to='registry.household',
            verbose_name='户')),
    ]
