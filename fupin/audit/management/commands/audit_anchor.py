"""fupin audit-anchor: record each audit chain's head of the day (run daily, e.g. from cron), in the
database and appended to FUPIN_AUDIT_ANCHOR_FILE; prints the latest anchors so copies exist elsewhere."""

from pathlib import Path

from django.core.management.base import BaseCommand

from fupin.audit.verify import anchor_file, anchor_line, latest_anchors, make_anchors


class Command(BaseCommand):
    help = "记录当日各审计链的末端（锚点），写入数据库并追加到库外的锚点文件"

    def add_arguments(self, parser):
        parser.add_argument(
            "--file", default="", help="锚点文件（默认 FUPIN_AUDIT_ANCHOR_FILE 或 var/audit-anchors.log）"
        )
        parser.add_argument("--county", default="", help="只打印该区划代码下各链的最新锚点")

    def handle(self, *args, file, county, **options):
        path = Path(file) if file else anchor_file()
        made = make_anchors(path=path)
        self.stdout.write(f"新记录锚点 {len(made)} 个，已追加到 {path}")
        self.stdout.write("各链最新锚点（日期 链 序号 哈希）：")
        for anchor in latest_anchors((county or "").strip()[:6]):
            self.stdout.write(anchor_line(anchor), ending="")
