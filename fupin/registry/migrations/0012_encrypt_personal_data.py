"""Members' ID numbers and phones, households' phones and bank accounts encrypted in place (fupin.core.crypto).

Blind-index columns (BIGINT, nullable) are added with ALTER TABLE on both databases, so SQLite's tables are
not remade (that would drop the triggers of migrations 0003 and 0009). On PostgreSQL the columns become
text (the ciphertext is longer than the value), which needs the version triggers dropped and made again
around it. Then every row is encrypted and indexed in batches of 2000, walked by id, with progress on
the console, so a registry of millions is never loaded whole. The unique constraint on the ID number
moves to its blind index (same name); SQLite keeps its inline UNIQUE on the column too, which still holds
(the encryption is deterministic). Reversible: the reverse decrypts in place and puts the columns back.
"""

import importlib
import sys

from django.db import migrations, models

import fupin.core.fields

versions = importlib.import_module("fupin.registry.migrations.0009_household_and_member_versions")

TYPES = {
    "registry_member": {"id_number": 'varchar(18) COLLATE "C"', "phone": "varchar(20)"},
    "registry_household": {"phone": "varchar(20)", "bank_account": "varchar(40)"},
}
INDEXES = ("id_number_index", "id_number_tail")


def _progress(table, done, total):
    if total >= 10000 and "test" not in sys.argv[0]:
        print(f"  {table.name}: {done}/{total}", flush=True)


def _recrypt(apps, schema_editor, decrypting):
    from fupin.core import encrypting

    for table in encrypting.tables([apps.get_model("registry", "Member"), apps.get_model("registry", "Household")]):
        table = encrypting.Table(table.name, table.label, table.columns, table.indexes, versioned=False)
        encrypting.recrypt_any(
            table,
            decrypting=decrypting,
            progress=_progress,
            connection=schema_editor.connection,
            atomic_batches=False,
        )


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        versions.drop(apps, schema_editor)
        schema_editor.execute('ALTER TABLE "registry_member" DROP CONSTRAINT IF EXISTS registry_member_id_number_key')
        for table, columns in TYPES.items():
            for column in columns:
                schema_editor.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE text COLLATE "default"')
    for column in INDEXES:
        schema_editor.execute(f'ALTER TABLE "registry_member" ADD COLUMN "{column}" bigint NULL')
    _recrypt(apps, schema_editor, decrypting=False)
    if vendor == "postgresql":
        schema_editor.execute('ALTER TABLE "registry_member" ADD CONSTRAINT registry_member_id_number_key '
                              'UNIQUE ("id_number_index")')
        versions.create(apps, schema_editor)
    else:
        schema_editor.execute('CREATE UNIQUE INDEX registry_member_id_number_key ON "registry_member" '
                              '("id_number_index")')
    schema_editor.execute('CREATE INDEX member_id_number_tail ON "registry_member" ("id_number_tail")')


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    schema_editor.execute("DROP INDEX IF EXISTS member_id_number_tail")
    if vendor == "postgresql":
        versions.drop(apps, schema_editor)
        schema_editor.execute('ALTER TABLE "registry_member" DROP CONSTRAINT registry_member_id_number_key')
    else:
        schema_editor.execute("DROP INDEX IF EXISTS registry_member_id_number_key")
    _recrypt(apps, schema_editor, decrypting=True)
    for column in INDEXES:
        schema_editor.execute(f'ALTER TABLE "registry_member" DROP COLUMN "{column}"')
    if vendor == "postgresql":
        for table, columns in TYPES.items():
            for column, kind in columns.items():
                schema_editor.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE {kind}')
        schema_editor.execute('ALTER TABLE "registry_member" ADD CONSTRAINT registry_member_id_number_key '
                              'UNIQUE ("id_number")')
        versions.create(apps, schema_editor)


def _encrypted(max_length, purpose, name, blank=True):
    return fupin.core.fields.EncryptedField(blank=blank, max_length=max_length, purpose=purpose, verbose_name=name)


class Migration(migrations.Migration):

    dependencies = [
        ("registry", "0011_versions"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(model_name="member", name="registry_member_id_number_key"),
                migrations.AddField(
                    model_name="member",
                    name="id_number_index",
                    field=fupin.core.fields.BlindIndexField(purpose="id_number", source="id_number"),
                ),
                migrations.AddField(
                    model_name="member",
                    name="id_number_tail",
                    field=fupin.core.fields.BlindIndexField(last=6, purpose="id_number", source="id_number"),
                ),
                migrations.AlterField(
                    model_name="household", name="bank_account", field=_encrypted(40, "bank_account", "银行账号")
                ),
                migrations.AlterField(model_name="household", name="phone", field=_encrypted(20, "phone", "联系电话")),
                migrations.AlterField(
                    model_name="member", name="id_number", field=_encrypted(18, "id_number", "证件号码", blank=False)
                ),
                migrations.AlterField(model_name="member", name="phone", field=_encrypted(20, "phone", "联系电话")),
                migrations.AddIndex(
                    model_name="member",
                    index=models.Index(fields=["id_number_tail"], name="member_id_number_tail"),
                ),
                migrations.AddConstraint(
                    model_name="member",
                    constraint=models.UniqueConstraint(fields=("id_number_index",), name="registry_member_id_number_key"),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
