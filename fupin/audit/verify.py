"""Checking the audit trail's hash chains (fupin audit-verify) and recording their daily heads (fupin
audit-anchor).

Verification streams every entry in (chain, seq) order and recomputes its hash from its content and the
previous entry's hash. An entry changed in the database no longer matches its hash; a deleted one leaves
a gap in the numbers (or a chain shorter than its head); an inserted one does not link, or lies beyond
its chain's head. A rewrite of a whole chain from some point on (every hash recomputed) is caught by the
anchors: each day's heads, kept in the database and appended to a file outside it.
"""

import datetime
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Max, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from . import retention
from .chain import CANONICAL_FIELDS, GENESIS, canonical, chain_key, changes_from_text, link_hash
from .models import Anchor, AuditEntry, ChainHead

MAX_PROBLEMS = 50
ACTION = CANONICAL_FIELDS.index("action")


def anchor_file() -> Path:
    """Where anchors are appended outside the database (setting FUPIN_AUDIT_ANCHOR_FILE, default var/)."""
    configured = getattr(settings, "FUPIN_AUDIT_ANCHOR_FILE", "") or ""
    return Path(configured) if configured else Path(settings.VAR_DIR) / "audit-anchors.log"


@dataclass(frozen=True)
class Problem:
    kind: str  # altered, deleted, inserted, rewritten
    chain: str
    seq: int | None
    entry_id: int | None
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass
class Report:
    entries: int = 0
    chains: int = 0
    anchors: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _chain_name(chain: str) -> str:
    return chain or "全局"


def _entry_name(entry_id, chain, seq) -> str:
    return f"审计记录 id={entry_id}（链 {_chain_name(chain)} 第 {seq} 条）"


def parse_anchor_lines(lines: Iterable[str], source: str) -> list[tuple[str, int, str, str]]:
    """(chain, seq, hash, where) from anchor-file lines "DAY CHAIN SEQ HASH" (CHAIN "-" for the global chain);
    other lines are ignored."""
    out = []
    for number, line in enumerate(lines, 1):
        parts = line.split()
        if len(parts) != 4 or not parts[2].isdigit() or len(parts[3]) != 64:
            continue
        day, chain, seq, digest = parts
        out.append(("" if chain == "-" else chain, int(seq), digest, f"{source} 第 {number} 行（{day}）"))
    return out


def _anchors(prefix: str, files: Iterable[Path], using: str) -> dict[tuple[str, int], list[tuple[str, str]]]:
    wanted: dict[tuple[str, int], list[tuple[str, str]]] = {}
    for chain, seq, digest, day in Anchor.objects.using(using).values_list("chain", "seq", "hash", "day"):
        wanted.setdefault((chain, seq), []).append((digest, f"数据库锚点（{day}）"))
    for path in files:
        with open(path, encoding="utf-8") as handle:
            for chain, seq, digest, where in parse_anchor_lines(handle, str(path)):
                wanted.setdefault((chain, seq), []).append((digest, where))
    return {k: v for k, v in wanted.items() if k[0].startswith(prefix)}


def verify(
    *,
    county: str = "",
    anchor_files: Iterable[Path] = (),
    progress: Callable[[int], None] | None = None,
    chunk_size: int = 10_000,
    using: str = DEFAULT_DB_ALIAS,
) -> Report:
    """Recompute the chains (those under `county`, a code prefix; all if empty) against their heads and
    anchors, in one snapshot of the database: entries written meanwhile are neither seen nor taken for
    insertions. `using` names another database (fupin backup checks the copy it loaded into a scratch
    database)."""
    connection = connections[using]
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=using):
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        return _verify(county[:6], anchor_files, progress, chunk_size, using)


def _close_chain(problem, head, chain, expected, prev, last_id) -> None:
    """The end of a chain's walk: its last entry against the chain's head (`expected` is one past the last
    seq)."""
    if head is None:
        problem(
            "inserted",
            chain,
            None,
            None,
            f"链 {_chain_name(chain)} 没有链末端记录：其审计记录不是由系统写入的",
        )
    elif head.seq > expected - 1:
        problem(
            "deleted",
            chain,
            expected,
            None,
            f"链 {_chain_name(chain)} 第 {expected}–{head.seq} 条审计记录被删除（链末端为第 {head.seq} 条）",
        )
    elif head.seq == expected - 1 and head.hash != prev:
        problem(
            "altered",
            chain,
            head.seq,
            last_id,
            f"{_entry_name(last_id, chain, head.seq)}与链末端记录的哈希不符",
        )


def _never_walked(problem, heads, seen, anchors) -> None:
    """Chains with a head but no entry left, and anchored entries the walk never met."""
    for chain, head in heads.items():
        if chain not in seen and head.seq > 0:
            problem("deleted", chain, 1, None, f"链 {_chain_name(chain)} 的全部 {head.seq} 条审计记录被删除")
    for (chain, seq), found in sorted(anchors.items()):
        for _, where in found:
            problem(
                "deleted", chain, seq, None, f"链 {_chain_name(chain)} 第 {seq} 条审计记录（{where}）已不存在"
            )


