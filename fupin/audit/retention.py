"""Retention of the access log (issue 17, item 4): entries older than FUPIN_ACCESS_LOG_RETENTION_DAYS (default
three years) are expired in place. The access log is part of the audit chain, so an entry is not deleted (that
would read as tampering): it becomes a tombstone (action "access.expired", no persons, fields, purpose or user
left, its chain number and hash kept) and its AccessedPerson rows go. One chained entry per chain
("purge_expired_access") names the numbers it expired, and `fupin audit-verify` accepts a tombstone only at a
number such an entry names, still checking its link to the entries before and after."""

import datetime
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import services
from .access import ACTION_PREFIX
from .models import AccessedPerson, AuditEntry

EXPIRED = ACTION_PREFIX + "expired"
PURGE_ACTION = "purge_expired_access"


def retention_days() -> int:
    return int(getattr(settings, "FUPIN_ACCESS_LOG_RETENTION_DAYS", 3 * 365))


def _ranges(seqs: list[int]) -> list[list[int]]:
    out: list[list[int]] = []
    for s in sorted(seqs):
        if out and s == out[-1][1] + 1:
            out[-1][1] = s
        else:
            out.append([s, s])
    return out


@transaction.atomic
def expire_access_log(*, now: datetime.datetime | None = None, days: int | None = None) -> int:
    """Expire the access-log entries older than the retention; the number expired."""
    before = (now or timezone.now()) - datetime.timedelta(days=retention_days() if days is None else days)
    old = AuditEntry.objects.filter(action__startswith=ACTION_PREFIX, at__lt=before).exclude(action=EXPIRED)
    rows = list(old.values_list("pk", "chain", "seq"))
    if not rows:
        return 0
    ids = [pk for pk, _c, _s in rows]
    AccessedPerson.objects.filter(entry_id__in=ids).delete()
    AuditEntry.objects.filter(pk__in=ids).update(
        action=EXPIRED,
        changes={},
        target_label="",
        target_id="",
        username="",
        role="",
        region_code="",
        user=None,
    )
    by_chain: dict[str, list[int]] = defaultdict(list)
    for _pk, chain, seq in rows:
        by_chain[chain].append(seq)
    services.record_many(
        [
            services.entry(
                by=None,
                action=PURGE_ACTION,
                target_type="retention",
                target_id=chain,
                target_label="个人信息查看记录到期清除",
                scope_code=chain,
                changes={"expired": _ranges(seqs), "count": len(seqs), "before": before.isoformat()},
            )
            for chain, seqs in sorted(by_chain.items())
        ]
    )
    return len(rows)


def expired_numbers(using: str, prefix: str = "") -> dict[str, list[list[int]]]:
    """The chain numbers that purge entries name as expired, per chain (for verify)."""
    out: dict[str, list[list[int]]] = defaultdict(list)
    entries = AuditEntry.objects.using(using).filter(action=PURGE_ACTION)
    if prefix:
        entries = entries.filter(chain__startswith=prefix)
    for chain, changes in entries.values_list("chain", "changes"):
        out[chain].extend((changes or {}).get("expired", []))
    return out


def is_expired(numbers: dict[str, list[list[int]]], chain: str, seq: int) -> bool:
    return any(lo <= seq <= hi for lo, hi in numbers.get(chain, ()))
