"""Role rules live in one permissions.py per app and compare with the Role enum (issue 15, item 5).

Checked against the tree before the change: role strings were compared in procedures' and assistance's views
and in five templates, and the services of changes, funds, monitoring, procedures and registry held their own
role rules, so the source tests below failed there.
"""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from fupin.accounts.models import Role
from fupin.accounts.permissions import has_role, holds, is_helper, is_liaison, may_create_users
from tests.factories import VILLAGE, make_tree, make_user

ROOT = Path(__file__).resolve().parents[2] / "fupin"
# A user's role compared, in code (`user.role == …`, `by.role in …`) or a template.
ROLE_COMPARISON = re.compile(r"\.role\s*(==|!=|not\s+in|in)\s")
ROLE_STRING = re.compile(
    r"""\.role\s*(==|!=)\s*["']|\.role\s+(not\s+)?in\s+[(\[{]\s*["']"""
    r"""|"role",\s*""\)\s*(==|!=)\s*["']"""
)
# The app, and which of its parts apply role rules (the registry's views have none: the importer and services
# do).
APPS_WITH_ROLE_RULES = {
    app: ("services", "views") for app in ("assistance", "changes", "funds", "monitoring", "procedures")
}
APPS_WITH_ROLE_RULES["registry"] = ("services",)
APPS_WITH_ROLE_RULES["declarations"] = ("services",)


def _sources(*patterns: str):
    for pattern in patterns:
        for path in sorted(ROOT.rglob(pattern)):
            if "migrations" not in path.parts:
                yield path, path.read_text(encoding="utf-8")


def test_code_compares_roles_only_in_permissions_modules():
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for path, text in _sources("*.py")
        for n, line in enumerate(text.splitlines(), 1)
        if ROLE_COMPARISON.search(line)
        and path.name != "permissions.py"
        and path.relative_to(ROOT).as_posix() != "accounts/models.py"
    ]
    assert found == []


def test_nothing_compares_a_role_with_a_string():
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for path, text in _sources("*.py", "*.html")
        for n, line in enumerate(text.splitlines(), 1)
        if ROLE_STRING.search(line)
    ]
    assert found == []


@pytest.mark.parametrize(("app", "parts"), APPS_WITH_ROLE_RULES.items())
def test_each_app_reads_its_role_rules_from_its_permissions_module(app, parts):
    assert (ROOT / app / "permissions.py").exists()
    for part in parts:
        module = ROOT / app / f"{part}.py"
        text = (
            module.read_text(encoding="utf-8")
            if module.exists()
            else "".join(p.read_text(encoding="utf-8") for p in (ROOT / app / part).glob("*.py"))
        )
        imports = (
            r"from \.+permissions import|from \.+ import \(?[^)]*?\bpermissions\b"  # one line or wrapped
        )
        assert re.search(imports, text), (app, part)


@pytest.mark.django_db
def test_role_predicates():
    make_tree()
    county = make_user("c", "county", "360722")
    helper = make_user("h", "helper", VILLAGE)
    admin = make_user("a", superuser=True)
    assert (
        has_role(county, Role.COUNTY) and has_role(admin, Role.COUNTY) and not has_role(helper, Role.COUNTY)
    )
    assert holds(county, Role.COUNTY) and not holds(admin, Role.COUNTY)
    assert is_helper(helper) and not is_helper(admin) and not is_liaison(county)
    assert may_create_users(county, VILLAGE) and not may_create_users(county, "360723100001")
    assert may_create_users(admin, None) and not may_create_users(helper, VILLAGE)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "region", "shown", "hidden"),
    [
        ("helper", VILLAGE, ["精准帮扶"], ["识别与退出", "监测与核查", "变更"]),
        ("liaison", None, ["监测与核查"], ["识别与退出", "精准帮扶"]),
        ("township", "360722100", ["识别与退出", "变更审核", "监测与核查"], ["两步验证", "变更申请"]),
        ("village_clerk", VILLAGE, ["变更申请"], ["变更审核", "两步验证"]),
        ("county", "360722", ["两步验证", "变更审核"], []),
    ],
)
def test_the_menu_follows_the_role_enum(client, role, region, shown, hidden):
    make_tree()
    client.force_login(make_user("u", role, region))
    page = client.get(reverse("accounts:password_change")).content.decode()
    for label in shown:
        assert label in page, label
    for label in hidden:
        assert label not in page, label
