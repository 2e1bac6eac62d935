"""Issue 17: the import writes ID numbers, phones and bank accounts encrypted (the row-wise path through the
ORM, the bulk path's COPY column-wise), matches them by blind index on a rerun, and masks its error report."""

import io
import zipfile

import pytest
from django.db import connection

from fupin.core import crypto, idnumber
from fupin.registry import imports
from fupin.registry.importing import report as import_report
from fupin.registry.models import Household, Member
from tests.registry.import_files import household, write_csv

PATHS = ["row-wise", "bulk"]


def _run(path, user, which):
    importer = imports.Importer(user=user)
    importer.bulk_min_rows = 0 if which == "bulk" else 10**9
    result = importer.run(path)
    assert importer.path == which
    return result


def _raw(table: str, column: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM "{table}"')
        return [v for (v,) in cursor.fetchall()]


@pytest.mark.parametrize("which", PATHS)
def test_an_import_stores_personal_values_encrypted_and_a_rerun_changes_nothing(users, tmp_path, which):
    if which == "bulk" and connection.vendor != "postgresql":
        pytest.skip("the bulk path is PostgreSQL's")
    rows = household("王大山", **{"银行账号": "6228480000000000001"}) + household("李四海")
    path = write_csv(tmp_path / "two.csv", rows)
    first = _run(path, users["county"], which)
    assert first.imported and first.members_created == 4, first.errors
    numbers = {r["证件号码"] for r in rows}
    assert set(Member.objects.values_list("id_number", flat=True)) == numbers
    stored = _raw("registry_member", "id_number") + _raw("registry_household", "phone")
    stored += [v for v in _raw("registry_household", "bank_account") if v]
    assert stored and all(crypto.is_encrypted(v) for v in stored)
    assert not {v for v in stored if v in numbers or "13800138000" in v or "6228480000000000001" in v}
    assert Household.objects.filter(bank_account__isnull=False).exclude(
        bank_account=""
    ).get().bank_account == ("6228480000000000001")
    assert all(Member.objects.filter(id_number=n).exists() for n in numbers)  # the blind index was written
    again = _run(path, users["county"], which)
    assert again.members_created == 0 and again.members_updated == 0 and again.unchanged_rows == len(rows)


def test_the_error_report_masks_numbers_phones_and_accounts():
    number = "36072219800101001X"
    errors = [
        import_report.RowError(2, "证件号码", number, f"身份证号 {number} 已登记在另一户"),
        import_report.RowError(3, "联系电话", "13800138000", "格式不对"),
        import_report.RowError(4, "银行账号", "6228480000000000001", "太长"),
        import_report.RowError(5, "证件号码", "-2+3+cmd", "格式不对"),  # not a number: kept as typed
    ]
    out = io.BytesIO()
    import_report.write_error_report(errors, out)
    kept = [import_report.masked(e) for e in errors]
    assert kept[0].value == idnumber.mask(number) and number not in kept[0].reason
    assert kept[1].value == idnumber.mask_phone("13800138000") and "6228480000000000001" != kept[2].value
    assert kept[3].value == "-2+3+cmd"
    with zipfile.ZipFile(out) as book:
        text = b"".join(book.read(n) for n in book.namelist())
    assert number.encode() not in text and b"13800138000" not in text and b"6228480000000000001" not in text
