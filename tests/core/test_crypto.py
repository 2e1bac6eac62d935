"""Issue 17, item 1: personal data encrypted at rest (fupin.core.crypto), found through blind indexes."""

import os
import re
import shutil
import stat
import subprocess

import pytest
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import IntegrityError, connection, transaction

from fupin.audit.models import AuditEntry
from fupin.core import crypto, encrypting
from fupin.declarations.models import Declaration
from fupin.registry import services
from fupin.registry.demo import build_demo_county
from fupin.registry.models import Household, Member
from tests import factories

ID_NUMBER = re.compile(rb"[0-9]{17}[0-9Xx]")


@pytest.fixture
def other_keys(monkeypatch):
    """Keys of the test's own, put back afterwards."""
    text = crypto.new_key_text()
    monkeypatch.setenv("FUPIN_DATA_KEYS", text)
    crypto.reload()
    yield text
    monkeypatch.delenv("FUPIN_DATA_KEYS")
    crypto.reload()


def test_values_round_trip_and_name_their_key(other_keys):
    sealed = crypto.encrypt("36072219800101001X", "id_number")
    assert sealed.startswith("$k1$") and "36072219800101001X" not in sealed
    assert crypto.decrypt(sealed, "id_number") == "36072219800101001X"
    assert crypto.encrypt("36072219800101001X", "id_number") == sealed  # deterministic: saves change nothing
    assert crypto.encrypt(sealed, "id_number") == sealed  # never sealed twice
    assert crypto.encrypt("", "phone") == "" and crypto.encrypt(None, "phone") is None
    assert crypto.decrypt_many([sealed, "", None], "id_number") == ["36072219800101001X", "", None]
    assert crypto.encrypt_many(["13800138000", ""], "phone")[0] == crypto.encrypt("13800138000", "phone")


def test_a_value_moved_to_another_purpose_or_altered_does_not_decrypt(other_keys):
    sealed = crypto.encrypt("13800138000", "phone")
    with pytest.raises(crypto.CryptoError):
        crypto.decrypt(sealed, "bank_account")
    altered = sealed[:-3] + ("A" if sealed[-3] != "A" else "B") + sealed[-2:]
    with pytest.raises(crypto.CryptoError):
        crypto.decrypt(altered, "phone")
    with pytest.raises(crypto.CryptoError):
        crypto.decrypt("$k9$" + sealed[4:], "phone")


def test_blind_index_is_keyed_and_column_wise_the_same(other_keys):
    values = ["36072219800101001X", "13800138000", "", None]
    assert crypto.blind_indexes(values, "id_number") == [crypto.blind_index(v, "id_number") for v in values]
    before = crypto.blind_index(values[0], "id_number")
    assert before != crypto.blind_index(values[0], "phone")
    os.environ["FUPIN_DATA_KEYS"] = crypto.new_key_text()
    crypto.reload()
    assert crypto.blind_index(values[0], "id_number") != before  # another key: nothing to compare against


def test_the_embedded_default_makes_a_key_file_of_mode_600(tmp_path, settings, monkeypatch):
    monkeypatch.delenv("FUPIN_DATA_KEYS", raising=False)
    monkeypatch.delenv("FUPIN_DATA_KEYS_FILE", raising=False)
    original, settings.VAR_DIR = settings.VAR_DIR, tmp_path
    try:
        ring = crypto.reload()
        path = tmp_path / crypto.KEY_FILE_NAME
        assert ring.source == str(path) and stat.S_IMODE(path.stat().st_mode) == 0o600
        assert crypto.reload().data_keys == ring.data_keys  # kept, not made again
    finally:
        settings.VAR_DIR = original
        monkeypatch.undo()
        crypto.reload()


def test_bad_key_text_is_refused_with_its_line():
    with pytest.raises(ImproperlyConfigured, match="第2行"):
        crypto.parse("index " + "A" * 43 + "=\ndata k1 short\n", "test")
    with pytest.raises(ImproperlyConfigured, match="不全"):
        crypto.parse("# nothing\n", "test")


def test_a_production_server_refuses_to_start_without_keys(settings, monkeypatch):
    settings.DEBUG, settings.EMBEDDED_DEFAULT_DATABASE = False, False
    monkeypatch.delenv("FUPIN_DATA_KEYS", raising=False)
    monkeypatch.delenv("FUPIN_DATA_KEYS_FILE", raising=False)
    with pytest.raises(ImproperlyConfigured, match="FUPIN_DATA_KEYS"):
        crypto.refuse_missing_keys_in_production()
    monkeypatch.setenv("FUPIN_DATA_KEYS_FILE", "/etc/fupin/data_keys")
    crypto.refuse_missing_keys_in_production()


