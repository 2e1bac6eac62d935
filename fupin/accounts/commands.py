"""Who a `fupin …` command acts as: one rule and one `--user` option for every command that changes something.

The command acts as the named account, with that account's role and scope, so the services check it as they
would a signed-in user and the audit trail names it; without a name, as the first active administrator.
"""

from django.core.management.base import CommandError
from django.utils.translation import gettext

from .models import User

USER_HELP = "以哪个账号的名义和管辖范围执行（默认：第一个系统管理员）"


def add_user_argument(parser) -> None:
    parser.add_argument("--user", default="", help=USER_HELP)


def acting_user(username: str | None = "") -> User:
    """The active account `username`, or the first active administrator when no name is given."""
    if username:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(gettext("用户不存在或已停用：%(username)s") % {"username": username})
        return user
    user = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    if user is None:
        raise CommandError(
            gettext("没有系统管理员账号：请用 --user 指定账号，或先运行 fupin createsuperuser")
        )
    return user
