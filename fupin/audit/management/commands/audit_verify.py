"""fupin audit-verify [--county CODE] [--anchors FILE]: recompute the audit trail's hash chains; exit 1
naming the first entries altered, deleted or inserted, 0 with a summary when every chain holds."""

import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from fupin.audit.models import AuditEntry
from fupin.audit.verify import anchor_file, verify


class Command(BaseCommand):
    help = "核验审计记录哈希链：发现被改动、删除或插入的记录时以非零状态退出"

    def add_arguments(self, parser):
        parser.add_argument("--county", default="", help="只核验该区划代码（县或其上级）下的链")
        parser.add_argument(
            "--anchors",
            action="append",
            default=[],
            metavar="FILE",
            help="另行比对的锚点文件（可多次给出；默认也比对 FUPIN_AUDIT_ANCHOR_FILE，若存在）",
        )
        parser.add_argument("--no-anchor-file", action="store_true", help="不比对默认的锚点文件")

    def handle(self, *args, county, anchors, no_anchor_file, **options):
        county = (county or "").strip()
        if county and not county.isdigit():
            raise CommandError(gettext("--county 应为区划代码（数字）"))
        files = [Path(p) for p in anchors]
        for path in files:
            if not path.is_file():
                raise CommandError(gettext("锚点文件不存在：%(path)s") % {"path": path})
        default = anchor_file()
        if not no_anchor_file and default.is_file() and default not in files:
            files.append(default)
        progress = None
        if self.stdout.isatty():
            total = AuditEntry.objects.filter(chain__startswith=county[:6]).count()
            started = time.monotonic()

            def progress(done):
                rate = done / max(time.monotonic() - started, 1e-6)
                self.stdout.write(f"\r已核验 {done:,} / {total:,} 条（{rate:,.0f} 条/秒）", ending="")
                self.stdout.flush()

        report = verify(county=county, anchor_files=files, progress=progress)
        if progress:
            self.stdout.write("")
        summary = f"{report.chains} 条链，{report.entries:,} 条审计记录，比对锚点 {report.anchors} 个"
        if report.ok:
            self.stdout.write(f"审计链完整：{summary}")
            return
        for problem in report.problems:
            self.stderr.write(f"[{problem.kind}] {problem.message}")
        self.stderr.write(f"审计链被篡改：{summary}，发现 {len(report.problems)} 处问题")
        sys.exit(1)
