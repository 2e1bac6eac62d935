"""An import started from the English pages reads the national form's Chinese cells: a code list given as a
list of (code, label) pairs (民族) compared its cells with the labels in the reader's language, so 汉族 was
refused as "Not a valid 民族" (found by the suite on PostgreSQL, where a test had left English active)."""

import pytest
from django.utils import translation

from fupin.registry import codes, imports
from fupin.registry.models import Member
from tests.registry.import_files import household, write_csv


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_code_list_reads_its_chinese_labels_and_codes_in_any_language(language):
    with translation.override(language):
        assert codes.lookup(codes.ETHNICITIES, "汉族") == "01"
        assert codes.lookup(codes.ETHNICITIES, "02") == "02"
        assert codes.lookup(codes.ETHNICITIES, "火星族") is None
    with translation.override("en"):
        assert codes.lookup(codes.ETHNICITIES, str(codes.ETHNICITIES[2][1])) == "03"  # the reader's own word


def test_an_import_from_the_english_pages_takes_the_forms_chinese_ethnicity(users, tmp_path):
    rows = household("王大山", **{"民族": "汉族"})
    with translation.override("en"):
        result = imports.Importer(user=users["county"]).run(write_csv(tmp_path / "one.csv", rows))
    assert result.imported and not result.errors, result.errors
    assert set(Member.objects.values_list("ethnicity", flat=True)) == {"01"}
