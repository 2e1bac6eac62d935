"""fupin seed-demo: build the deterministic synthetic demo county (信丰县)."""

from django.core.management.base import BaseCommand, CommandError

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

    def handle(self, *args, persons, seed, reset, **options):
        if persons < 1:
            raise CommandError("--persons 须为正整数")
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
                f"已生成 {result['households']:,} 户 {result['persons']:,} 人，分布在 {result['villages']} 个行政村。"
            )
        )
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：{', '.join(result['users'])}")
