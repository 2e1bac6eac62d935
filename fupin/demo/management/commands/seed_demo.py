"""fupin seed-demo: build the deterministic synthetic demo county (信丰县) and, unless --households-only,
several years of work done in it (fupin.demo.history)."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from fupin.demo.history import build_history
from fupin.regions.models import in_region
from fupin.registry.demo import DEMO_COUNTY, DEMO_PASSWORD, build_demo_county
from fupin.registry.models import Household


class Command(BaseCommand):
    help = "生成演示数据：信丰县的合成贫困户数据（可重复生成）。Build a deterministic synthetic county."

    def add_arguments(self, parser):
        parser.add_argument(
            "--persons", type=int, default=20000, help="about how many persons (default 20,000)"
        )
        parser.add_argument(
            "--seed", type=int, default=2015, help="random seed; the same seed gives the same county"
        )
        parser.add_argument("--reset", action="store_true", help="delete the demo county's households first")
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when the demo county already has households"
        )
        parser.add_argument(
            "--households-only",
            action="store_true",
            help=(
                "the households alone, without the procedures, pairings, funds and monitoring done with them"
            ),
        )

    def handle(self, *args, persons, seed, reset, households_only=False, **options):
        if persons < 1:
            raise CommandError(gettext("--persons 须为正整数"))
        if options["if_empty"] and Household.objects.filter(in_region("village_id", DEMO_COUNTY)).exists():
            self.stdout.write("演示县已有数据，跳过")
            return
        try:
            result = build_demo_county(
                persons=persons,
                seed=seed,
                reset=reset,
                progress=lambda n: (
                    self.stderr.write(f"\r{n:,} 人", ending="") if options["verbosity"] else None
                ),
            )
        except ValueError as e:
            raise CommandError(str(e)) from None
        self.stderr.write("")
        self.stdout.write(
            self.style.SUCCESS(
                f"已生成 {result['households']:,} 户 {result['persons']:,} 人，"
                f"分布在 {result['villages']} 个行政村。"
            )
        )
        users = list(result["users"])
        if not households_only:
            started = time.perf_counter()
            try:
                history = build_history(
                    seed=seed,
                    progress=(lambda step: self.stderr.write(f"{step}…")) if options["verbosity"] else None,
                )
            except ValueError as e:
                raise CommandError(gettext("生成演示业务数据失败：%(error)s") % {"error": e}) from None
            users.append("demo_helper")
            self.stdout.write(
                self.style.SUCCESS(
                    "已生成业务数据（"
                    + "，".join(f"{k} {v:,}" for k, v in history.items())
                    + f"），用时 {time.perf_counter() - started:.1f} 秒。"
                )
            )
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：{', '.join(users)}")
