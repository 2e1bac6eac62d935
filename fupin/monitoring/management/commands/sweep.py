"""fupin sweep --year Y [--kind signals|suspect] [--region CODE]: run the rule sweep now, printing
progress."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from fupin.accounts.commands import acting_user
from fupin.monitoring import rules
from fupin.monitoring.models import Sweep
from fupin.monitoring.sweeps import run_sweep


class Command(BaseCommand):
    help = "运行防返贫监测风险预警或疑点数据筛查"

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--kind", choices=Sweep.Kind.values, default=Sweep.Kind.SIGNALS)
        parser.add_argument("--region", default="", help="区划代码前缀，留空为全部")

    def handle(self, *args, year, kind, region, **options):
        if kind == Sweep.Kind.SIGNALS and not rules.effective_thresholds(year):
            raise CommandError(gettext("未设置%(year)s年及以前的监测线") % {"year": year})
        by = acting_user()  # the whole registry, or --region of it: an administrator's work
        total = len(rules.SIGNAL_RULES if kind == Sweep.Kind.SIGNALS else rules.SUSPECT_RULES)
        sweep = Sweep.objects.create(
            kind=kind, year=year, scope_code=region, started_by=by, rules_total=total
        )
        sweep = run_sweep(sweep)
        self.stdout.write(f"{sweep}：{sweep.results} 条结果，用时 {sweep.seconds:.2f} 秒")
