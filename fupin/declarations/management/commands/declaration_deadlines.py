"""`fupin declaration_deadlines [--date YYYY-MM-DD]`: run the deadline sweep (schedule it daily, e.g. from
cron)."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from fupin.declarations.sweep import sweep


class Command(BaseCommand):
    help = "申报办理时限检查：超期环节登记问题台账，已办结的自动销号"

    def add_arguments(self, parser):
        parser.add_argument("--date", help="按该日期检查（默认今天）")

    def handle(self, *args, date=None, **options):
        try:
            today = datetime.date.fromisoformat(date) if date else None
        except ValueError:
            raise CommandError(gettext("日期格式应为 YYYY-MM-DD")) from None
        result = sweep(today)
        self.stdout.write(f"新登记超期问题 {result['opened']} 条，自动销号 {result['settled']} 条")
