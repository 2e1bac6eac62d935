"""Rule sweep for monitoring over 1,000,000 households on PostgreSQL (target: under 10 s).

    createdb -h 127.0.0.1 -U postgres fupin_bench6
    .venv/bin/python bench/bench_sweep.py [--households 1000000] [--per-rule]

--per-rule also times the suspect sweep's member screen (its read, and its checks, which run beside the
rules listed before them) and each rule, in a transaction rolled back afterwards.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _monitoring_data as data  # noqa: E402  (sets up Django)
from django.db import connection, transaction  # noqa: E402

from fupin.monitoring import sweeps  # noqa: E402
from fupin.monitoring.models import Finding, MonitoringThreshold, Problem, RiskSignal, Sweep  # noqa: E402
from fupin.monitoring.sweeps import run_sweep  # noqa: E402


class _RolledBack(Exception):
    pass


def time_suspect_rules(year: int) -> None:
    """The suspect sweep again, its screen and each rule timed, then rolled back (where the time goes)."""
    sweep = Sweep.objects.create(kind=Sweep.Kind.SUSPECT, year=year, scope_code="", rules_total=0)
    timings = {}
    started = time.perf_counter()
    try:
        with transaction.atomic():
            n = sweeps._sweep_suspects(sweep, timings)
            raise _RolledBack
    except _RolledBack:
        pass
    took = time.perf_counter() - started
    for key, seconds in timings.items():
        print(f"  {key:26s} {seconds:6.2f} s", flush=True)
    # the screen's checks run beside the rules listed before them: the times add up to more than the whole
    print(f"  {'(whole sweep, rolled back)':26s} {took:6.2f} s, {n:,} 条", flush=True)
    sweep.delete()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--per-rule", action="store_true")
    args = parser.parse_args()
    data.ensure(args.households)
    MonitoringThreshold.objects.get_or_create(
        region_prefix="", year=2020, defaults={"threshold": 5000, "unregistered_line": 4500}
    )
    # each run a first sweep: a finding or signal already raised is not raised again
    Problem.objects.filter(finding__sweep__isnull=False).delete()
    Finding.objects.filter(sweep__isnull=False).delete()
    RiskSignal.objects.all().delete()
    with connection.cursor() as cur:  # what autovacuum would do after the deletes (it is off on this server)
        for table in ("monitoring_risksignal", "monitoring_finding", "monitoring_problem"):
            cur.execute(f"VACUUM ANALYZE {table}")
    for kind in (Sweep.Kind.SIGNALS, Sweep.Kind.SUSPECT):
        sweep = Sweep.objects.create(kind=kind, year=2024, scope_code="", rules_total=0)
        t = time.perf_counter()
        sweep = run_sweep(sweep)
        took = time.perf_counter() - t
        print(
            f"{sweep.get_kind_display()}筛查 {args.households:,} 户：{sweep.results:,} 条结果，{took:.2f} s "
            f"(目标 < 10 s：{'达到' if took < 10 else '未达到'})"
        )
    if args.per_rule:
        time_suspect_rules(2024)


if __name__ == "__main__":
    main()
