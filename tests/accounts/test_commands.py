"""Every `fupin …` command that changes something acts as one account, chosen by one rule."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from fupin.accounts.commands import acting_user
from fupin.accounts.models import User
from tests import factories


def test_a_command_acts_as_the_named_active_account(tree):
    county = factories.make_user("county", "county", "360722")
    assert acting_user("county") == county
    county.is_active = False
    county.save()
    with pytest.raises(CommandError, match="已停用：county"):
        acting_user("county")
    with pytest.raises(CommandError, match="用户不存在"):
        acting_user("nobody")


def test_without_a_name_a_command_acts_as_the_first_active_administrator(tree):
    with pytest.raises(CommandError, match="没有系统管理员账号"):
        acting_user()
    retired = factories.make_user("retired", superuser=True)
    User.objects.filter(pk=retired.pk).update(is_active=False)
    admin = factories.make_user("root", superuser=True)
    factories.make_user("later", superuser=True)
    assert acting_user() == admin and acting_user("") == admin and acting_user(None) == admin


@pytest.mark.parametrize(
    "command, args",
    [
        ("loan_reminders", ["--date", "2025-02-01"]),
        ("handbook_batch", [factories.VILLAGE]),
        ("sweep", ["--year", "2025", "--kind", "suspect"]),
    ],
)
def test_commands_share_the_rule_and_its_message(tree, command, args):
    factories.make_user("retired", superuser=True)
    User.objects.filter(username="retired").update(is_active=False)
    with pytest.raises(CommandError, match="没有系统管理员账号"):
        call_command(command, *args)
    if command != "sweep":
        with pytest.raises(CommandError, match="用户不存在或已停用：retired"):
            call_command(command, *args, "--user", "retired")
