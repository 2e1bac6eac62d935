"""fupin purge-cross-checks: delete uploaded department lists past their retention date (run daily)."""

from django.core.management.base import BaseCommand

from fupin.monitoring.cross_checks import purge_cross_checks


class Command(BaseCommand):
    help = "删除超过保留期限的部门比对名单文件"

    def handle(self, *args, **options):
        self.stdout.write(f"已删除 {purge_cross_checks()} 份到期名单")
