"""Code columns (fupin.core.fields.CodeField): byte-wise collation on PostgreSQL, prefix searches from plain
indexes."""

import pytest
from django.db import connection

from fupin.audit.models import AuditEntry
from fupin.core.fields import BlindIndexField, CodeField, EncryptedField
from fupin.registry.models import Household, Member
from tests import factories

pytestmark = pytest.mark.django_db

CODE_COLUMNS = [
    (Household, "number"),
    (Member, "village_code"),
    (Member, "name_initials"),
    (AuditEntry, "scope_code"),
    (AuditEntry, "target_id"),
    (AuditEntry, "target_type"),
]


def test_code_columns_are_code_fields_and_collate_bytewise_only_on_postgresql():
    for model, name in CODE_COLUMNS:
        field = model._meta.get_field(name)
        assert isinstance(field, CodeField)
        assert field.db_parameters(connection).get("collation") == (
            "C" if connection.vendor == "postgresql" else None
        )
    assert (
        Member._meta.get_field("name").db_parameters(connection).get("collation") is None
    )  # names keep the locale's
    # ID numbers are encrypted at rest, no longer a code column: their blind index is what is indexed
    assert isinstance(Member._meta.get_field("id_number"), EncryptedField)
    assert isinstance(Member._meta.get_field("id_number_index"), BlindIndexField)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="collations and pattern indexes are PostgreSQL's"
)
def test_on_postgresql_the_columns_are_C_and_a_prefix_search_reads_the_plain_index():
    with connection.cursor() as cursor:
        for model, name in CODE_COLUMNS:
            cursor.execute(
                "SELECT c.collname FROM pg_attribute a JOIN pg_collation c ON c.oid = a.attcollation "
                "WHERE a.attrelid = %s::regclass AND a.attname = %s",
                [model._meta.db_table, name],
            )
            assert cursor.fetchone() == ("C",), name
        cursor.execute(
            "SELECT count(*) FROM pg_indexes WHERE tablename IN ('registry_household', 'registry_member', "
            "'audit_auditentry') AND indexdef LIKE '%pattern_ops%'"
        )
        assert cursor.fetchone() == (0,)
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN SELECT id FROM registry_household WHERE number LIKE '3607%'")
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute(
            "EXPLAIN SELECT id FROM registry_member WHERE village_code = '360702001001' "
            "AND name_initials LIKE 'ZS%'"
        )
        member_plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "registry_household_number_key" in plan and ">= '3607'::text" in plan.split("Index Cond")[1]
    assert "member_village_search" in member_plan and ">= 'ZS'::text" in member_plan.split("Index Cond")[1]


def test_codes_sort_as_python_sorts_them(users):
    numbers = ["360702001001X", "3607020010019", "36070200100A1", "360702001001"]
    for number in numbers:
        household = factories.make_household(factories.VILLAGE, members=1)
        Household.objects.filter(pk=household.pk).update(number=number)
    stored = list(
        Household.objects.filter(number__startswith="3607020010")
        .order_by("number")
        .values_list("number", flat=True)
    )
    assert stored == sorted(numbers)
