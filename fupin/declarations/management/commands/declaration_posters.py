"""`fupin declaration_posters CODE --out FILE.pdf [--base-url URL]`: the village posters of a county, township
or village as one PDF (a page per village), for regions too large to print from the dashboard page."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from fupin.declarations.poster import render_posters_pdf, villages_under
from fupin.regions.models import Region, RegionLevel


class Command(BaseCommand):
    help = "生成县、乡镇或村的申报二维码海报（A4 PDF，每村一页）"

    def add_arguments(self, parser):
        parser.add_argument("code", help="县、乡镇或村的区划代码")
        parser.add_argument("--out", required=True, help="输出的 PDF 文件")
        parser.add_argument("--base-url", default=None, help="二维码中的网址前缀（默认 FUPIN_PUBLIC_URL）")

    def handle(self, code, *, out, base_url=None, **options):
        region = Region.objects.filter(code=code).first()
        if region is None or region.level < RegionLevel.COUNTY:
            raise CommandError(gettext("请给出县、乡镇或村的区划代码"))
        villages = villages_under(region)
        if not villages:
            raise CommandError(gettext("%(name)s下没有村") % {"name": region.name})
        with open(out, "wb") as fh:
            fh.write(render_posters_pdf(villages, base_url=base_url))
        self.stdout.write(f"{region.name}：{len(villages)} 个村的海报已写入 {out}")
