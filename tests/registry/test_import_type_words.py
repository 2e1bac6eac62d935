"""Issue 18, finding 11: the seeds' own words for household types (五保户, 扶贫低保户) are accepted on import
and stored as the national codes (NATIONAL_FORM.md: 特困供养贫困户 = wubao, 低保贫困户 = dibao_poor)."""

import pytest

from fupin.registry import codes
from fupin.registry.imports import import_file
from fupin.registry.models import Household
from tests.registry.import_files import household, write_csv

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "word, code",
    [
        ("五保户", codes.HouseholdType.WUBAO),
        ("扶贫低保户", codes.HouseholdType.DIBAO_POOR),
        ("特困供养贫困户", codes.HouseholdType.WUBAO),
        ("低保户", codes.HouseholdType.DIBAO),
    ],
)
def test_the_seeds_words_for_a_household_type_are_imported_as_the_national_code(tmp_path, users, word, code):
    path = tmp_path / "households.csv"
    write_csv(path, household("王大山", **{"贫困户属性": word}))
    result = import_file(path, user=users["county"])
    assert result.imported and not result.errors, [(e.row, e.column, e.reason) for e in result.errors]
    assert Household.objects.get(head_name="王大山").household_type == code


def test_an_unknown_type_is_still_refused_with_the_words_it_accepts(tmp_path, users):
    path = tmp_path / "households.csv"
    write_csv(path, household("王大山", **{"贫困户属性": "特困户"}))
    result = import_file(path, user=users["county"])
    assert not result.imported
    (error,) = result.errors[:1]
    assert error.column == "贫困户属性" and "不是有效的贫困户属性" in error.reason
