"""Sealing notices when they are posted, and checking a printed notice's code against the system.

A notice's canonical list is a stable JSON of what the paper on the wall shows: the notice's id, kind,
batch, procedure, year, village and posting place, title, text, issuer, dates and its list of households
as published (names, masked ID numbers, persons...). Its SHA-256 is stored when the notice is posted;
the code printed on the notice is the digest's first 50 bits in an alphabet without look-alike
characters (no 0/O, 1/I), so that guessing a valid code takes about 10^15 tries.
"""

import hashlib
import json
import re

from django.db import IntegrityError, transaction

from fupin.accounts.models import User
from fupin.audit.chain import timestamp
from fupin.audit.models import AuditEntry
from fupin.audit.services import record
from fupin.procedures.models import Notice

from .models import NoticeSeal

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # 32 symbols, 5 bits each
CODE_LENGTH = 10


class Verdict:
    MATCH = "match"  # the code is a notice the system posted, and its list is unchanged
    CHANGED = "changed"  # the code is known, but the notice's list differs from the one posted
    UNKNOWN = "unknown"  # no notice has this code
    MALFORMED = "malformed"  # not a code at all


def canonical_list(notice: Notice) -> str:
    batch = notice.batch
    return json.dumps(
        {
            "notice": notice.pk,
            "kind": notice.kind,
            "batch": notice.batch_id,
            "procedure": batch.kind,
            "year": batch.year,
            "village": batch.village_id,
            "region": notice.region_id,
            "title": notice.title,
            "body": notice.body,
            "issuer": notice.issuer,
            "posted_at": timestamp(notice.posted_at),
            "ends_at": timestamp(notice.ends_at),
            "entries": notice.entries,
        },
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )


def digest_of(notice: Notice) -> str:
    return hashlib.sha256(canonical_list(notice).encode()).hexdigest()


def code_of(digest: str) -> str:
    bits = int(digest[:13], 16) >> 2  # the first 50 bits
    return "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in reversed(range(CODE_LENGTH)))


def normalise_code(text: str) -> str | None:
    """A typed or scanned code in canonical form (upper case, separators dropped), or None if it is not
    one."""
    code = re.sub(r"[\s\-_.]", "", (text or "")[:40]).upper()
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def seal_notice(notice: Notice, *, by: User) -> NoticeSeal:
    """Store the notice's digest and code, and put the digest in the audit trail's hash chain; called by
    the procedures when a notice is posted, in their transaction."""
    digest = digest_of(notice)
    try:
        with transaction.atomic():
            seal = NoticeSeal.objects.create(notice=notice, digest=digest, code=code_of(digest))
    except IntegrityError:  # another digest with the same first 50 bits: this one takes its digest's hash's
        seal = NoticeSeal.objects.create(
            notice=notice, digest=digest, code=code_of(hashlib.sha256(digest.encode()).hexdigest())
        )
    record(
        by=by,
        action="seal_notice",
        target=notice,
        scope_code=notice.batch.village_id,
        changes={"digest": [None, digest], "code": [None, seal.code]},
    )
    return seal


def verify_code(text: str) -> tuple[str, Notice | None]:
    """(verdict, notice) for a code read off a notice."""
    code = normalise_code(text)
    if code is None:
        return Verdict.MALFORMED, None
    seal = (
        NoticeSeal.objects.select_related(
            "notice", "notice__region", "notice__batch", "notice__batch__village"
        )
        .filter(code=code)
        .first()
    )
    if seal is None:
        return Verdict.UNKNOWN, None
    notice = seal.notice
    sealed = (
        AuditEntry.objects.filter(
            action="seal_notice", target_type=notice._meta.model_name, target_id=str(notice.pk)
        )
        .values_list("changes", flat=True)
        .first()
    )
    recorded = (sealed or {}).get("digest", [None, seal.digest])[
        1
    ]  # notices sealed by the migration have no entry
    return (Verdict.MATCH if digest_of(notice) == seal.digest == recorded else Verdict.CHANGED), notice
