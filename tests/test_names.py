"""Names that explain themselves (issue 15, item 9): the cryptic ones the review named stay gone.

Fails on the tree before the rename (pcni, Exception_, Entry for a batch household's state and for a described
audit entry, the importer's _pass and _chunk, reports' _in, matching's _q and _lit).
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "fupin"
GONE = re.compile(r"\b(pcni|Exception_|_pass|_chunk)\b|\bclass Entry\b|\bdef _(in|q|lit)\(|\._(in|q|lit)\(")


def test_no_unexplained_names():
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in sorted(ROOT.rglob("*.py"))
        if "migrations" not in path.parts
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if GONE.search(line)
    ]
    assert found == []
