"""fupin run-cycle: the yearly procedure cycle for a county, every village, every stage."""

import time

from django.core.management.base import BaseCommand, CommandError

from fupin.procedures.cycle import run_cycle
from fupin.procedures.services import ProcedureError
from fupin.registry.demo import DEMO_COUNTY


class Command(BaseCommand):
    help = (
        "运行一个县的年度程序：村情、规模与减贫计划分解，各村识别、返贫、脱贫批次走完全部环节（模拟时钟）。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--year", type=int, required=True, help="procedure year (needs that year's incomes)"
        )
        parser.add_argument(
            "--county", default=DEMO_COUNTY, help=f"county code (default {DEMO_COUNTY}, the demo county)"
        )

    def handle(self, *args, year, county, **options):
        started = time.perf_counter()
        try:
            result = run_cycle(
                county=county,
                year=year,
                progress=(lambda kind, village: self.stderr.write(f"\r{kind} {village}", ending=""))
                if options["verbosity"] > 1
                else None,
            )
        except ProcedureError as e:
            raise CommandError(str(e)) from None
        total = time.perf_counter() - started
        self.stderr.write("")
        r = result
        self.stdout.write(
            self.style.SUCCESS(
                f"{r['county']} {r['year']}年（扶贫标准 {r['poverty_line']} 元）："
                f"规模 {r['quota_persons']:,} 人，减贫计划 {r['plan_persons']:,} 人；"
                f"识别 {r.get('identification_batches', 0)} 个村 {r.get('identified_households', 0):,} 户，"
                f"返贫 {r.get('relapse_batches', 0)} 个村 {r.get('relapsed_households', 0):,} 户，"
                f"脱贫 {r.get('exit_batches', 0)} 个村 {r.get('exited_households', 0):,} 户。"
            )
        )
        self.stdout.write(
            "用时：" + "，".join(f"{k} {v:.1f}s" for k, v in r["timings"].items()) + f"，合计 {total:.1f}s"
        )
        for failure in r["failures"]:
            self.stdout.write(self.style.WARNING(failure))
