"""Issue 17: `fupin rotate-keys` re-encrypts with a new key while fupin serves; killed half-way and rerun, it
finishes; every record reads with either key meanwhile."""

import threading

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.urls import reverse

from fupin.core import crypto, encrypting
from fupin.registry.models import Household, Member
from tests import factories
from tests.core.test_redis_queue import redis_queue  # noqa: F401  (the Redis queue fixture)


@pytest.fixture
def key_file(tmp_path, monkeypatch):
    """The keys the test data is written with, in a key file of the test's own that rotate-keys can add to."""
    path = tmp_path / "data_keys"
    crypto.write_key_file(path, crypto.keyring().text())
    monkeypatch.setenv("FUPIN_DATA_KEYS_FILE", str(path))
    monkeypatch.delenv("FUPIN_DATA_KEYS", raising=False)
    crypto.reload()
    yield path
    monkeypatch.undo()
    crypto.reload()


def _state():
    members = {
        pk: (n, p, v) for pk, n, p, v in Member.objects.values_list("pk", "id_number", "phone", "version")
    }
    households = dict(Household.objects.values_list("pk", "bank_account"))
    return members, households


def _key_ids(table: str, column: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM "{table}"')
        return {crypto.key_id_of(v) for (v,) in cursor.fetchall() if v}


@pytest.fixture
def registry(users):
    households = [factories.make_household(head=f"户主{i}", members=3) for i in range(3)]
    Household.objects.filter(pk=households[0].pk).update(bank_account="6228480000000000001")
    Member.objects.filter(household=households[1]).update(phone="13800138000")
    return households


def test_rotation_killed_half_way_reads_with_either_key_and_a_rerun_finishes(
    client, users, registry, key_file
):
    before = _state()
    ring = crypto.add_data_key()
    assert ring.current == "k2" and "k1" in ring.data_keys and key_file.stat().st_mode & 0o777 == 0o600
    tables = encrypting.tables([Member, Household])
    for table in tables:
        encrypting.recrypt(table, batch=2, stop_after=1)  # killed after its first batch
    assert _key_ids("registry_member", "id_number") == {"k1", "k2"}
    assert _state() == before  # every value reads, the versions untouched
    client.force_login(users["county"])
    for household in registry:  # serving meanwhile: the page shows the numbers of either key
        page = client.get(reverse("registry:household_detail", args=[household.pk]))
        assert page.status_code == 200
    head = registry[2].members.get(relation="head")
    assert (
        Member.objects.get(id_number=head.id_number) == head
    )  # the blind index does not change with the key
    call_command("rotate_keys", verbosity=0)
    assert crypto.keyring().current == "k2"  # the rerun finished the rotation, no third key
    assert (
        _key_ids("registry_member", "id_number") == {"k2"} == _key_ids("registry_household", "bank_account")
    )
    assert not any(encrypting.pending(t) for t in tables)
    assert _state() == before


@pytest.mark.django_db(transaction=True)
def test_rotation_while_another_connection_reads(users, registry, key_file):
    if connection.vendor != "postgresql":
        pytest.skip("two connections at once: PostgreSQL (the test SQLite database is one in-memory file)")
    before = _state()
    errors, done = [], threading.Event()

    def reader():
        try:
            while not done.is_set():
                if _state()[0].keys() != before[0].keys():
                    errors.append("members changed")
                for pk, (number, _phone, _v) in _state()[0].items():
                    if number != before[0][pk][0]:
                        errors.append(pk)
        except Exception as e:  # pragma: no cover - the failure is reported below
            errors.append(repr(e))
        finally:
            connections.close_all()

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        call_command("rotate_keys", batch=2, verbosity=0)
    finally:
        done.set()
        thread.join(60)
    assert not errors and _state() == before
    assert _key_ids("registry_member", "id_number") == {crypto.keyring().current}


def test_keys_from_the_environment_cannot_be_added_to(monkeypatch, db):
    from django.core.management.base import CommandError

    monkeypatch.setenv("FUPIN_DATA_KEYS", crypto.keyring().text())
    crypto.reload()
    try:
        with pytest.raises(CommandError, match="FUPIN_DATA_KEYS"):
            call_command("rotate_keys", verbosity=0)
    finally:
        monkeypatch.undo()
        crypto.reload()


def test_print_new_keys_gives_a_usable_key_file(capsys, db):
    call_command("rotate_keys", print_new_keys=True)
    ring = crypto.parse(capsys.readouterr().out, "stdout")
    assert ring.current == "k1" and len(ring.index_key) == 32


def test_rotation_moves_a_change_requests_sealed_payload_to_the_new_key(users, registry, key_file):
    import re

    from fupin.changes import services as changes
    from fupin.changes.models import ChangeKind, ChangeRequest

    son = registry[0].members.exclude(relation="head").order_by("pk").first()
    new_id = factories.id_number(sex=son.sex or "M")
    request = changes.propose(
        registry[0],
        by=users["clerk"],
        kind=ChangeKind.MEMBER_IDENTITY,
        payload={"member_id": son.pk, "id_number": new_id, "name": "张秀英"},
        reason="户籍证明更正",
        evidence_reference="派出所户籍证明",
    )

    def stored_keys() -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT payload, before FROM changes_changerequest WHERE id = %s", [request.pk])
            return set(re.findall(r"\$(k\d)\$", " ".join(str(v) for v in cursor.fetchone())))

    assert stored_keys() == {"k1"}
    call_command("rotate_keys", verbosity=0)
    assert crypto.keyring().current == "k2" and stored_keys() == {"k2"}
    read = ChangeRequest.objects.get(pk=request.pk)
    assert read.payload["id_number"] == new_id and read.before["member"]["id_number"] == son.id_number
    assert not any(encrypting.json_pending(m, n) for m, n in encrypting.json_tables([ChangeRequest]))


def _retire(path, key_id: str) -> None:
    """Delete a data key's line from the key file, as an operator does once every value has left it."""
    ring = crypto.reload()
    keys = {i: k for i, k in ring.data_keys.items() if i != key_id}
    crypto.write_key_file(path, crypto.Keyring(ring.index_key, keys, ring.current, ring.source).text())
    crypto.reload()


def test_rotation_moves_a_subscriptions_secret_and_it_still_signs_with_the_old_key_retired(
    users, key_file, settings
):
    from fupin.subscriptions import delivery, services

    settings.FUPIN_WEBHOOK_ALLOW_PRIVATE = True
    subscription, secret = services.create_subscription(
        by=users["county"],
        name="省监测平台",
        target_url="http://127.0.0.1:9/hook",
        event_types=["problem.opened"],
    )
    assert _key_ids("subscriptions_subscription", "secret") == {"k1"}
    call_command("rotate_keys", verbosity=0)
    assert crypto.keyring().current == "k2"
    assert _key_ids("subscriptions_subscription", "secret") == {"k2"}
    _retire(key_file, "k1")
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM subscriptions_subscription WHERE id = %s", [subscription.pk])
        (stored,) = cursor.fetchone()
    assert secret not in stored and crypto.decrypt(stored, delivery.SECRET_PURPOSE) == secret


DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def _queued_key_ids() -> set[str]:
    import re

    from django_tasks_db.models import DBTaskResult

    return {
        k
        for args in DBTaskResult.objects.values_list("args_kwargs", flat=True)
        for k in re.findall(r"\$(k\d)\$", str(args))
    }


def test_a_queued_text_message_is_resealed_and_sends_after_the_old_key_is_retired(
    users, key_file, settings, tmp_path, django_capture_on_commit_callbacks
):
    """Issue 17 (finding: an SMS waiting in the queue under a retired key could never be sent)."""
    import json

    from django_tasks_db.models import DBTaskResult

    from fupin.core import sms

    settings.TASKS = DATABASE_QUEUE
    settings.FUPIN_SMS_FILE = str(tmp_path / "sms.jsonl")
    with django_capture_on_commit_callbacks(execute=True):
        sms.queue("13912345678", "received", receipt="R001", due="12月9日")
    assert DBTaskResult.objects.ready().count() == 1 and _queued_key_ids() == {"k1"}
    assert "13912345678" not in json.dumps(DBTaskResult.objects.get().args_kwargs)
    call_command("rotate_keys", verbosity=0)
    assert crypto.keyring().current == "k2" and _queued_key_ids() == {"k2"}
    _retire(key_file, "k1")
    queued = DBTaskResult.objects.get().task_result  # run as the worker runs it, with the arguments stored
    assert queued.task.call(*queued.args, **queued.kwargs) == 1
    sent = [json.loads(line) for line in (tmp_path / "sms.jsonl").read_text().splitlines()]
    assert [(m["phone"], m["params"]["receipt"]) for m in sent] == [("13912345678", "R001")]


@pytest.mark.usefixtures("redis_queue")
def test_a_queued_text_message_on_redis_is_resealed(users, key_file, django_capture_on_commit_callbacks):
    from fupin.core import queued, sms

    with django_capture_on_commit_callbacks(execute=True):
        sms.queue("13912345678", "received", receipt="R002", due="12月9日")
    crypto.add_data_key()
    assert queued.pending() == 1
    call_command("rotate_keys", "--no-new-key", verbosity=0)
    assert queued.pending() == 0
    backend = queued._redis_backend()
    client, keys = queued._redis_tasks(backend)
    (args,) = [queued._redis_arguments(client, k)["args_json"] for k in keys]
    assert crypto.key_id_of(args[0]) == "k2" and crypto.decrypt(args[0], sms.TASK_PURPOSE) == "13912345678"
