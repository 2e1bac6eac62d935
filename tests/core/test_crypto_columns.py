"""Issue 17: long columns are encrypted, decrypted and blind-indexed half on a worker process
(fupin.core.crypto_columns), with exactly the results of this process; the import's bulk path seals its
batches there while it screens the next chunk; a worker that dies leaves the work to this process."""

import os
import signal

import pytest
from django.db import connection

from fupin.core import crypto, crypto_columns
from fupin.registry import imports
from fupin.registry.models import Member
from tests.registry.import_files import household, write_csv

LONG = 2 * crypto_columns.WORKER_FROM


@pytest.fixture
def other_keys(monkeypatch):
    """Keys of the test's own, put back afterwards."""
    text = crypto.new_key_text()
    monkeypatch.setenv("FUPIN_DATA_KEYS", text)
    crypto.reload()
    yield text
    monkeypatch.delenv("FUPIN_DATA_KEYS")
    crypto.reload()


@pytest.fixture
def fresh_worker(monkeypatch):
    """A worker of the test's own (one a test killed is not left to the next)."""
    crypto_columns.stop_worker()
    monkeypatch.setattr(crypto_columns, "_pool_failed", False)
    yield
    crypto_columns.stop_worker()


def _numbers(count: int) -> list[str | None]:
    values: list[str | None] = [f"3607221980{i:07d}X" for i in range(count)]
    values[1], values[2] = "", None
    return values


def test_a_long_column_is_sealed_on_the_worker_as_this_process_seals_it(other_keys, fresh_worker):
    values = _numbers(LONG)
    sealed = crypto.encrypt_many(values, "id_number")
    pid = crypto_columns.worker_pid()
    assert pid is not None and pid != os.getpid()
    assert sealed[:3] == [crypto.encrypt(values[0], "id_number"), "", None]
    assert sealed[-1] == crypto.encrypt(values[-1], "id_number")  # the half done on the worker
    assert crypto.decrypt_many(sealed, "id_number") == values
    assert crypto.blind_indexes(values, "id_number")[-2:] == [
        crypto.blind_index(v, "id_number") for v in values[-2:]
    ]


def test_the_worker_s_half_goes_as_one_text_and_odd_values_come_back_intact(
    other_keys, fresh_worker, monkeypatch
):
    """The worker's half of a decryption is sent as one text parted by JOINED (a million small strings
    through the pipe cost a third of the time); a None, or a value that decrypts to text holding the
    separator, sends or finishes that half the plain way, with the same values."""
    sent = []
    submit = crypto_columns.submit
    monkeypatch.setattr(
        crypto_columns, "submit", lambda keys, jobs: sent.append(jobs[0][0]) or submit(keys, jobs)
    )
    values = _numbers(LONG)
    assert crypto.decrypt_many(crypto.encrypt_many(values, "id_number"), "id_number") == values
    odd = values[:-2] + ["a\x1fb", None]
    assert crypto.decrypt_many(crypto.encrypt_many(odd, "id_number"), "id_number") == odd
    holding = values[:-1] + ["c\x1fd"]
    assert crypto.decrypt_many(crypto.encrypt_many(holding, "id_number"), "id_number") == holding
    assert sent.count("decrypt joined") == 2 and sent.count("decrypt") == 1


def test_the_tail_index_is_the_index_of_the_last_characters(other_keys, fresh_worker):
    values = _numbers(LONG)
    tails = crypto.blind_indexes(values, "id_number", 6)
    assert tails[:3] == [crypto.blind_index(values[0][-6:], "id_number"), None, None]  # type: ignore[index]
    assert tails[-5:] == [crypto.blind_index(v[-6:], "id_number") for v in values[-5:]]  # type: ignore[index]
    assert tails[10] != tails[11]


def test_the_worker_seals_with_a_key_added_meanwhile(other_keys, fresh_worker, monkeypatch):
    values = _numbers(LONG)
    before = crypto.encrypt_many(values, "id_number")
    ring = crypto.keyring()
    monkeypatch.setenv("FUPIN_DATA_KEYS", other_keys + f"data k2 {crypto.new_key_text().split()[-1]}\n")
    crypto.reload()
    after = crypto.encrypt_many(values, "id_number")
    assert ring.current == "k1" and crypto.keyring().current == "k2"
    assert crypto.key_id_of(before[-1]) == "k1" and crypto.key_id_of(after[-1]) == "k2"
    mixed = before[: LONG // 2] + after[LONG // 2 :]
    assert crypto.decrypt_many(mixed, "id_number") == values


def test_a_value_altered_on_the_worker_s_half_is_refused(other_keys, fresh_worker):
    sealed = crypto.encrypt_many(_numbers(LONG), "id_number")
    last = sealed[-1]
    assert last is not None
    # a character well inside the base64 (the last ones before "==" may carry only padding bits)
    sealed[-1] = last[:-10] + ("A" if last[-10] != "A" else "B") + last[-9:]
    with pytest.raises(crypto.CryptoError):
        crypto.decrypt_many(sealed, "id_number")


def test_a_worker_that_dies_leaves_the_work_to_this_process(other_keys, fresh_worker):
    values = _numbers(LONG)
    pid = crypto_columns.worker_pid()
    assert pid is not None
    keys = crypto.column_keys()
    jobs = [("encrypt", "id_number", values)]
    os.kill(pid, signal.SIGKILL)
    future = crypto_columns.submit(keys, jobs)
    assert crypto_columns.result(future, keys, jobs)[0][-1] == crypto.encrypt(values[-1], "id_number")
    assert crypto.encrypt_many(values, "id_number")[-1] == crypto.encrypt(values[-1], "id_number")
    assert crypto_columns.worker_pid() is None  # not started again: this process does the work


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_the_bulk_import_seals_its_batches_on_the_worker(users, tmp_path, fresh_worker, monkeypatch):
    monkeypatch.setattr(crypto_columns, "SUBMIT_FROM", 1)

    def not_here(keys, jobs):
        raise AssertionError("sealed in the importing process")

    monkeypatch.setattr(crypto_columns, "run", not_here)  # the worker runs its own
    rows = household("王大山", **{"银行账号": "6228480000000000001"}) + household("李四海")
    importer = imports.Importer(user=users["county"])
    importer.bulk_min_rows = 0
    result = importer.run(write_csv(tmp_path / "two.csv", rows))
    assert importer.path == "bulk" and result.imported and result.members_created == 4, result.errors
    assert crypto_columns.worker_pid() not in (None, os.getpid())
    numbers = {r["证件号码"] for r in rows}
    assert set(Member.objects.values_list("id_number", flat=True)) == numbers
    assert all(Member.objects.filter(id_number=n).count() == 1 for n in numbers)  # the blind index
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM registry_member")
        stored = [v for row in cursor.fetchall() for v in row if v]
    assert stored and all(crypto.is_encrypted(v) for v in stored)
