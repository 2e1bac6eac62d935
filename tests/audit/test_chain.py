"""The audit trail's hash chain: every write path extends its county's chain, and fupin audit-verify
names the entry a direct UPDATE, DELETE or INSERT touched."""

import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection, connections, models, transaction

from fupin.audit import chain
from fupin.audit.models import Anchor, AuditEntry, ChainHead
from fupin.audit.services import record
from fupin.audit.verify import anchor_file, verify
from fupin.registry.models import Household
from tests import factories

COUNTY = factories.VILLAGE[:6]


def verify_command(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit_verify", *args, "--no-anchor-file", stdout=out, stderr=err)
        code = 0
    except SystemExit as exit:
        code = exit.code
    return code, out.getvalue(), err.getvalue()


def chain_rows(key=COUNTY):
    return list(AuditEntry.objects.filter(chain=key).order_by("seq"))


@pytest.fixture
def trail(users):
    """Households made through the services, so the county's chain has a few dozen entries."""
    factories.make_household(head="甲一")
    factories.make_household(factories.SIBLING_VILLAGE, head="乙二")
    factories.make_household(factories.OTHER_COUNTY_VILLAGE, head="丙三")
    return users


def test_record_appends_to_its_countys_chain(trail):
    rows = chain_rows()
    assert len(rows) >= 6
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0].prev_hash == chain.GENESIS
    # strict=False: each row with the next
    for before, after in zip(rows, rows[1:], strict=False):
        assert after.prev_hash == before.hash
    for r in rows:
        assert r.hash == chain.link_hash(r.prev_hash, chain.entry_content(r))
    head = ChainHead.objects.get(chain=COUNTY)
    assert (head.seq, head.hash) == (rows[-1].seq, rows[-1].hash)
    other = chain_rows(factories.OTHER_COUNTY_VILLAGE[:6])
    assert other and other[0].seq == 1
    assert chain.chain_key("36") == "" and chain.chain_key("360722100001") == COUNTY


def test_entries_without_a_county_go_to_the_global_chain(users):
    entry = record(by=users["province"], action="test", target=users["clerk"], scope_code="36")
    assert (entry.chain, entry.seq) == ("", 1)
    entry.refresh_from_db()  # what was hashed is what reads back, changes' tuples and keys included
    record(by=users["province"], action="test", target=users["clerk"], changes={1: (1.0, "x")})
    assert verify().ok


def test_a_rolled_back_write_leaves_no_gap(users):
    record(by=users["clerk"], action="one", target=users["clerk"], scope_code=factories.VILLAGE)
    try:
        with transaction.atomic():
            record(by=users["clerk"], action="two", target=users["clerk"], scope_code=factories.VILLAGE)
            raise RuntimeError
    except RuntimeError:
        pass
    record(by=users["clerk"], action="three", target=users["clerk"], scope_code=factories.VILLAGE)
    assert [(r.action, r.seq) for r in chain_rows()] == [("one", 1), ("three", 2)]
    assert verify().ok


def test_verify_passes_on_a_fresh_database(db):
    code, out, err = verify_command()
    assert code == 0 and "审计链完整" in out and not err


def test_verify_passes_on_real_writes(trail):
    assert verify_command()[0] == 0
    code, out, _ = verify_command("--county", COUNTY)
    assert code == 0 and "审计链完整" in out


def test_direct_sql_update_is_named(trail):
    victim = chain_rows()[3]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET target_label = %s WHERE id = %s", ["改过的", victim.pk])
    code, _, err = verify_command()
    assert code == 1
    assert f"id={victim.pk}" in err and "被改动" in err
    assert "发现 1 处问题" in err


def test_direct_sql_update_with_a_recomputed_hash_breaks_the_next_link(trail):
    rows = chain_rows()
    victim = rows[2]
    victim.target_label = "改过的"
    forged = chain.link_hash(victim.prev_hash, chain.entry_content(victim))
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditentry SET target_label = %s, hash = %s WHERE id = %s",
            ["改过的", forged, victim.pk],
        )
    code, _, err = verify_command()
    assert code == 1 and f"id={rows[3].pk}" in err and "不相连" in err


def test_direct_sql_delete_is_named(trail):
    rows = chain_rows()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE id = %s", [rows[2].pk])
    code, _, err = verify_command()
    assert code == 1 and "第 3 条审计记录被删除" in err and f"id={rows[3].pk}" in err


def test_deleting_the_last_entries_is_caught_by_the_head(trail):
    rows = chain_rows()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE id = %s", [rows[-1].pk])
    code, _, err = verify_command()
    assert code == 1 and f"第 {rows[-1].seq}–{rows[-1].seq} 条审计记录被删除" in err


def test_direct_sql_insert_is_named(trail):
    rows = chain_rows()
    last = rows[-1]
    fake = AuditEntry(
        at=last.at,
        username="intruder",
        action="update_household",
        target_type="household",
        target_id="1",
        target_label="假记录",
        scope_code=factories.VILLAGE,
        changes={},
        chain=COUNTY,
        seq=last.seq + 1,
        prev_hash=last.hash,
    )
    fake.hash = chain.link_hash(last.hash, chain.entry_content(fake))  # a well-formed forgery
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditentry (at, username, role, region_code, action, target_type, target_id, "
            "target_label, "
            "scope_code, changes, chain, seq, prev_hash, hash) VALUES (%s, %s, '', '', %s, %s, %s, %s, %s, "
            "'{}', %s, %s, %s, %s)",
            [
                last.at,
                "intruder",
                fake.action,
                fake.target_type,
                fake.target_id,
                fake.target_label,
                fake.scope_code,
                COUNTY,
                fake.seq,
                fake.prev_hash,
                fake.hash,
            ],
        )
        cursor.execute("SELECT id FROM audit_auditentry WHERE username = 'intruder'")
        fake_id = cursor.fetchone()[0]
    code, _, err = verify_command()
    assert code == 1 and f"id={fake_id}" in err and "不是由系统写入" in err


