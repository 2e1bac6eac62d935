"""fupin load-regions: load the national division tree (reference data)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from fupin.regions.models import Region, RegionLevel
from fupin.regions.services import DIVISIONS_FILE, load_regions, read_divisions, select_divisions

DEPTHS = {
    "province": RegionLevel.PROVINCE,
    "prefecture": RegionLevel.PREFECTURE,
    "county": RegionLevel.COUNTY,
    "township": RegionLevel.TOWNSHIP,
    "village": RegionLevel.VILLAGE,
}


class Command(BaseCommand):
    help = (
        "加载全国行政区划（统计用区划代码）。Load the division tree: the whole country to --depth, "
        "and full depth under each --under code."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--file", type=Path, default=DIVISIONS_FILE, help="CSV (code,name), optionally gzipped"
        )
        parser.add_argument(
            "--depth",
            choices=DEPTHS,
            default="village",
            help="depth for the whole country (default: village)",
        )
        parser.add_argument(
            "--under", action="append", default=[], help="a region code whose whole subtree is loaded"
        )
        parser.add_argument(
            "--if-incomplete", action="store_true", help="skip when every selected region is already loaded"
        )

    def handle(self, *args, file, depth, under, **options):
        if not file.exists():
            raise CommandError(gettext("文件不存在：%(file)s") % {"file": file})
        for code in under:
            if not code.isdigit():
                raise CommandError(gettext("区划代码只能是数字：%(code)s") % {"code": code})
        rows = list(select_divisions(read_divisions(file), under=under, depth=DEPTHS[depth]))
        if (
            options["if_incomplete"]
            and Region.objects.filter(code__in=[c for c, _ in rows[-1:]]).exists()
            and Region.objects.count() >= len(rows)
        ):
            self.stdout.write(f"行政区划已加载（{len(rows):,} 个），跳过")
            return
        count = load_regions(
            rows,
            progress=lambda n: self.stderr.write(f"\r{n:,} 条", ending="") if options["verbosity"] else None,
        )
        self.stderr.write("")
        self.stdout.write(self.style.SUCCESS(f"已加载 {count:,} 个行政区划"))
