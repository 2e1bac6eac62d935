"""Where fupin's SECRET_KEY comes from when the environment gives none: a random key made once and kept in
var/.

The key signs sessions, CSRF tokens and the handbook's public QR codes, so it must never be a constant that
anyone can read in the source. A machine that runs fupin on its embedded default (`scripts/run.sh`: SQLite in
var/) makes its own key on first start and keeps it in `var/secret_key`, readable by its owner only. A
deployment on a database of its own (DATABASE_URL) with DEBUG off must set SECRET_KEY itself: several servers
sharing one database need one key, and a key kept in one machine's var/ would silently differ between them.
"""

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

KEY_FILE_NAME = "secret_key"


def load_or_create(var_dir: Path) -> str:
    """The key kept in `var_dir`, made there (mode 600) if it is not there yet."""
    path = Path(var_dir) / KEY_FILE_NAME
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        key = ""
    if key:
        return key
    key = secrets.token_urlsafe(50)
    # O_EXCL: two processes starting together do not both write; the loser reads the winner's key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip() or key
    except OSError as e:
        raise ImproperlyConfigured(
            f"无法在 {path} 保存密钥（{e.strerror}）：请设置 SECRET_KEY 环境变量。"
            f" Cannot keep a key in {path} ({e.strerror}): set SECRET_KEY."
        ) from None
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


def refuse_unset_key_in_production() -> None:
    """Stop a server from starting on a database of its own, with DEBUG off, and no SECRET_KEY in the
    environment."""
    from django.conf import settings

    if (
        not settings.DEBUG
        and not settings.SECRET_KEY_FROM_ENVIRONMENT
        and not settings.EMBEDDED_DEFAULT_DATABASE
    ):
        raise ImproperlyConfigured(
            "SECRET_KEY 未设置：DEBUG 关闭且使用 DATABASE_URL 时，服务拒绝启动。请在环境变量中设置一个随机的 "
            "SECRET_KEY"
            "（例如 python -c 'import secrets; print(secrets.token_urlsafe(50))' "
            "的输出），各服务器使用同一个。"
            " SECRET_KEY is not set: with DEBUG off and a DATABASE_URL, fupin refuses to serve. Set "
            "SECRET_KEY to a"
            " random value, the same on every server (see docs/production.md)."
        )
