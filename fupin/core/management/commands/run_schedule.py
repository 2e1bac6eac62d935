"""`fupin run-schedule`: enqueue the daily jobs due now that have not run today (the worker does this every
minute; call it from cron where the task worker is not fupin's own). `--list` shows the jobs, their times and
last runs."""

from typing import Any

from django.core.management.base import BaseCommand

from fupin.core import schedule


class Command(BaseCommand):
    help = "将到点且今日尚未运行的每日任务排入后台队列（--list 列出每日任务）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--list", action="store_true", help="列出每日任务、时间和最近一次运行")

    def handle(self, *args: Any, list: bool, **options: Any) -> None:
        if list:
            last = schedule.last_runs()
            for job in schedule.jobs():
                run = last.get(job.name)
                when = f"最近 {run.day}" if run else "尚未运行"
                self.stdout.write(f"{job.at:%H:%M}\t{job.name}\t{job.description}\t{when}")
            return
        names = schedule.run_due()
        self.stdout.write(f"已排队 {len(names)} 个每日任务{('：' + '、'.join(names)) if names else ''}")
