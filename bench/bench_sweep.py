"""Rule sweep for monitoring over 1,000,000 households on PostgreSQL (target: under 10 s).

    createdb -h 127.0.0.1 -U postgres fupin_bench6
    .venv/bin/python bench/bench_sweep.py [--households 1000000] [--per-rule]

--per-rule also times each suspect rule on its own (in a transaction rolled back afterwards).
"""
import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _monitoring_data as data  # noqa: E402  (sets up Django)

from django.db import connection, transaction  # noqa: E402

from fupin.monitoring import rules, services  # noqa: E402
from fupin.monitoring.models import MonitoringThreshold, RiskSignal, Sweep  # noqa: E402
from fupin.monitoring.services import run_sweep  # noqa: E402


class _RolledBack(Exception):
    pass


def time_suspect_rules(year: int) -> None:
    """Each suspect rule swept alone, as the sweep runs it, then rolled back (where the time goes)."""
    sweep = Sweep.objects.create(kind=Sweep.Kind.SUSPECT, year=year, scope_code="", rules_total=0)
    every = rules.SUSPECT_RULES
    try:
        with transaction.atomic():
            for rule in every:
                rules.SUSPECT_RULES = [rule]
                t = time.perf_counter()
                n = services._sweep_suspects(sweep)
                print(f"  {rule.key:26s} {n:8,} 条 {time.perf_counter() - t:6.2f} s", flush=True)
            raise _RolledBack
    except _RolledBack:
        pass
    finally:
        rules.SUSPECT_RULES = every
    sweep.delete()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--per-rule", action="store_true")
    args = parser.parse_args()
    data.ensure(args.households)
    MonitoringThreshold.objects.get_or_create(region_prefix="", year=2020, defaults={"threshold": 5000, "unregistered_line": 4500})
    RiskSignal.objects.all().delete()
    with connection.cursor() as cur:  # what autovacuum would do after the delete (it is off on this server)
        cur.execute("VACUUM ANALYZE monitoring_risksignal")
    for kind in (Sweep.Kind.SIGNALS, Sweep.Kind.SUSPECT):
        sweep = Sweep.objects.create(kind=kind, year=2024, scope_code="", rules_total=0)
        t = time.perf_counter()
        sweep = run_sweep(sweep)
        took = time.perf_counter() - t
        print(f"{sweep.get_kind_display()}筛查 {args.households:,} 户：{sweep.results:,} 条结果，{took:.2f} s "
              f"(目标 < 10 s：{'达到' if took < 10 else '未达到'})")
    if args.per_rule:
        time_suspect_rules(2024)


if __name__ == "__main__":
    main()
