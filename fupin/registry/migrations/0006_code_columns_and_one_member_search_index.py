"""Code columns compared byte by byte, and fewer indexes for a bulk load to rebuild.

- 户编号 and the members' ID numbers, village codes and pinyin initials become CodeFields: collation "C" on
  PostgreSQL (fupin.core.fields). 户编号 is unique through a named constraint (the same one unique=True made)
  and loses its pattern-matching index: "C" lets the unique index answer prefix searches.
- The group's foreign key keeps one plain index, named in Meta, without the pattern-matching one.
- Members' two search indexes, (village, name) and (village, initials), become one: (village, initials)
  with the name read from the index (a name search scans the scope's entries there, as it did before:
  under a locale's collation LIKE 'name%' is no index condition). A bulk import of a million members
  rebuilt both, 0.7-0.9 s each.
SQLite's tables are not remade (that would drop the triggers of migration 0003).
"""
from django.db import migrations, models

import fupin.core.fields
from fupin.core.schema import code_fields, drop_indexes


class Migration(migrations.Migration):

    dependencies = [
        ('regions', '0001_initial'),
        ('registry', '0005_incomerecord_household_without_own_index'),
    ]

    operations = [
        code_fields('registry', 'household', {
            'number': fupin.core.fields.CodeField(max_length=20, verbose_name='户编号'),
        }, dropped={
            'registry_household_number_e2e04338_like':
                'CREATE INDEX registry_household_number_e2e04338_like ON registry_household (number varchar_pattern_ops)',
        }),
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.AddConstraint(
                model_name='household',
                constraint=models.UniqueConstraint(fields=('number',), name='registry_household_number_key'),
            ),
        ]),
        code_fields('registry', 'member', {
            'id_number': fupin.core.fields.CodeField(max_length=18, verbose_name='证件号码'),
            'name_initials': fupin.core.fields.CodeField(blank=True, max_length=20, verbose_name='拼音首字母'),
            'village_code': fupin.core.fields.CodeField(max_length=15, verbose_name='行政村代码'),
        }),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='household',
                    name='group',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=models.deletion.PROTECT,
                                            related_name='group_households', to='regions.region', verbose_name='自然村（组）'),
                ),
            ],
            database_operations=[drop_indexes({
                'registry_household_group_id_838947f5':
                    'CREATE INDEX registry_household_group_id_838947f5 ON registry_household (group_id)',
                'registry_household_group_id_838947f5_like':
                    'CREATE INDEX registry_household_group_id_838947f5_like ON registry_household (group_id varchar_pattern_ops)',
            })],
        ),
        migrations.AddIndex(
            model_name='household',
            index=models.Index(fields=['group'], name='household_group'),
        ),
        migrations.RemoveIndex(
            model_name='member',
            name='member_village_name',
        ),
        migrations.RemoveIndex(
            model_name='member',
            name='member_village_initials',
        ),
        migrations.AddIndex(
            model_name='member',
            index=models.Index(fields=['village_code', 'name_initials'], include=('name',), name='member_village_search'),
        ),
    ]
