"""The import's audit entries extend the counties' hash chains, on the row-wise path and on PostgreSQL's
bulk path (COPY), and fupin audit-verify accepts them."""

import pytest
from django.db import connection, transaction

from fupin.audit.models import AuditEntry, ChainHead
from fupin.audit.services import record
from fupin.audit.verify import verify
from fupin.registry import imports
from tests import factories
from tests.registry.import_files import household, write_csv

COUNTY = factories.VILLAGE[:6]


def households(n):
    # names with a quote and a backslash: the bulk path JSON-escapes them column-wise, as json.dumps does
    return [
        r
        for i in range(n)
        for r in household(f"王{'一二三四五六七八九十'[i % 10]}{i}" + ('"\\' if i == 0 else ""))
    ]


def run_import(path, user, *, bulk: bool):
    importer = imports.Importer(user=user, source_name='名单"2025"\\.csv')
    importer.bulk_min_rows = 0 if bulk else 10**9
    result = importer.run(path)
    assert importer.path == ("bulk" if bulk else "row-wise")  # the bulk path (COPY) must really take the file
    return result


def check_chain_after_import(tmp_path, users, *, bulk):
    clerk = users["clerk"]
    record(by=clerk, action="before", target=clerk, scope_code=factories.VILLAGE)  # the chain is not new
    result = run_import(
        write_csv(tmp_path / "h.csv", households(6)), users["county"], bulk=bulk
    )  # registered data: the county's
    assert result.imported and result.households_created == 6
    record(by=clerk, action="after", target=clerk, scope_code=factories.VILLAGE)
    entries = list(AuditEntry.objects.filter(chain=COUNTY).order_by("seq"))
    assert [e.action for e in entries] == ["before"] + ["import_create"] * 6 + ["after"]
    assert [e.seq for e in entries] == list(range(1, 9))
    assert ChainHead.objects.get(chain=COUNTY).seq == 8
    report = verify()
    assert report.ok, report.problems


def test_row_wise_import_entries_are_chained(tmp_path, users):
    check_chain_after_import(tmp_path, users, bulk=False)


@pytest.mark.postgres
def test_bulk_import_entries_are_chained(tmp_path, users):
    if connection.vendor != "postgresql":
        pytest.skip("the bulk path is PostgreSQL's")
    with transaction.atomic():
        check_chain_after_import(tmp_path, users, bulk=True)
