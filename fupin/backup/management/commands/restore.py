"""fupin restore ARCHIVE [--force]: put a backup's database, uploaded files and keys in place, after checking
them on a new copy beside the live database (fupin.backup.services)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from fupin.backup.archive import BackupError
from fupin.backup.services import restore


class Command(BaseCommand):
    help = "从 fupin backup 的归档恢复数据库、上传文件与密钥（先核验，再切换；失败时原数据不变）"

    def add_arguments(self, parser):
        parser.add_argument("archive", help="fupin backup 写出的 .tar 文件")
        parser.add_argument(
            "--force", action="store_true", help="当前数据库已有数据时也恢复（原数据库保留在旁边）"
        )

    def handle(self, *args, archive, force, **options):
        try:
            outcome = restore(Path(archive), force=force, log=self.stderr.write)
        except BackupError as e:
            raise CommandError(gettext("恢复失败：%(error)s") % {"error": e}) from None
        manifest = outcome.manifest
        media = outcome.media
        self.stdout.write(
            f"已从 {outcome.path}（{manifest.get('created', '?')} 于 {manifest.get('host', '?')} 备份）恢复，"
            f"{outcome.seconds:,.1f} 秒：{len(manifest['tables'])} 张表 {outcome.rows:,} 行，"
            f"上传文件 {len(media):,} 个（{sum(f['size'] for f in media) / 2**20:,.1f} MB）"
        )
        self.stdout.write(
            f"核验通过：{outcome.compared}与清单一致，审计链完整"
            f"（{len(manifest['chains'])} 条链，{outcome.audit_entries:,} 条记录）"
        )
        for note in outcome.notes:
            self.stdout.write(note)
