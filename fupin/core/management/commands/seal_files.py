"""fupin seal-files: encrypt the files under MEDIA_ROOT written before files were sealed at rest (or under
an older data key), one file at a time, each replaced whole (fupin.core.sealed_files.seal_tree): run it once
after upgrading, while fupin serves; killed, run it again and it goes on where it stopped. `fupin
rotate-keys` runs it too."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from fupin.core import crypto, sealed_files


class Command(BaseCommand):
    help = "加密上传文件目录中尚未加密的文件（可中断后重跑）。 Encrypt the stored files not yet encrypted."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch", type=int, default=200, help="每处理多少个文件报告一次进度")

    def handle(self, *args: Any, batch: int = 200, **options: Any) -> None:
        verbosity = options.get("verbosity", 1)

        def progress(done: int, seen: int) -> None:
            if verbosity >= 1:
                self.stdout.write(f"  已加密 {done} 个文件（已检查 {seen} 个）")

        written = sealed_files.seal_tree(progress=progress, batch=batch)
        self.stdout.write(
            self.style.SUCCESS(
                f"{settings.MEDIA_ROOT} 中的文件均已使用密钥 {crypto.keyring().current} 加密"
                f"（本次 {written} 个）"
            )
        )
