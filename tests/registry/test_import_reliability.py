"""Issue 16, findings 6–10: the national form as counties really export it, read right or refused clearly.

Each test here failed on the importer before the fix (noted per test); both paths (row-wise and the
PostgreSQL bulk path) give the same errors where they differ in code.
"""
import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from fupin.registry import services
from fupin.registry.imports import import_file
from fupin.registry.models import Household, IncomeRecord
from tests import factories
from tests.registry.import_files import household, write_csv

pytestmark = pytest.mark.django_db

BIG = "9999999999.99"  # the most numeric(12,2) holds: each field passes, their sum does not


def errors_of(result):
    return [(e.row, e.column, e.reason) for e in result.errors]


# --- 6. overflow: limits checked where they are typed, with row and column --------------------------------

def overflowing(head="钱多多"):
    return household(head, members=(), 工资性收入=BIG, 生产经营性收入=BIG, 低保金="0", 生产经营性支出="0")


def test_an_income_total_past_the_column_is_a_row_error_and_the_valid_households_are_kept(tmp_path, users):
    """Before: SQLite stored 19,999,999,999.98 (PostgreSQL refused the whole file with DataError)."""
    rows = household("王大山") + overflowing()
    result = import_file(write_csv(tmp_path / "big.csv", rows), user=users["county"], only_valid_rows=True)
    assert result.imported and result.households_created == 1
    assert [(e.row, e.column) for e in result.errors if e.column] == [(4, "年人均纯收入")]  # 王大山 and his son on rows 2–3
    assert "超过上限 9,999,999,999.99 元" in result.errors[0].reason
    assert not Household.objects.filter(head_name="钱多多").exists()
    assert Household.objects.filter(head_name="王大山").exists()


def test_an_income_total_past_the_column_refuses_the_file_without_a_database_error(tmp_path, users):
    result = import_file(write_csv(tmp_path / "big.csv", overflowing()), user=users["county"])
    assert not result.imported and errors_of(result)[0][:2] == (2, "年人均纯收入")
    assert not IncomeRecord.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the bulk path is PostgreSQL's")
def test_the_bulk_path_reports_the_overflow_like_the_row_wise_path(tmp_path, users):
    from tests.registry.test_import_bulk import assert_same, both_paths, good_households

    rows = [r for h in good_households(6) for r in h] + overflowing()
    outcomes = both_paths(write_csv(tmp_path / "big.csv", rows), users["county"], only_valid_rows=True)
    assert outcomes[1][0].households_created == 6
    assert any(e.column == "年人均纯收入" for e in outcomes[1][0].errors)
    assert_same(outcomes)


def test_record_income_refuses_a_total_past_the_column(tree):
    """Before: SQLite stored it, PostgreSQL answered DataError (a 500 on the page)."""
    h = factories.make_household(members=1, income=None)
    with pytest.raises(services.RegistryError) as refused:
        services.record_income(h, by=factories.admin_user(), year=2024, wages=BIG, production=BIG)
    assert "年人均纯收入" in str(refused.value) and "超过上限" in str(refused.value)
    with pytest.raises(services.RegistryError) as refused:  # a single field past the column, from a service caller
        services.record_income(h, by=factories.admin_user(), year=2024, wages="10000000000")
    assert "wages" in refused.value.errors
    assert not IncomeRecord.objects.filter(household=h).exists()


def test_the_income_page_shows_the_overflow_instead_of_a_server_error(users, client, tree):
    h = factories.make_household(members=1, income=None)
    client.force_login(users["clerk"])
    data = {"year": "2024", "wages": BIG, "production": BIG, "property_income": "", "family_planning": "",
            "dibao": "", "wubao": "", "pension": "", "eco_compensation": "", "other_transfers": "",
            "productive_expenditure": "", "household_size": ""}
    response = client.post(reverse("registry:income_record", args=[h.pk]), data)
    assert response.status_code == 200 and "超过上限 9,999,999,999.99 元" in response.content.decode()
    assert not IncomeRecord.objects.filter(household=h, year=2024).exists()


# --- 7. 户编号 past 9,999 households in a village -----------------------------------------------------------

def crowded_village(count=10_000):
    """factories.VILLAGE numbered up to …{count}: one household made properly, then copies of its row numbered
    …0002–…0050 and the last 50 up to `count` (the numbers in between change nothing but the time)."""
    h = factories.make_household(members=1, income=None)
    assert h.number == factories.VILLAGE + "0001"
    row = {f.attname: getattr(h, f.attname) for f in Household._meta.concrete_fields if f.attname != "id"}
    Household.objects.bulk_create((Household(**row | {"number": f"{factories.VILLAGE}{i:04d}"})
                                   for i in sorted({*range(2, min(count, 50) + 1), *range(max(count - 49, 2), count + 1)})))


def test_new_household_numbers_go_on_past_9999(users, client, tree):
    """Before: MAX(number) compared text, so …9999 was the last and …10000 was given again (IntegrityError)."""
    crowded_village()
    assert services.next_household_number(factories.VILLAGE) == factories.VILLAGE + "10001"
    made = [services.create_household(by=users["clerk"], village_code=factories.VILLAGE, primary_cause="illness")
            for _ in range(2)]
    assert [h.number for h in made] == [factories.VILLAGE + "10001", factories.VILLAGE + "10002"]


def test_imports_into_a_village_past_9999_households_number_new_ones_after_the_last(tmp_path, users, tree):
    """Before: the import failed with IntegrityError (“导入期间有人修改了…” on the job)."""
    crowded_village()
    for name, heads in (("a.csv", ("甲", "乙")), ("b.csv", ("丙",))):
        rows = [r for head in heads for r in household(head + "大山")]
        result = import_file(write_csv(tmp_path / name, rows), user=users["county"])
        assert result.imported and not result.errors
    numbers = dict(Household.objects.filter(head_name__endswith="大山").values_list("head_name", "number"))
    assert numbers == {"甲大山": factories.VILLAGE + "10001", "乙大山": factories.VILLAGE + "10002",
                       "丙大山": factories.VILLAGE + "10003"}


def test_a_village_numbered_with_other_shapes_still_counts_its_own_sequence(tree):
    crowded_village(3)
    h = Household.objects.get(number=factories.VILLAGE + "0003")
    h.pk, h.number = None, factories.VILLAGE + "99A"  # a 户编号 a file gave: not part of the sequence
    h.save()
    assert services.next_household_number(factories.VILLAGE) == factories.VILLAGE + "0004"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the bulk path is PostgreSQL's")
def test_the_bulk_path_numbers_past_9999_like_the_row_wise_path(tmp_path, users, tree):
    from tests.registry.test_import_bulk import assert_same, both_paths, good_households

    crowded_village()
    outcomes = both_paths(write_csv(tmp_path / "n.csv", [r for h in good_households(6) for r in h]), users["county"])
    assert outcomes[1][0].households_created == 6 and not outcomes[1][0].errors
    assert {f"{factories.VILLAGE}{i}" for i in range(10001, 10007)} <= set(outcomes[1][1]["numbers"])
    assert_same(outcomes)
