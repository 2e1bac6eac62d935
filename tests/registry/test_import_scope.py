"""Issue 14, finding 7 (b): the import's error report names no household outside the importing user's scope,
not even through the head's ID number a row gives."""

import pytest
from openpyxl import load_workbook

from fupin.registry.imports import import_file
from fupin.registry.models import ImportJob
from tests import factories
from tests.registry.import_files import household, write_csv

pytestmark = pytest.mark.django_db


def _report_text(result) -> str:
    text = " ".join(f"{e.row} {e.column} {e.value} {e.reason}" for e in result.errors)
    job = ImportJob.objects.order_by("-pk").first()
    if job is not None and job.error_file:
        with job.error_file.open("rb") as f:
            text += " ".join(
                str(c)
                for row in load_workbook(f, read_only=True).active.iter_rows(values_only=True)
                for c in row
            )
    return text


@pytest.mark.parametrize("member_row", [0, 1])
def test_an_id_number_registered_in_another_county_is_reported_without_naming_its_household(
    tmp_path, users, member_row
):
    other = factories.make_household(factories.OTHER_COUNTY_VILLAGE, head="外县户主")
    taken = other.members.get(relation="head").id_number
    rows = household("王大山")
    for row in rows:
        row.pop("户编号", None)
    if member_row == 0:  # the head of the new household: the import looks the household up by it
        rows[0]["证件号码"] = rows[1]["户主证件号码"] = rows[0]["户主证件号码"] = taken
    else:
        rows[1]["证件号码"] = taken
    path = tmp_path / "h.csv"
    write_csv(path, rows)
    result = import_file(path, user=users["clerk"])
    assert not result.imported and result.errors
    text = _report_text(result)
    for secret in (other.number, other.village_id, "外县户主", "大余县", "余西街"):
        assert secret not in text, secret
    assert "其他" in text
