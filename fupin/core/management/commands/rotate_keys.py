"""fupin rotate-keys: a new data key, and every encrypted value re-encrypted with it, while fupin serves.

With no option it adds a key to the key file (fupin.core.crypto) when everything is already under the
current one, then walks every table holding encrypted fields in batches, each its own short transaction
(fupin.core.encrypting.recrypt): pages keep answering meanwhile, and a record reads with whichever key its
value names. Killed half-way, run it again: values not yet under the current key remain, so it adds no key
and finishes them. Run it in the background (`nohup fupin rotate-keys &`) on a large registry; the progress
goes to the console. The old key stays in the file: delete its line only after a backup made since.
JSON holding encrypted values (a change request's payload, a sync conflict's values) is rewritten too, a
locked batch at a time (fupin.core.encrypting.reseal_json); the audit trail's values stay under the key they
were written with (the chain hashes them as stored), so a key stays in the file while audit entries name it.
Values sealed into queued tasks' arguments (a text message waiting to be sent) are sealed again under the new
key, on the database or the Redis queue (fupin.core.queued), so retiring the old key strands no message; and
the files under MEDIA_ROOT are sealed again under it, one file at a time (fupin.core.sealed_files.seal_tree).
"""

from typing import Any

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from fupin.core import crypto, encrypting, queued, sealed_files


class Command(BaseCommand):
    help = (
        "换用新的数据密钥并在后台分批重新加密（可中断后重跑）。"
        " Rotate the data key and re-encrypt in batches."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--no-new-key", action="store_true", help="只把数据重新加密到当前密钥")
        parser.add_argument("--batch", type=int, default=2000, help="每批行数")
        parser.add_argument("--print-new-keys", action="store_true", help="打印一份新的密钥文件内容后退出")

    def handle(
        self,
        *args: Any,
        no_new_key: bool = False,
        batch: int = 2000,
        print_new_keys: bool = False,
        **options: Any,
    ) -> None:
        if print_new_keys:
            self.stdout.write(crypto.new_key_text(), ending="")
            return
        tables = encrypting.tables(apps.get_models())
        ring = crypto.reload()
        json_tables = encrypting.json_tables(apps.get_models())
        if (
            not no_new_key
            and not any(encrypting.pending(t) for t in tables)
            and not any(encrypting.json_pending(m, n) for m, n in json_tables)
            and not queued.pending()
            and not sealed_files.pending(plain=False)
        ):
            try:
                ring = crypto.add_data_key()
            except ImproperlyConfigured as e:
                raise CommandError(str(e)) from None
            self.stdout.write(f"新密钥 {ring.current} 已加入 {ring.source}")
        else:
            self.stdout.write(f"继续重新加密到密钥 {ring.current}")
        verbosity = options.get("verbosity", 1)

        def progress(table: encrypting.Table, done: int, total: int) -> None:
            if verbosity >= 1 and (done == total or done % (batch * 25) == 0):
                self.stdout.write(f"  {table.label}: {done}/{total}")

        for _ in range(3):  # a server that had not yet seen the new key may have written with the old one
            for table in tables:
                written = encrypting.recrypt_any(table, batch=batch, progress=progress)
                if verbosity >= 1:
                    self.stdout.write(f"{table.label}: 重新加密 {written} 行")
            for model, names in json_tables:
                if encrypting.json_pending(model, names):
                    written = encrypting.reseal_json(model, names, batch=min(batch, 500))
                    if verbosity >= 1:
                        self.stdout.write(f"{model._meta.label}: 重新加密 {written} 行")
            written = queued.reseal_queues()
            if verbosity >= 1 and written:
                self.stdout.write(f"排队中的后台任务: 重新加密 {written} 个")
            written = sealed_files.seal_tree()
            if verbosity >= 1:
                self.stdout.write(f"上传文件: 重新加密 {written} 个")
            left = (
                sum(encrypting.pending(t) for t in tables)
                + sum(encrypting.json_pending(m, n) for m, n in json_tables)
                + queued.pending()
                + sealed_files.pending()
            )
            if not left:
                self.stdout.write(self.style.SUCCESS(f"全部数据已使用密钥 {ring.current}"))
                return
        raise CommandError(
            gettext("仍有 %(left)s 行未使用当前密钥：请确认各服务器已读到新密钥后重跑") % {"left": left}
        )
