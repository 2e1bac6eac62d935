"""`fupin rebuild-stats`: rebuild the statistics rollup now, or queue it for the task worker."""

from django.core.management.base import BaseCommand

from fupin.reports import services, tasks


class Command(BaseCommand):
    help = "重建统计汇总表（省、市、县、乡、村各级户数人数），供大范围统计页面使用"

    def add_arguments(self, parser):
        parser.add_argument("--queue", action="store_true", help="交给后台任务执行，而不是立即执行")
        parser.add_argument("--refresh", action="store_true", help="只把上次刷新后有变动的村并入汇总")

    def handle(self, *args, queue=False, refresh=False, **options):
        if queue:
            result = (tasks.refresh_stats if refresh else tasks.rebuild_stats).enqueue()
            self.stdout.write(f"已加入后台任务：{result.id}")
        elif refresh:
            self.stdout.write(f"已刷新 {services.refresh_stats()} 个村的统计汇总")
        else:
            services.rebuild_stats(log=self.stdout.write)
