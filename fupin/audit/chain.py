"""The audit trail's hash chains: one per county (the first six digits of an entry's scope_code) and a
global one ("") for entries without a county.

Each entry's hash is sha256(the previous entry's hash, then the entry's content), the content being a
canonical JSON array of every meaningful field (CANONICAL_FIELDS). Appending locks the chain's head row
(ChainHead, SELECT … FOR UPDATE on PostgreSQL; SQLite serialises writers) in the caller's transaction, so two
writers in one county take turns and a rolled-back write leaves no gap. Every path that writes entries goes
through `append`: services.record, the bulk writes, and the import's COPY (import_bulk).
"""

import datetime
import hashlib
import json
from collections.abc import Sequence

from django.db import transaction

from fupin.core import crypto

from .models import ChainHead

GENESIS = "0" * 64
COUNTY_DIGITS = 6
# the fields hashed, in this order (AuditEntry's columns; user and household by id)
CANONICAL_FIELDS = (
    "at",
    "user_id",
    "username",
    "role",
    "region_code",
    "action",
    "target_type",
    "target_id",
    "target_label",
    "household_id",
    "scope_code",
    "changes",
)


def chain_key(scope_code: str | None) -> str:
    """The chain an entry with this scope belongs to: its county's code, or "" above or without a county."""
    scope_code = scope_code or ""
    return scope_code[:COUNTY_DIGITS] if len(scope_code) >= COUNTY_DIGITS else ""


def timestamp(at: datetime.datetime) -> str:
    """`at` in UTC to the microsecond, as both databases keep it."""
    if at.tzinfo is not None:
        at = at.astimezone(datetime.UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds") + "Z"


def _number(text: str):
    """A JSON number with a fraction or exponent as the databases give it back: integral ones become ints
    (PostgreSQL's jsonb writes 1e16 as 10000000000000000, 3.0 as 3.0: both are kept as ints)."""
    value = float(text)
    return int(value) if value.is_integer() else value


def normal_json(value):
    """`value` as stored_changes would give it (for JSON read through the ORM rather than as text)."""
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, dict):
        return {str(k): normal_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normal_json(v) for v in value]
    return value


# Values kept encrypted in an entry's changes (fupin.core.crypto), wherever they nest: field name -> purpose.
SEALED = {
    "id_number": "id_number",
    "head_id_number": "id_number",
    "borrower_id_number": "id_number",
    "phone": "phone",
    "contact_phone": "phone",
    "bank_account": "bank_account",
}


def _sealed(value, name: str = "", *, opening: bool = False):
    if isinstance(value, dict):
        # under a sealed name every value is that field's (a sync conflict's {"phone": {"base", "mine", …}})
        inherit = name in SEALED
        return {
            k: _sealed(v, name if inherit and k not in SEALED else k, opening=opening)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_sealed(v, name, opening=opening) for v in value]
    if isinstance(value, str) and value and name in SEALED:
        if opening:
            return crypto.decrypt(value, SEALED[name])
        return crypto.encrypt(value, SEALED[name])
    return value


def stored_changes(changes) -> dict:
    """`changes` as it is kept and read back (what is hashed must be what is kept): JSON-native, keys
    strings, integral numbers ints, ID numbers, phones and bank accounts encrypted (fupin.core.crypto:
    deterministic, so an old and a new value still compare; the hash covers the stored text)."""
    return _sealed(json.loads(json.dumps(changes or {}), parse_float=_number))


def opened_changes(changes) -> dict:
    """Stored `changes` with their encrypted values decrypted, for a page, the API or an export to show
    (masked there as the reader's role requires)."""
    return _sealed(changes or {}, opening=True)


def changes_from_text(text: str | None) -> dict:
    """A stored `changes` column read as text, as stored_changes gives it (verification reads it so)."""
    return json.loads(text, parse_float=_number) if text else {}


