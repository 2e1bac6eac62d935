"""fupin purge-expired: apply the retention rules (run daily, beside fupin purge-cross-checks): the access log past
FUPIN_ACCESS_LOG_RETENTION_DAYS (default three years) and the files of decided change requests past
FUPIN_EVIDENCE_RETENTION_DAYS (unset: kept)."""

from django.core.management.base import BaseCommand

from fupin.access import retention


class Command(BaseCommand):
    help = "按保留期限清除到期的个人信息查看记录和变更申请佐证材料"

    def handle(self, *args, **options):
        expired = retention.expire_access_log()
        files = retention.purge_change_evidence()
        self.stdout.write(f"已清除 {expired} 条到期的个人信息查看记录，删除 {files} 份到期的变更申请佐证材料")
