"""`fupin recover-work`: settle the background work whose process died (the worker does it every minute by
itself)."""

from typing import Any

from django.core.management.base import BaseCommand

from fupin.core import work


class Command(BaseCommand):
    help = "检查中断的后台任务：进程已退出的任务标记为失败（导入任务按数据是否已写入标记）。"

    def handle(self, *args: Any, **options: Any) -> None:
        settled = work.recover_all()
        self.stdout.write(f"已处理中断的任务：{settled} 个")
