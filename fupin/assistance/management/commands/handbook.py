"""fupin handbook: one household's handbook (扶贫手册) as a PDF file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from fupin.assistance.handbook import public_base_url, render_handbook_pdf
from fupin.registry.models import Household


class Command(BaseCommand):
    help = "生成一户的扶贫手册PDF。Write one household's handbook as PDF."

    def add_arguments(self, parser):
        parser.add_argument("number", help="户编号")
        parser.add_argument("--out", default="", help="输出文件（默认：扶贫手册_<户编号>.pdf）")
        parser.add_argument("--base-url", default="", help="二维码指向的网址前缀（默认 FUPIN_PUBLIC_URL）")

    def handle(self, *args, number, out, base_url, **options):
        household = Household.objects.select_related("village", "group").filter(number=number).first()
        if household is None:
            raise CommandError(gettext("户编号不存在：%(number)s") % {"number": number})
        path = Path(out or f"扶贫手册_{number}.pdf")
        path.write_bytes(render_handbook_pdf(household, base_url=base_url or public_base_url()))
        self.stdout.write(self.style.SUCCESS(f"已生成 {path}"))
