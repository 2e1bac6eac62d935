"""Retention of the access log (issue 17, item 4): `fupin purge-expired` expires entries older than the
retention in place (no persons, fields or purpose left, their AccessedPerson rows gone), and `fupin
audit-verify` still passes; a tombstone the purge did not make is reported."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from fupin.audit.models import AccessedPerson, AuditEntry
from fupin.audit.retention import EXPIRED
from fupin.audit.verify import verify
from tests import factories


@pytest.fixture
def revealed(client, users):
    household = factories.make_household()
    client.force_login(users["clerk"])
    for purpose in ("verify", "contact"):
        client.post(reverse("registry:household_reveal", args=[household.pk]), {"purpose": purpose})
    return household


def test_purge_expired_expires_old_access_entries_and_the_chain_still_verifies(
    client, users, revealed, settings
):
    old = AuditEntry.objects.filter(action="access.page").order_by("id").first()
    AuditEntry.objects.filter(pk=old.pk).update(at=timezone.now() - datetime.timedelta(days=4 * 365))
    # `at` is hashed: moving it breaks the entry, so put the hash right as if it had been written then
    from fupin.audit.chain import entry_content, link_hash

    old.refresh_from_db()
    AuditEntry.objects.filter(pk=old.pk).update(hash=link_hash(old.prev_hash, entry_content(old)))
    _rechain_after(old)
    assert verify().ok
    out = StringIO()
    call_command("purge_expired", stdout=out)
    assert "已清除 1 条" in out.getvalue()
    old.refresh_from_db()
    assert old.action == EXPIRED and old.changes == {} and old.username == ""
    assert not AccessedPerson.objects.filter(entry_id=old.pk).exists()
    assert AccessedPerson.objects.exists()  # the recent entry keeps its persons
    assert verify().ok, verify().problems
    client.force_login(users["county"])
    page = client.get(reverse("access:log")).content.decode()
    assert "联系本人" in page and "核实身份" not in page


def test_an_entry_turned_into_a_tombstone_behind_the_purges_back_is_reported(revealed):
    entry = AuditEntry.objects.filter(action="access.page").order_by("id").first()
    AuditEntry.objects.filter(pk=entry.pk).update(action=EXPIRED, changes={})
    report = verify()
    assert not report.ok and any(p.entry_id == entry.pk for p in report.problems)


def _rechain_after(entry):
    """Recompute the hashes of the entries after `entry` in its chain and the chain's head (a test moving
    `at`)."""
    from fupin.audit.chain import entry_content, link_hash
    from fupin.audit.models import ChainHead

    prev = AuditEntry.objects.get(pk=entry.pk).hash
    for later in AuditEntry.objects.filter(chain=entry.chain, seq__gt=entry.seq).order_by("seq"):
        digest = link_hash(prev, entry_content(later))
        AuditEntry.objects.filter(pk=later.pk).update(prev_hash=prev, hash=digest)
        prev = digest
    ChainHead.objects.filter(chain=entry.chain).update(hash=prev)