def _stored(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM "{table}" WHERE id = %s', [pk])
        return cursor.fetchone()[0]


def test_members_and_households_are_stored_encrypted_and_found_by_their_numbers(tree):
    household = factories.make_household(head="张三")
    Household.objects.filter(pk=household.pk).update(phone="13800138000", bank_account="6228480000000000001")
    head = household.members.get(relation="head")
    stored = _stored("registry_member", "id_number", head.pk)
    assert crypto.is_encrypted(stored) and head.id_number not in stored
    assert crypto.is_encrypted(_stored("registry_household", "bank_account", household.pk))
    household.refresh_from_db()
    assert (household.phone, household.bank_account) == ("13800138000", "6228480000000000001")
    assert Member.objects.get(id_number=head.id_number) == head
    assert list(Member.objects.filter(id_number__in=[head.id_number, "x"])) == [head]
    assert not Member.objects.exclude(id_number=head.id_number).filter(pk=head.pk).exists()
    assert Member.objects.filter(household__members__id_number=head.id_number).exists()
    assert Household.objects.filter(phone="").count() == 0
    with pytest.raises(FieldError):
        Member.objects.filter(id_number__contains=head.id_number[6:14]).exists()
    with pytest.raises(FieldError):
        Household.objects.filter(phone="13800138000").exists()  # no blind index: not searchable


def test_an_id_number_stays_unique_through_its_blind_index(tree):
    household = factories.make_household(head="张三")
    head = household.members.get(relation="head")
    twin = Member(
        household=household,
        village_code=household.village_id,
        name="冒名",
        id_number=head.id_number,
        sex=head.sex,
        birth_date=head.birth_date,
        relation="son",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


def test_changing_an_id_number_with_update_fields_moves_its_index(tree):
    household = factories.make_household(head="张三")
    head = household.members.get(relation="head")
    new = factories.id_number()
    head.id_number = new
    head.save(update_fields=["id_number"])
    assert (
        Member.objects.get(id_number=new) == head
        and not Member.objects.filter(id_number=new[:-1] + "0").exists()
    )
    assert (
        Member.objects.filter(id_number_tail=Member._meta.get_field("id_number_tail").of(new)).get() == head
    )


def _plain_numbers(data: bytes, people: list[tuple[str, ...]]) -> set[str]:
    found = set()
    for values in people:
        for value in values:
            if value and value.encode() in data:
                found.add(value)
    return found


def test_no_demo_persons_number_phone_or_account_is_in_the_sqlite_file(tree):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite file; PostgreSQL: the pg_dump test")
    build_demo_county(persons=300, seed=5)
    # and one household through the services, whose audit entries record every value (audit.chain seals them)
    household = factories.make_household(head="张三", members=2)
    services.update_household(
        household, by=factories.admin_user(), phone="13800138000", bank_account="6228480000000000001"
    )
    assert AuditEntry.objects.filter(action="update", changes__has_key="bank_account").exists()
    people = [
        (m.id_number, m.phone, m.household.phone, m.household.bank_account)
        for m in Member.objects.select_related("household")
    ]
    assert all(p[0] for p in people) and any(p[2] for p in people) and any(p[3] for p in people)
    connection.ensure_connection()
    data = connection.connection.serialize()  # the database's file, byte for byte
    assert not _plain_numbers(data, people)
    assert not {n.decode() for n in ID_NUMBER.findall(data)} & {p[0] for p in people}


@pytest.mark.django_db(transaction=True)
def test_no_demo_persons_number_phone_or_account_is_in_a_pg_dump():
    if connection.vendor != "postgresql" or not shutil.which("pg_dump"):
        pytest.skip("PostgreSQL with pg_dump")
    build_demo_county(persons=300, seed=5)
    people = [
        (m.id_number, m.phone, m.household.phone, m.household.bank_account)
        for m in Member.objects.select_related("household")
    ]
    s = connection.settings_dict
    env = os.environ | {"PGPASSWORD": s.get("PASSWORD") or ""}
    args = ["pg_dump", "-h", s.get("HOST") or "127.0.0.1", "-p", str(s.get("PORT") or 5432)]
    args += ["-U", s.get("USER") or "postgres", s["NAME"]]
    dump = subprocess.run(args, capture_output=True, env=env, check=True, timeout=300).stdout
    assert b"registry_member" in dump
    assert not _plain_numbers(dump, people)


def test_declarations_keep_one_open_per_person_through_the_index(db, tree):
    from django.utils import timezone

    number = factories.id_number()
    common = {
        "channel": "self",
        "village_id": factories.VILLAGE,
        "name": "李四",
        "id_number": number,
        "phone": "13900139000",
        "hardship": "illness",
        "description": "看病",
        "received_at": timezone.now(),
        "received_on": timezone.localdate(),
        "verify_due": timezone.localdate(),
        "total_due": timezone.localdate(),
    }
    first = Declaration.objects.create(receipt="R1", **common)
    assert crypto.is_encrypted(_stored("declarations_declaration", "phone", first.pk))
    assert Declaration.objects.get(id_number=number) == first
    with pytest.raises(IntegrityError), transaction.atomic():
        Declaration.objects.create(receipt="R2", **common)


def test_the_in_place_encryption_is_resumable_and_reversible(tree):
    household = factories.make_household(head="张三", members=3)
    numbers = dict(Member.objects.values_list("pk", "id_number"))
    (table,) = encrypting.tables([Member])
    table = encrypting.Table(table.name, table.label, table.columns, table.indexes, versioned=False)
    encrypting.recrypt(table, decrypting=True, atomic_batches=False)  # as before the migration: plain text
    assert _stored("registry_member", "id_number", household.members.first().pk) in numbers.values()
    assert encrypting.pending(table) == len(numbers)
    encrypting.recrypt(table, batch=1, stop_after=1, atomic_batches=False)  # killed after one row
    assert encrypting.pending(table) == len(numbers) - 1
    assert dict(Member.objects.values_list("pk", "id_number")) == numbers  # readable meanwhile
    encrypting.recrypt(table, batch=2, atomic_batches=False)
    assert encrypting.pending(table) == 0
    assert dict(Member.objects.values_list("pk", "id_number")) == numbers
    assert all(Member.objects.filter(id_number=n).exists() for n in numbers.values())
