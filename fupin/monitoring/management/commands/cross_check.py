"""fupin cross-check FILE --department D [--region CODE]: upload a department list and match it now."""

from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from fupin.accounts.commands import acting_user
from fupin.monitoring import cross_checks, services
from fupin.monitoring.matching import DepartmentFileError
from fupin.monitoring.models import CrossCheck, Department


class Command(BaseCommand):
    help = "上传部门名单并与成员比对"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--department", required=True, choices=[d for d in Department.values if d != Department.REGISTRY]
        )
        parser.add_argument("--region", default="", help="比对范围（区划代码前缀），留空为全部")

    def handle(self, *args, file, department, region, **options):
        path = Path(file)
        if not path.exists():
            raise CommandError(gettext("文件不存在：%(file)s") % {"file": file})
        by = acting_user()  # the whole registry, or --region of it: an administrator's work
        try:
            with open(path, "rb") as raw:
                # a File names the upload (a file object's own name is read-only and holds the whole path)
                check = cross_checks.upload_cross_check(
                    by=by, department=department, upload=File(raw, name=path.name)
                )
        except (DepartmentFileError, services.MonitoringError) as e:
            raise CommandError(str(e)) from None
        CrossCheck.objects.filter(pk=check.pk).update(
            scope_code=region, run_by=by, status=CrossCheck.Status.QUEUED
        )
        check.refresh_from_db()
        check = cross_checks.run_cross_check(check)
        if check.status != CrossCheck.Status.DONE:
            raise CommandError(check.message)
        self.stdout.write(
            f"名单 {check.rows} 行，匹配成员 {check.matched_members} 人，疑点 {check.findings_count} 条，"
            f"未授权 {check.unauthorised_members} 人（未比对），"
            f"用时 {check.seconds:.2f} 秒"
        )