def test_an_entry_moved_to_another_chain_is_caught(trail):
    victim = chain_rows()[1]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET chain = '360799' WHERE id = %s", [victim.pk])
    code, _, err = verify_command()
    assert code == 1 and f"id={victim.pk}" in err


def test_a_rewrite_of_the_whole_chain_is_caught_by_the_anchors(trail, tmp_path, settings):
    settings.FUPIN_AUDIT_ANCHOR_FILE = str(tmp_path / "anchors.log")
    out = io.StringIO()
    call_command("audit_anchor", stdout=out)
    anchored = ChainHead.objects.get(chain=COUNTY)
    assert Anchor.objects.filter(chain=COUNTY, seq=anchored.seq, hash=anchored.hash).exists()
    line = f"{COUNTY} {anchored.seq} {anchored.hash}"
    assert line in anchor_file().read_text() and line in out.getvalue()
    call_command("audit_anchor", stdout=io.StringIO())  # nothing moved: no second anchor
    assert Anchor.objects.filter(chain=COUNTY).count() == 1
    factories.make_household(head="丁四")  # the chain moves on after the anchor

    # the attacker alters the second entry and recomputes every later hash and the head: the links all hold
    rows = chain_rows()
    rows[1].target_label = "改写"
    prev = rows[0].hash
    with connection.cursor() as cursor:
        for r in rows[1:]:
            digest = chain.link_hash(prev, chain.entry_content(r))
            cursor.execute(
                "UPDATE audit_auditentry SET target_label = %s, prev_hash = %s, hash = %s WHERE id = %s",
                [r.target_label, prev, digest, r.pk],
            )
            prev = digest
        cursor.execute("UPDATE audit_chainhead SET hash = %s WHERE chain = %s", [prev, COUNTY])
    code, _, err = verify_command()
    assert code == 1 and "链自此处之前被改写" in err and f"第 {anchored.seq} 条" in err
    # and with the database's anchors rewritten too, the file outside it still catches it
    Anchor.objects.all().delete()
    assert verify().ok
    assert not verify(anchor_files=[anchor_file()]).ok
    code, _, err = verify_command("--anchors", str(anchor_file()))
    assert code == 1 and "anchors.log" in err


def test_procedure_bulk_writes_are_chained(trail):
    from fupin.registry.services import set_household_statuses

    households = list(Household.objects.filter(village__code__startswith=COUNTY))
    before = ChainHead.objects.get(chain=COUNTY).seq
    with transaction.atomic():
        set_household_statuses(
            by=trail["county"],
            action="procedure_exit",
            changes={h.pk: {"status": "exited", "exit_year": 2025} for h in households},
        )
    rows = chain_rows()
    assert [r.action for r in rows[before:]] == ["procedure_exit"] * len(households)
    assert ChainHead.objects.get(chain=COUNTY).seq == before + len(households)
    assert verify().ok


def test_seed_demo_county_and_its_yearly_cycle_verify(db):
    from fupin.disclosure.services import Verdict, verify_code
    from fupin.procedures.models import Notice, NoticeKind

    call_command("seed_demo", "--persons", "300", "--seed", "5", "--households-only", stdout=io.StringIO())
    assert AuditEntry.objects.filter(action="seed_demo").exists()
    assert verify_command("--county", "360722")[0] == 0
    call_command(
        "seed_demo", "--persons", "300", "--seed", "5", "--reset", "--households-only", stdout=io.StringIO()
    )  # the trail stays
    assert verify_command()[0] == 0
    call_command(
        "run_cycle", year=2025, stdout=io.StringIO()
    )  # every stage, notices and announcements, bulk status changes
    assert verify_command("--county", "360722")[0] == 0
    notices = list(Notice.objects.select_related("seal"))
    assert {n.kind for n in notices} >= {NoticeKind.VILLAGE, NoticeKind.TOWNSHIP, NoticeKind.ANNOUNCEMENT}
    assert all(verify_code(n.seal.code) == (Verdict.MATCH, n) for n in notices)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_writers_in_one_county_do_not_fork_the_chain(users):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    clerk = users["clerk"]
    barrier = threading.Barrier(2)
    errors = []

    def write(n):
        try:
            barrier.wait()
            for i in range(15):
                with transaction.atomic():
                    record(
                        by=clerk,
                        action=f"w{n}",
                        target=clerk,
                        scope_code=factories.VILLAGE,
                        changes={"i": [None, i]},
                    )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    rows = chain_rows()
    assert [r.seq for r in rows] == list(range(1, 31))
    assert verify().ok


def test_the_migration_chains_existing_entries_in_the_order_they_were_written(trail):
    import importlib
    from types import SimpleNamespace

    from django.apps import apps

    migration = importlib.import_module("fupin.audit.migrations.0004_hash_chain")
    before = {e.pk: (e.chain, e.seq, e.hash) for e in AuditEntry.objects.all()}
    AuditEntry.objects.update(
        seq=-models.F("id"), chain="", prev_hash="", hash=""
    )  # as the columns were added
    ChainHead.objects.all().delete()
    migration.chain_existing(apps, SimpleNamespace(connection=connection))
    assert {e.pk: (e.chain, e.seq, e.hash) for e in AuditEntry.objects.all()} == before
    assert verify().ok
