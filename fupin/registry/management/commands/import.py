"""`fupin import FILE`: import households and members from the national form, with progress on stderr."""

import shutil
import sys
import time
from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from django.utils.translation import gettext

from fupin.accounts.commands import acting_user, add_user_argument
from fupin.core import files
from fupin.registry.importing import jobs, reading
from fupin.registry.importing.columns import ImportRejected
from fupin.registry.models import ImportJob, ImportStatus


class Command(BaseCommand):
    help = (
        "导入贫困户信息采集表（.xlsx 或 .csv）：校验全部行，无错误时整体写入；--only-valid 只导入无错误的户。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="要导入的 .xlsx 或 .csv 文件")
        add_user_argument(parser)
        parser.add_argument("--only-valid", action="store_true", help="有错误时只导入无错误的户")
        parser.add_argument(
            "--region", help="导入范围：区划代码，须在该用户的管辖范围内（默认：用户的管辖范围）"
        )

    def handle(self, *args, file, user=None, only_valid=False, region=None, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(gettext("文件不存在：%(path)s") % {"path": path})
        account = acting_user(user)
        scope = region if region is not None else account.scope_prefix
        if scope is None or not account.can_edit_registry:
            raise CommandError(
                gettext("用户 %(username)s 的角色不能导入贫困户数据") % {"username": account.username}
            )
        if not scope.startswith(account.scope_prefix or ""):
            raise CommandError(
                gettext("区划 %(scope)s 不在用户 %(username)s 的管辖范围内")
                % {"scope": scope, "username": account.username}
            )
        limits = files.command_limits()
        try:
            reading.open_table(path, limits=limits)
        except ImportRejected as e:
            raise CommandError(str(e)) from None
        job = ImportJob(
            user=account, scope_code=scope, original_name=path.name[:200], only_valid_rows=only_valid
        )
        with open(path, "rb") as fh:
            job.file.save(path.name, File(fh), save=False)
        job.save()
        self.started = time.monotonic()
        jobs.process_job(job, echo=self._progress, limits=limits)
        sys.stderr.write("\n")
        job.refresh_from_db()
        self.stdout.write(job.message)
        if job.error_file:
            # the report is stored encrypted (fupin.core.sealed_files): it is read through the page
            page = reverse("registry:import_detail", args=[job.pk])
            self.stdout.write(f"错误报告：在导入记录页 {page} 下载（服务器上的文件已加密）")
        if job.status != ImportStatus.DONE:
            raise CommandError(gettext("导入未完成（%(status)s）") % {"status": job.get_status_display()})

    def _progress(self, stage, done, total):
        label = "校验" if stage == "validating" else "导入"
        width = 30
        filled = int(width * done / total) if total else width
        elapsed = time.monotonic() - self.started
        rate = done / elapsed if elapsed > 0 else 0
        bar = "#" * filled + "-" * (width - filled)
        columns = shutil.get_terminal_size((80, 20)).columns
        line = f"\r{label} [{bar}] {done}/{total} 行  {rate:,.0f} 行/秒"
        sys.stderr.write(line[: columns + 1])
        sys.stderr.flush()