def canonical(
    at,
    user_id,
    username,
    role,
    region_code,
    action,
    target_type,
    target_id,
    target_label,
    household_id,
    scope_code,
    changes,
) -> str:
    """The hashed content; `changes` as stored_changes gives it."""
    return json.dumps(
        [
            timestamp(at),
            user_id,
            username or "",
            role or "",
            region_code or "",
            action or "",
            target_type or "",
            str(target_id or ""),
            target_label or "",
            household_id,
            scope_code or "",
            changes or {},
        ],
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    )


def entry_content(entry) -> str:
    return canonical(*(getattr(entry, f) for f in CANONICAL_FIELDS[:-1]), normal_json(entry.changes))


def link_hash(prev_hash: str, content: str | bytes) -> str:
    """An entry's hash: sha256 of the previous entry's hash (32 bytes) followed by the entry's content
    (UTF-8). Its number and chain need not be hashed: moving or renumbering an entry breaks the links around
    it."""
    return hashlib.sha256(
        bytes.fromhex(prev_hash) + (content if isinstance(content, bytes) else content.encode())
    ).hexdigest()


def _lock_heads(keys: Sequence[str]) -> dict[str, ChainHead]:
    """The heads of these chains, locked until the transaction ends (created at the genesis if new).
    Locked in the chains' order, so two writers touching the same chains cannot deadlock each other."""
    keys = sorted(set(keys))
    heads = {
        h.chain: h for h in ChainHead.objects.select_for_update().filter(chain__in=keys).order_by("chain")
    }
    missing = [k for k in keys if k not in heads]
    if missing:
        # ON CONFLICT DO NOTHING: a writer creating the same head meanwhile wins, and this one waits for it
        ChainHead.objects.bulk_create(
            [ChainHead(chain=k, seq=0, hash=GENESIS) for k in missing], ignore_conflicts=True
        )
        heads |= {
            h.chain: h
            for h in ChainHead.objects.select_for_update().filter(chain__in=missing).order_by("chain")
        }
    return heads


def append(chains: Sequence[str], contents: Sequence[str | bytes]) -> tuple[list[int], list[str], list[str]]:
    """Numbers and hashes for new entries in the given order: (seqs, prev_hashes, hashes). Moves the
    chains' heads; must run in the transaction that writes the entries (it opens one if there is none)."""
    sha256 = hashlib.sha256
    with transaction.atomic(savepoint=False):
        heads = _lock_heads(chains)
        state = {k: [h.seq, bytes.fromhex(h.hash)] for k, h in heads.items()}
        seqs, prevs, digests = [], [], []
        for key, content in zip(chains, contents, strict=True):
            head = state[key]
            head[0] += 1
            prevs.append(head[1])
            head[1] = sha256(head[1] + (content if isinstance(content, bytes) else content.encode())).digest()
            seqs.append(head[0])
            digests.append(head[1])
        for key, (seq, digest) in state.items():
            if seq != heads[key].seq:
                ChainHead.objects.filter(chain=key).update(seq=seq, hash=digest.hex())
    return seqs, [p.hex() for p in prevs], [d.hex() for d in digests]


def link_entries(entries: Sequence) -> None:
    """Chain unsaved AuditEntry objects, in order (their `changes` normalised as they will be kept)."""
    for e in entries:
        e.changes = stored_changes(e.changes)
        e.chain = chain_key(e.scope_code)
    seqs, prevs, hashes = append([e.chain for e in entries], [entry_content(e) for e in entries])
    for e, seq, prev, digest in zip(entries, seqs, prevs, hashes, strict=True):
        e.seq, e.prev_hash, e.hash = seq, prev, digest


def link_columns(columns: dict[str, list]) -> dict[str, list]:
    """The columns of new entries (one list per field, CANONICAL_FIELDS among them) with their chain
    columns added: chain, seq, prev_hash, hash."""
    n = len(columns["action"])
    columns = dict(columns)
    columns["changes"] = [stored_changes(c) for c in columns["changes"]]
    keys = [chain_key(s) for s in columns["scope_code"]]
    contents = (
        [canonical(*row) for row in zip(*(columns[f] for f in CANONICAL_FIELDS), strict=True)] if n else []
    )
    seqs, prevs, hashes = append(keys, contents)
    return columns | {"chain": keys, "seq": seqs, "prev_hash": prevs, "hash": hashes}