def _verify(prefix, anchor_files, progress, chunk_size, using) -> Report:
    report = Report()
    anchors = _anchors(prefix, anchor_files, using)
    report.anchors = sum(len(v) for v in anchors.values())
    heads = {h.chain: h for h in ChainHead.objects.using(using).filter(chain__startswith=prefix)}

    def problem(kind, chain, seq, entry_id, message):
        if len(report.problems) < MAX_PROBLEMS:
            report.problems.append(Problem(kind, chain, seq, entry_id, message))

    # `changes` read as text and parsed here (chain.changes_from_text): cheaper than the ORM's JSON and a walk
    qs = (
        AuditEntry.objects.using(using)
        .annotate(changes_text=Cast("changes", TextField()))
        .order_by("chain", "seq")
        .values_list("id", "chain", "seq", "prev_hash", "hash", *CANONICAL_FIELDS[:-1], "changes_text")
    )
    if prefix:
        qs = qs.filter(chain__startswith=prefix)
    current, expected, prev, last_id = None, 1, GENESIS, 0
    seen: set[str] = set()
    expired = retention.expired_numbers(using, prefix)

    for row in qs.iterator(chunk_size=chunk_size):
        entry_id, chain, seq, prev_hash, digest, *content = row
        report.entries += 1
        if progress and report.entries % chunk_size == 0:
            progress(report.entries)
        if chain != current:
            if current is not None:
                _close_chain(problem, heads.get(current), current, expected, prev, last_id)
            current, expected, prev, last_id = chain, 1, GENESIS, 0
            seen.add(chain)
        name = _entry_name(entry_id, chain, seq)
        head = heads.get(chain)
        reported = False
        if head is not None and seq > head.seq:
            problem(
                "inserted", chain, seq, entry_id, f"{name}在链末端（第 {head.seq} 条）之后：不是由系统写入的"
            )
            reported = True
        elif seq > expected:
            problem(
                "deleted",
                chain,
                expected,
                entry_id,
                f"链 {_chain_name(chain)} "
                f"第 {expected}{'–' + str(seq - 1) if seq - 1 > expected else ''} 条审计记录被删除"
                f"（缺失于{name}之前）",
            )
            reported = True
        elif seq < expected or entry_id < last_id:
            problem("inserted", chain, seq, entry_id, f"{name}的序号或位置不连续：是插入的记录")
            reported = True
        if not reported and content[ACTION] == retention.EXPIRED:
            # an access entry expired by retention: its content is gone, its number must be named by a purge
            # entry
            if not retention.is_expired(expired, chain, seq):
                problem("altered", chain, seq, entry_id, f"{name}的内容被改动（哈希不符）")
            elif prev_hash != prev:
                problem("inserted", chain, seq, entry_id, f"{name}与前一条记录的哈希不相连：记录被插入或改写")
        elif not reported:
            content[-1] = changes_from_text(content[-1])
            recomputed = link_hash(prev_hash, canonical(*content))
            scope_code = content[CANONICAL_FIELDS.index("scope_code")]
            if recomputed != digest or chain_key(scope_code) != chain:
                problem("altered", chain, seq, entry_id, f"{name}的内容被改动（哈希不符）")
            elif prev_hash != prev:
                problem("inserted", chain, seq, entry_id, f"{name}与前一条记录的哈希不相连：记录被插入或改写")
        for anchored, where in anchors.pop((chain, seq), ()):
            if anchored != digest:
                problem("rewritten", chain, seq, entry_id, f"{name}与{where}不符：链自此处之前被改写")
        current, expected, prev, last_id = chain, seq + 1, digest, entry_id
    if current is not None:
        _close_chain(problem, heads.get(current), current, expected, prev, last_id)
    _never_walked(problem, heads, seen, anchors)
    report.chains = len(seen | {c for c, h in heads.items() if h.seq > 0})
    return report


def make_anchors(*, day: datetime.date | None = None, path: Path | None = None) -> list[Anchor]:
    """Record today's head of every chain that moved since its last anchor, in the database and appended
    to the anchor file (one line each: DAY CHAIN SEQ HASH)."""
    day = day or timezone.localdate()
    latest = dict(Anchor.objects.values("chain").annotate(seq=Max("seq")).values_list("chain", "seq"))
    made = [
        Anchor(chain=h.chain, seq=h.seq, hash=h.hash, day=day)
        for h in ChainHead.objects.order_by("chain")
        if h.seq > 0 and h.seq != latest.get(h.chain)
    ]
    if not made:
        return []
    Anchor.objects.bulk_create(made)
    path = path or anchor_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        handle.writelines(anchor_line(a) for a in made)
        handle.flush()
        os.fsync(handle.fileno())
    return made


def anchor_line(anchor: Anchor) -> str:
    return f"{anchor.day.isoformat()} {anchor.chain or '-'} {anchor.seq} {anchor.hash}\n"


def latest_anchors(prefix: str = "") -> list[Anchor]:
    """Each chain's latest anchor (under a code prefix)."""
    latest = (
        Anchor.objects.filter(chain__startswith=prefix)
        .values("chain")
        .annotate(seq=Max("seq"))
        .values_list("chain", "seq")
    )
    wanted = {(c, s) for c, s in latest}
    return sorted(
        (
            a
            for a in Anchor.objects.filter(chain__startswith=prefix, seq__in={s for _, s in wanted})
            if (a.chain, a.seq) in wanted
        ),
        key=lambda a: a.chain,
    )
