"""Settings that protect a deployment (issue 14, findings 4 and 10): no published SECRET_KEY, a server that
refuses to start without one where it matters, HTTPS switches, a Content-Security-Policy with no inline
script, and `fupin check --deploy` clean under the production settings of docs/production.md."""

import os
import re
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from fupin.core.crypto import new_key_text
from fupin.secret_key import load_or_create

PROJECT = Path(__file__).resolve().parents[2]
PUBLISHED_KEY = "insecure-development-key-set-SECRET_KEY-in-production"


def run(code: str, tmp_path, **env):
    """Python in a fresh process with fupin's settings and the given environment (no SECRET_KEY unless
    given)."""
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SECRET_KEY", "DATABASE_URL", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    environ |= {"DJANGO_SETTINGS_MODULE": "fupin.settings", "FUPIN_VAR_DIR": str(tmp_path / "var")} | env
    return subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT, env=environ, capture_output=True, text=True, timeout=120
    )


PRINT_KEY = "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"


def test_the_settings_hold_no_constant_key():
    source = (PROJECT / "fupin" / "settings.py").read_text()
    assert PUBLISHED_KEY not in source
    assert settings.SECRET_KEY != PUBLISHED_KEY and len(settings.SECRET_KEY) >= 50


def test_without_a_key_one_is_made_once_in_var_readable_by_its_owner_only(tmp_path):
    first = run(PRINT_KEY, tmp_path)
    assert first.returncode == 0, first.stderr
    key_file = tmp_path / "var" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = first.stdout.strip()
    assert key == key_file.read_text().strip() and len(key) >= 50 and key != PUBLISHED_KEY
    assert run(PRINT_KEY, tmp_path).stdout.strip() == key  # the next start reuses it
    other = tmp_path / "elsewhere"
    assert run(PRINT_KEY, other).stdout.strip() != key  # another machine makes its own


def test_the_key_file_is_not_overwritten_and_var_is_not_committed(tmp_path):
    (tmp_path / "secret_key").write_text("kept-key\n")
    assert load_or_create(tmp_path) == "kept-key"
    assert "var/" in (PROJECT / ".gitignore").read_text().split()


def test_a_var_folder_that_cannot_be_written_asks_for_a_key(tmp_path):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        load_or_create(tmp_path / "missing" / "folder")


def test_a_key_in_the_environment_wins(tmp_path):
    key = secrets.token_urlsafe(50)
    result = run(PRINT_KEY, tmp_path, SECRET_KEY=key)
    assert result.stdout.strip() == key
    assert not (tmp_path / "var" / "secret_key").exists()


def test_a_server_on_its_own_database_with_debug_off_refuses_to_start_without_a_key(tmp_path):
    database = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    keys = new_key_text()  # the data keys are there (tests/core/test_crypto.py refuses a server without them)
    refused = run("import fupin.wsgi", tmp_path, DATABASE_URL=database, FUPIN_DATA_KEYS=keys)
    assert refused.returncode != 0
    assert "SECRET_KEY 未设置" in refused.stderr and "ImproperlyConfigured" in refused.stderr
    serve = run(
        "import sys; sys.argv = ['fupin', 'serve', '--no-worker']; from fupin.__main__ import main; main()",
        tmp_path,
        DATABASE_URL=database,
        FUPIN_DATA_KEYS=keys,
    )
    assert serve.returncode != 0 and "SECRET_KEY 未设置" in serve.stderr
    # with a key, or on the embedded default (scripts/run.sh), or in development, it starts
    assert (
        run(
            "import fupin.wsgi",
            tmp_path,
            DATABASE_URL=database,
            SECRET_KEY=secrets.token_urlsafe(50),
            FUPIN_DATA_KEYS=keys,
        ).returncode
        == 0
    )
    assert run("import fupin.wsgi", tmp_path, DATABASE_URL=database, DEBUG="1").returncode == 0
    assert run("import fupin.wsgi", tmp_path).returncode == 0


SECURITY_SETTINGS = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
    "s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD, getattr(s, 'SECURE_PROXY_SSL_HEADER', None))"
)


def test_https_switches_come_from_the_environment(tmp_path):
    plain = run(SECURITY_SETTINGS, tmp_path).stdout.strip().split(maxsplit=6)
    assert plain == ["False", "False", "False", "0", "False", "False", "None"]
    https = (
        run(SECURITY_SETTINGS, tmp_path, FUPIN_HTTPS="1", FUPIN_BEHIND_PROXY="1", FUPIN_HSTS_PRELOAD="1")
        .stdout.strip()
        .split(maxsplit=6)
    )
    assert https == [
        "True",
        "True",
        "True",
        "31536000",
        "True",
        "True",
        "('HTTP_X_FORWARDED_PROTO', 'https')",
    ]


def test_check_deploy_is_clean_with_the_documented_production_settings(tmp_path):
    """The environment docs/production.md gives; any warning fails (--fail-level WARNING).

    DJANGO_ALLOW_ASYNC_UNSAFE, which the browser tests set in this process, is no deployment's and is left
    out.
    """
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SECRET_KEY", "DATABASE_URL", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    environ |= {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "fupin.example.cn",
        "FUPIN_HTTPS": "1",
        "FUPIN_BEHIND_PROXY": "1",
        "FUPIN_HSTS_PRELOAD": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "FUPIN_VAR_DIR": str(tmp_path / "var"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "fupin", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    documented = (PROJECT / "docs" / "production.md").read_text()
    for name in (
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "FUPIN_HTTPS",
        "FUPIN_BEHIND_PROXY",
        "FUPIN_HSTS_PRELOAD",
        "check --deploy",
    ):
        assert name in documented


# ---------------------------------------------------------------- Content-Security-Policy


@pytest.mark.django_db
def test_every_page_carries_a_policy_that_runs_no_inline_script(users):
    client = Client()
    for path in ("/accounts/login/", "/api/v1/docs"):
        policy = client.get(path)["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
        assert directives["script-src"] == "'self'"
        assert "unsafe-inline" not in directives["script-src"] and "unsafe-eval" not in policy
        assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    client.force_login(users["clerk"])
    assert "script-src 'self'" in client.get("/households/")["Content-Security-Policy"]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
HANDLER_ATTRIBUTE = re.compile(r"""\son[a-z]+\s*=\s*["']""", re.I)
SCRIPT_URL = re.compile(r"""(href|src|action)\s*=\s*["']\s*javascript:""", re.I)
HTMX_EVAL = re.compile(r"""hx-on[:-]|hx-vals\s*=\s*["']\s*js:|hx-vars""", re.I)


def test_no_template_has_inline_script():
    """Every template of fupin (and the Swagger page in fupin/api.py): scripts only from static files."""
    sources = [p for p in (PROJECT / "fupin").rglob("*.html")]
    assert len(sources) > 50
    sources.append(PROJECT / "fupin" / "api.py")
    found = []
    for path in sources:
        text = path.read_text()
        for pattern in (INLINE_SCRIPT, HANDLER_ATTRIBUTE, SCRIPT_URL, HTMX_EVAL):
            found += [f"{path.relative_to(PROJECT)}: {m.group(0)}" for m in pattern.finditer(text)]
    assert found == []


def test_htmx_is_configured_to_work_under_the_policy():
    base = (PROJECT / "fupin" / "templates" / "base.html").read_text()
    config = re.search(r"""<meta name="htmx-config" content='([^']*)'>""", base).group(1)
    assert '"includeIndicatorStyles": false' in config and '"allowEval": false' in config
