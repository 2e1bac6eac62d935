"""An import reported as done survives a PostgreSQL crash right after it (issue 16, finding 11).

The writer's committing transaction keeps the server's synchronous_commit: with it off, PostgreSQL
answers COMMIT before the WAL reaches the disk, and a crash in the next fraction of a second loses
an import the job already called 已完成.
"""

import pytest
from django.db import connection

from fupin.registry import imports
from fupin.registry.importing import rows as row_wise
from fupin.registry.importing import writer as import_writer
from fupin.registry.models import Household
from tests import factories
from tests.registry.import_files import write_csv
from tests.registry.test_import_bulk import good_households

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the COPY writer is PostgreSQL's"),
]


def _watch_synchronous_commit(monkeypatch) -> list[str]:
    seen = []
    original = import_writer.Writer._next

    def watching(self):
        with connection.cursor() as cursor:  # the writer thread's connection, inside its transaction
            cursor.execute("SHOW synchronous_commit")
            seen.append(cursor.fetchone()[0])
        return original(self)

    monkeypatch.setattr(import_writer.Writer, "_next", watching)
    return seen


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("bulk", [False, True], ids=["row-wise", "bulk"])
def test_the_committing_transaction_keeps_synchronous_commit(tmp_path, monkeypatch, bulk):
    factories.make_tree()
    loader = factories.make_user("county", "county", factories.VILLAGE[:6])
    if bulk:
        monkeypatch.setattr(row_wise, "BULK_INDEX_MIN_ROWS", 1)
        monkeypatch.setattr(row_wise, "BULK_MIN_ROWS", 1)
    seen = _watch_synchronous_commit(monkeypatch)
    rows = [r for h in good_households(4) for r in h]
    result = imports.import_file(write_csv(tmp_path / "good.csv", rows), user=loader)
    assert result.imported and Household.objects.count() == 4
    assert seen and set(seen) == {"on"}
