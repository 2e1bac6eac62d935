"""The members whose exported texts need escaping in JSON, as a partial index (PostgreSQL).

The persons' export (registry.person_export) writes a line's text between quotes as it is, unless the text
holds a quote, a backslash or a control character. Testing every row for that took a quarter of the export's
time in the database; with this index a chunk reads its few such persons (most often none) first. The
predicate is person_export.NeedsEscaping over person_export.COLUMNS, written out: the planner uses the index
only for that same condition (tests/api/test_person_export.py checks that it does). Building it over a million
members takes about 0.7 s; an import rebuilds it with the other indexes.
"""

from django.db import migrations

INDEX = "member_json_escaped"
TEXTS = (
    "village_code",
    "name",
    "sex",
    "relation",
    "ethnicity",
    "education",
    "schooling",
    "health",
    "labour_skill",
    "work_status",
    "disability_category",
    "disability_level",
)
# person_export.JSON_ESCAPED: a quote, a backslash, a control character
PATTERN = "E'[\"\\\\\\\\\\\\x01-\\\\x1f]'"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    texts = " || ".join(f'("registry_member"."{column}")' for column in TEXTS)
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON registry_member (id) WHERE (({texts}) ~ {PATTERN})"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0013_import_commit_chunks"),
    ]

    operations = [migrations.RunPython(create, drop)]
