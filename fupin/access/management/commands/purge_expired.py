"""fupin purge-expired: apply the retention rules (run daily, beside fupin purge-cross-checks): the access log
past FUPIN_ACCESS_LOG_RETENTION_DAYS (default three years) and the files of decided change requests past
FUPIN_EVIDENCE_RETENTION_DAYS (unset: kept), visit and declaration photos past FUPIN_PHOTO_RETENTION_DAYS
(unset: kept), and uploaded import files once processed (a failed job's after
FUPIN_IMPORT_FILE_RETENTION_DAYS,
default 30)."""

from django.core.management.base import BaseCommand

from fupin.access import retention


class Command(BaseCommand):
    help = "按保留期限清除到期的个人信息查看记录和变更申请佐证材料"

    def handle(self, *args, **options):
        expired = retention.expire_access_log()
        files = retention.purge_change_evidence()
        photos = retention.purge_photos()
        uploads = retention.purge_import_files()
        self.stdout.write(
            f"已清除 {expired} 条到期的个人信息查看记录，删除 {files} 份到期的变更申请佐证材料、"
            f"{photos} 张到期的走访和申报照片、{uploads} 个导入原文件"
        )
