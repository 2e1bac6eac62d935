"""After `fupin seed-demo` (households, their history, the field app's sync and its conflict on a phone, any
change requests and declarations), no ID number, phone or bank account of any demo person is in the database
file in plain text (issue 17: "strings var/fupin.sqlite3 | grep" finds none). The registry alone is checked in
tests/core/test_crypto.py (and its pg_dump); this covers every app's tables the demo fills."""

import re

import pytest
from django.db import connection

from fupin.assistance.models import Helper
from fupin.changes.models import ChangeRequest
from fupin.declarations.models import Declaration
from fupin.field.models import Conflict
from fupin.registry.models import Household, Member

from .test_lived_in import demo  # noqa: F401  (the fixture)

ID_NUMBER = re.compile(rb"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")


def _values(data, keys=("id_number", "phone", "bank_account", "contact_phone", "head_id_number")) -> set[str]:
    """Every personal value inside a change request's JSON, wherever it nests."""
    if isinstance(data, dict):
        return {v for k, v in data.items() if k in keys and isinstance(v, str) and v} | {
            x for v in data.values() for x in _values(v, keys)
        }
    if isinstance(data, list):
        return {x for v in data for x in _values(v, keys)}
    return set()


@pytest.mark.usefixtures("demo")
def test_no_demo_persons_number_phone_or_account_is_in_the_database_file():
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite file; PostgreSQL: tests/core/test_crypto.py's pg_dump test")
    personal = set()
    for m in Member.objects.all():
        personal |= {m.id_number, m.phone}
    for h in Household.objects.all():
        personal |= {h.phone, h.bank_account}
    for d in Declaration.objects.all():
        personal |= {d.id_number, d.phone}
    for c in ChangeRequest.objects.all():
        personal |= _values(c.payload) | _values(c.before)
    for conflict in Conflict.objects.all():
        personal |= {str(v) for v in (conflict.base, conflict.theirs, conflict.mine) if v}
    # helpers' (帮扶责任人, staff) work phones are a column of their own, not a person's record: the demo
    # numbers them 13900000001… as it does the phone its sync conflict is about, so they are left out
    # (the conflict's values at rest: tests/field/test_merge.py)
    staff = set(Helper.objects.values_list("phone", flat=True))
    personal = {v for v in personal if v and len(v) >= 7} - staff
    assert Conflict.objects.exists()  # the demo's sync conflict is on a member's phone (fupin/demo/field.py)
    connection.ensure_connection()
    data = connection.connection.serialize()  # the database's file, byte for byte
    assert not {v for v in personal if v.encode() in data}
    assert not {n.decode() for n in ID_NUMBER.findall(data)} & personal
