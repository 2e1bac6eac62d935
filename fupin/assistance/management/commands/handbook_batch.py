"""fupin handbook-batch: the handbooks of a whole village into one ZIP, with progress on the terminal."""

import threading
import time

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.urls import reverse

from fupin.accounts.commands import acting_user, add_user_argument
from fupin.assistance import services
from fupin.assistance.models import BatchStatus, HandbookBatch


class Command(BaseCommand):
    help = "批量生成一个行政村的扶贫手册（每户一个PDF，打包为ZIP）。Build a village's handbooks."

    def add_arguments(self, parser):
        parser.add_argument("village", help="行政村代码（12位）")
        add_user_argument(parser)

    def handle(self, *args, village, user, **options):
        by = acting_user(user)
        started = time.monotonic()
        stop = threading.Event()
        if options["verbosity"]:
            threading.Thread(target=self._watch, args=(village, stop), daemon=True).start()
        try:
            batch = services.start_handbook_batch(by=by, village_code=village)
        except (services.AssistanceError, PermissionDenied) as e:
            raise CommandError(str(e)) from None
        finally:
            stop.set()
        if batch.status in (BatchStatus.PENDING, BatchStatus.RUNNING):
            self.stdout.write(
                f"已加入后台队列（任务 {batch.task_id}）；"
                "运行 `fupin worker`（或 `fupin serve`）处理，网页上可查看进度。"
            )
            return
        self.stderr.write("")
        if batch.status == BatchStatus.FAILED:
            raise CommandError(batch.message)
        self.stdout.write(
            self.style.SUCCESS(
                f"{batch.message}，用时 {time.monotonic() - started:.1f} 秒：在 "
                f"{reverse('assistance:batch', args=[batch.pk])} 下载（服务器上的文件已加密）"
            )
        )

    def _watch(self, village: str, stop: threading.Event) -> None:
        try:
            while not stop.wait(1):
                batch = HandbookBatch.objects.filter(village_id=village).order_by("-pk").first()
                if batch and batch.total:
                    self.stderr.write(f"\r{batch.done}/{batch.total} 户 ({batch.percent}%)", ending="")
        finally:
            connection.close()  # this thread's own connection: left open, it would hold the database
