"""fupin backup PATH [--no-verify] [--keep N]: the database, uploaded files and var/secret_key in one archive
(never the data keys), checked by restoring it into a scratch database (fupin.backup.services)."""

import re
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from fupin.backup.archive import BackupError
from fupin.backup.engines import stamp
from fupin.backup.services import backup
from fupin.core import crypto

NAMED = re.compile(r"^fupin-\d{14}\.tar$")


class Command(BaseCommand):
    help = "备份数据库与上传文件到一个归档文件，并恢复到临时数据库核验（数据密钥不在其中，须另行保管）"

    def add_arguments(self, parser):
        parser.add_argument("path", help="备份文件路径；给出目录时在其中写 fupin-年月日时分秒.tar")
        parser.add_argument("--no-verify", action="store_true", help="写完后不做恢复核验")
        parser.add_argument(
            "--keep",
            type=int,
            default=0,
            metavar="N",
            help="给出目录时，只保留其中最新的 N 个 fupin-*.tar（0：全部保留）",
        )

    def handle(self, *args, path, no_verify, keep, **options):
        if keep < 0:
            raise CommandError(gettext("--keep 应为非负整数"))
        target = Path(path)
        directory = target if target.is_dir() else None
        if directory is not None:
            target = directory / f"fupin-{stamp()}.tar"
        elif keep:
            raise CommandError(gettext("--keep 只在给出目录时使用"))
        try:
            outcome = backup(target, check=not no_verify, log=self.stderr.write)
        except BackupError as e:
            raise CommandError(gettext("备份失败：%(error)s") % {"error": e}) from None
        manifest = outcome.manifest
        media = outcome.media
        size = outcome.path.stat().st_size
        self.stdout.write(
            f"已备份到 {outcome.path}（{size / 2**20:,.1f} MB，{outcome.seconds:,.1f} 秒）："
            f"{manifest['engine']} 数据库 "
            f"{len(manifest['tables'])} 张表 {outcome.rows:,} 行，上传文件 {len(media):,} 个"
            f"（{sum(f['size'] for f in media) / 2**20:,.1f} MB），审计链 {len(manifest['chains'])} 条"
        )
        if outcome.checked:
            self.stdout.write(
                f"核验通过：恢复出的副本{outcome.compared}与清单一致，"
                f"审计链完整（{outcome.audit_entries:,} 条记录）"
            )
        else:
            self.stdout.write("未核验（--no-verify）")
        self.stdout.write(
            "注意：备份含 var/secret_key 与全部个人信息（已加密），请像对待数据库本身一样保管（权限 600）"
        )
        needed = ", ".join(manifest.get("data_keys", {}).get("data", {}))
        self.stdout.write(
            f"数据密钥不在备份中，恢复时需要密钥 {needed}：请把 {crypto.keyring().source} "
            "另行保管（另一台机器或离线介质），不要与备份放在一起"
        )
        if directory is not None and keep:
            for old in sorted(p for p in directory.iterdir() if NAMED.match(p.name))[:-keep]:
                old.unlink()
                self.stdout.write(f"已删除较早的备份 {old}")
