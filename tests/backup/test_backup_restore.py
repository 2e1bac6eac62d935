"""fupin backup / fupin restore, run as an administrator runs them: commands in their own processes, on a
database of their own (a SQLite file, or a PostgreSQL database beside the suite's when the suite runs on
PostgreSQL), with uploaded files and a key in their own var/ folder.

The round trip compares every table row by row (a digest of its sorted rows, computed here independently of
the product's own checksums), every file's bytes, the key, and the audit chains (fupin audit-verify)."""

import contextlib
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

REPO = Path(__file__).resolve().parents[2]
SUITE_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = SUITE_URL.startswith(("postgres://", "postgresql://"))

if ON_POSTGRES:
    import psycopg

    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed", allow_module_level=True)

SEED = """
import sys, django
django.setup()
from pathlib import Path
from django.conf import settings
from tests import factories
factories.make_tree()
for i in range(int(sys.argv[1])):
    factories.make_household(factories.VILLAGE if i % 2 else factories.OTHER_COUNTY_VILLAGE, head="张三丰")
media = Path(settings.MEDIA_ROOT)
for name, data in [("evidence/ab/证明.pdf", b"%PDF-1.4 " + bytes(range(256)) * 40),
                   ("photos/v1.jpg", b"\\xff\\xd8\\xff" + b"x" * 5000),
                   ("imports/errors.xlsx", b"PK" + b"y" * 300)]:
    (media / name).parent.mkdir(parents=True, exist_ok=True)
    (media / name).write_bytes(data)
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
default_storage.save("consents/授权书.pdf", ContentFile(b"%PDF-1.4 360722196802010012 " * 3000))  # sealed
from django.core.management import call_command
call_command("audit_anchor")
"""

LATER = """
import django
django.setup()
from pathlib import Path
from django.conf import settings
from tests import factories
factories.make_user("later", "county", "360722")
(Path(settings.MEDIA_ROOT) / "photos/v2.jpg").write_bytes(b"later")
"""

RESTORE_EACH = """
import json, sys, traceback, django
django.setup()
from django.core.management import CommandError, call_command
answers = {}
for path in sys.argv[1:]:
    force = path.endswith("+force")
    try:
        call_command("restore", path.removesuffix("+force"), force=force)
        answers[path] = "恢复成功"
    except CommandError as e:
        answers[path] = str(e)
    except Exception:
        answers[path] = traceback.format_exc()
print(json.dumps(answers, ensure_ascii=False))
"""

WRITER = """
import sys, django
django.setup()
from pathlib import Path
from tests import factories
stop = Path(sys.argv[1])
done = 0
same_process_numbers = factories.id_number


def id_number(*, birth, sex="M", area="360722"):  # other birth years than SEED's: ID numbers never repeat
    return same_process_numbers(birth=birth.replace(year=birth.year - 30 + done // 200), sex=sex, area=area)


factories.id_number = id_number
while not stop.exists():
    factories.make_household(factories.VILLAGE, head="李四")
    done += 1
    print(done, flush=True)
"""


def _server_url(name: str) -> str:
    parts = urlsplit(SUITE_URL)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _maintenance():
    return psycopg.connect(_server_url("postgres"), autocommit=True)


READ_SEALED = """
import django
django.setup()
from pathlib import Path
from django.core.files.storage import default_storage
from fupin.core.sealed_files import MAGIC
with default_storage.open("consents/授权书.pdf") as fh:
    opened = fh.read() == b"%PDF-1.4 360722196802010012 " * 3000
print(opened and Path(default_storage.path("consents/授权书.pdf")).read_bytes().startswith(MAGIC))
"""

READ_NUMBERS = """
import django
django.setup()
from fupin.registry.models import Member
print(" ".join(Member.objects.values_list("id_number", flat=True)))
"""


class Site:
    """A fupin installation of its own: a var/ folder, its database, and the `fupin` command pointed at
    them."""

    def __init__(self, root: Path, database: str):
        self.var = root / "var"
        self.var.mkdir(parents=True, exist_ok=True)
        self.database = database
        self.env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("SECRET_KEY", "FUPIN_MEDIA_ROOT", "FUPIN_DATA_KEYS", "FUPIN_DATA_KEYS_FILE")
        }
        self.env.update(
            FUPIN_VAR_DIR=str(self.var),
            FUPIN_TASKS="immediate",
            PYTHONPATH=str(REPO),
            DJANGO_SETTINGS_MODULE="fupin.settings",
            FUPIN_AUDIT_ANCHOR_FILE=str(self.var / "anchors.log"),
            DATABASE_URL=_server_url(database) if ON_POSTGRES else f"sqlite:///{self.var / database}",
        )

    @property
    def media(self) -> Path:
        return self.var / "media"

    def _call(self, arguments: list[str], check: bool) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [sys.executable, *arguments],
            env=self.env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if check:
            assert done.returncode == 0, done.stderr[-3000:]
        return done

    def run(self, *args, check=True) -> subprocess.CompletedProcess:
        return self._call(["-m", "fupin", *args], check)

    def python(self, script: str, *args) -> subprocess.CompletedProcess:
        return self._call(["-c", script, *args], True)

    def rows(self, audit_upto: int | None = None) -> dict[str, str]:
        """Each table: a digest of its rows, sorted (every column of every row, not just the count); with
        `audit_upto`, the audit entries up to that id and no chain heads (a restore adds its own entry)."""
        skipped = ("audit_chainhead", "sqlite_sequence") if audit_upto is not None else ()
        where = {"audit_auditentry": f" WHERE id <= {int(audit_upto)}"} if audit_upto is not None else {}
        if ON_POSTGRES:
            with psycopg.connect(_server_url(self.database)) as connection:
                connection.execute("SET TIME ZONE 'UTC'")
                tables = [
                    t
                    for (t,) in connection.execute(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
                    )
                    if t not in skipped
                ]
                return {
                    t: connection.execute(
                        f"SELECT count(*) || ':' || coalesce(md5(string_agg(x.r, ',' ORDER BY x.r)), '') "
                        f'FROM (SELECT t::text AS r FROM "{t}" t{where.get(t, "")}) x'
                    ).fetchone()[0]
                    for t in tables
                }
        import sqlite3

        connection = sqlite3.connect(self.var / self.database)
        try:
            tables = [
                t
                for (t,) in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
                )
                if t not in skipped
            ]
            return {
                t: f"{len(rows)}:{hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()}"
                for t in tables
                for rows in [connection.execute(f'SELECT * FROM "{t}"{where.get(t, "")}').fetchall()]
            }
        finally:
            connection.close()

    def files(self) -> dict[str, str]:
        return {
            p.relative_to(self.var).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(self.var.rglob("*"))
            if p.is_file()
            and (p.is_relative_to(self.media) or p.name in ("secret_key", "data_keys", "anchors.log"))
        }

    def wipe(self) -> None:
        shutil.rmtree(self.media, ignore_errors=True)
        (self.var / "secret_key").unlink(missing_ok=True)
        (self.var / "data_keys").unlink(missing_ok=True)  # the members' numbers are unreadable without it
        if ON_POSTGRES:
            with _maintenance() as connection:
                connection.execute(f'DROP DATABASE "{self.database}" WITH (FORCE)')
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.var / self.database}{suffix}").unlink(missing_ok=True)


@pytest.fixture(scope="session")
def migrated(tmp_path_factory):
    """A migrated database made once (migrating takes half a minute), copied for each test."""
    root = tmp_path_factory.mktemp("backup-template")
    name = f"fupin_backup_template_{os.getpid()}"
    template = Site(root, name if ON_POSTGRES else "template.sqlite3")
    if ON_POSTGRES:
        with _maintenance() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            connection.execute(
                f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' "
                f"LC_CTYPE 'C.UTF-8'"
            )
    template.run("migrate", "-v0")
    yield template
    if ON_POSTGRES:
        with _maintenance() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def site(migrated, tmp_path):
    name = f"fupin_backup_{os.getpid()}_{time.monotonic_ns() % 10**9}"
    made = Site(tmp_path, name if ON_POSTGRES else "fupin.sqlite3")
    if ON_POSTGRES:
        with _maintenance() as connection:
            connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{migrated.database}"')
    else:
        shutil.copyfile(migrated.var / migrated.database, made.var / made.database)
    yield made
    if ON_POSTGRES:
        with _maintenance() as connection:
            for (leftover,) in connection.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s", [f"{name[:30]}%"]
            ).fetchall():
                connection.execute(f'DROP DATABASE "{leftover}" WITH (FORCE)')


@pytest.fixture
def seeded(site):
    site.python(SEED, "6")
    return site


def test_backup_wipe_restore_gives_back_every_row_file_key_and_the_audit_chain(seeded, tmp_path):
    entries = int(seeded.python(LAST_ENTRY).stdout)
    rows, files = seeded.rows(audit_upto=entries), seeded.files()
    assert {"media/evidence/ab/证明.pdf", "secret_key", "data_keys", "anchors.log"} <= set(files)
    archive = tmp_path / "backup.tar"

    done = seeded.run("backup", str(archive))
    assert "核验通过" in done.stdout
    assert archive.stat().st_mode & 0o777 == 0o600
    assert not [p for p in tmp_path.iterdir() if ".partial" in p.name or p.name.startswith(".fupin-")]
    manifest = _manifest(archive)
    assert manifest["tables"]["registry_household"][0] == 6 and len(manifest["chains"]) == 2
    keys = (seeded.var / "data_keys").read_text()
    _assert_no_key_material(archive, keys)
    assert list(manifest["data_keys"]["data"]) == ["k1"] and "数据密钥不在备份中" in done.stdout

    seeded.wipe()  # a new machine: the data keys, kept apart from the backup, are not there yet
    refused = seeded.run("restore", str(archive), check=False)
    assert refused.returncode == 1 and "缺少密钥" in refused.stderr and "Traceback" not in refused.stderr
    assert (
        "、k1（" in refused.stderr and "盲索引密钥" in refused.stderr
    )  # both of this machine's new keys differ
    assert str(seeded.var / "data_keys") in refused.stderr and not seeded.media.exists()
    (seeded.var / "data_keys").write_text(keys)  # the operator puts the key file kept apart in place
    done = seeded.run("restore", str(archive))
    assert "核验通过" in done.stdout, done.stdout
    assert "已在审计日志中记录本次恢复" in done.stdout

    assert seeded.rows(audit_upto=entries) == rows  # and after them, the restore's own entry (test below)
    assert seeded.files() == files
    assert (seeded.var / "secret_key").stat().st_mode & 0o777 == 0o600
    assert (seeded.var / "data_keys").stat().st_mode & 0o777 == 0o600
    assert "审计链完整" in seeded.run("audit-verify").stdout
    numbers = seeded.python(READ_NUMBERS).stdout.split()  # the restored keys decrypt the restored registry
    assert numbers and all(len(n) == 18 for n in numbers)
    assert seeded.python(READ_SEALED).stdout.strip() == "True"  # a sealed file, restored, opens with them

    seeded.python(LATER)  # a user and a file more: with --force the backup replaces them, keeping them aside
    seeded.run("restore", str(archive), "--force")
    assert seeded.rows(audit_upto=entries) == rows
    assert seeded.files() == files
    assert [p.name for p in seeded.var.glob("media.before-restore-*/photos/v2.jpg")]
    if not ON_POSTGRES:
        assert len(list(seeded.var.glob("fupin.sqlite3.before-restore-*"))) == 1


LAST_ENTRY = """
import django
django.setup()
from fupin.audit.models import AuditEntry
print(AuditEntry.objects.order_by("pk").last().pk)
"""


RESTORE_ENTRIES = """
import json, django
django.setup()
from django.test import Client
from fupin.accounts.models import User
from fupin.audit.chain import opened_changes
from fupin.audit.models import AuditEntry
entries = AuditEntry.objects.order_by("pk")
last = entries.last()
admin = User.objects.create_superuser("auditor", password="x")
client = Client()
client.force_login(admin)
page = client.get("/admin/audit/auditentry/?action=restore_backup")
print(json.dumps({
    "restores": [[e.action, e.username, e.target_id, opened_changes(e.changes)]
                 for e in entries.filter(action="restore_backup")],
    "last": last.action,
    "page": page.status_code,
    "listed": page.content.decode().count("backup.tar"),
}, ensure_ascii=False))
"""


def test_a_restore_is_in_the_restored_audit_log_who_which_backup_when(seeded, tmp_path):
    archive = tmp_path / "backup.tar"
    seeded.run("backup", str(archive))
    keys = (seeded.var / "data_keys").read_text()
    seeded.wipe()
    (seeded.var / "data_keys").write_text(keys)  # kept apart from the backup (README), put back first
    seeded.run("restore", str(archive))
    after = json.loads(seeded.python(RESTORE_ENTRIES).stdout)
    assert after["last"] == "restore_backup"
    [(action, username, target, changes)] = after["restores"]
    assert target == "backup.tar" and "@" in username
    assert changes["archive"][1] == str(archive)
    assert changes["backup_created"][1] == _manifest(archive)["created"]
    assert changes["replaced_existing"] == [None, False]
    assert after["page"] == 200 and after["listed"] >= 1  # the administrator's audit log lists it
    assert "审计链完整" in seeded.run("audit-verify").stdout  # chained after the backup's own entries


def _assert_no_key_material(archive: Path, keys: str) -> None:
    """No line of the key file, nor any key in it (as text or as raw bytes), anywhere in the archive."""
    import base64

    data = archive.read_bytes()
    lines = [line.split() for line in keys.splitlines() if line.strip()]
    assert len(lines) >= 2
    for line in lines:
        assert " ".join(line).encode() not in data
        assert line[-1].encode() not in data and base64.b64decode(line[-1]) not in data


def _manifest(archive: Path) -> dict:
    with tarfile.open(archive) as tar:
        return json.loads(tar.extractfile("manifest.json").read())


def _tamper(archive: Path, member: str) -> None:
    with tarfile.open(archive) as tar:
        offset = tar.getmember(member).offset_data
    with open(archive, "r+b") as handle:
        handle.seek(offset + 100)
        byte = handle.read(1)
        handle.seek(offset + 100)
        handle.write(bytes([byte[0] ^ 0xFF]))


def _rewrite_manifest(archive: Path, target: Path, change) -> None:
    with tarfile.open(archive) as source, tarfile.open(target, "w") as out:
        for member in source:
            data = source.extractfile(member).read()
            if member.name == "manifest.json":
                manifest = json.loads(data)
                change(manifest)
                data = json.dumps(manifest).encode()
                member.size = len(data)
            out.addfile(member, io.BytesIO(data))


def test_a_damaged_or_foreign_archive_is_refused_and_changes_nothing(seeded, tmp_path):
    archive = tmp_path / "backup.tar"
    seeded.run("backup", str(archive), "--no-verify")
    rows, files = seeded.rows(), seeded.files()
    broken = []
    for member in ("database/" + ("fupin.pgdump" if ON_POSTGRES else "fupin.sqlite3"), "media/photos/v1.jpg"):
        copy = tmp_path / f"broken-{len(broken)}.tar"
        shutil.copyfile(archive, copy)
        _tamper(copy, member)
        broken.append((copy, "SHA-256"))
    truncated = tmp_path / "truncated.tar"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    broken.append((truncated, "损坏"))
    foreign = tmp_path / "foreign.tar"
    _rewrite_manifest(archive, foreign, lambda m: m.update(engine="sqlite" if ON_POSTGRES else "postgresql"))
    broken.append((foreign, "不支持跨数据库恢复"))
    newer = tmp_path / "newer.tar"
    _rewrite_manifest(archive, newer, lambda m: m["migrations"].append("registry.9999_from_the_future"))
    broken.append((newer, "请先升级 fupin"))
    unknown = tmp_path / "unknown-key.tar"  # needs a key this machine has never had
    _rewrite_manifest(archive, unknown, lambda m: m["data_keys"]["data"].update(k9="0" * 16))
    broken.append((unknown, "缺少密钥 k9"))
    other = tmp_path / "other-k1.tar"  # a k1 of other material (another machine's first key)
    _rewrite_manifest(archive, other, lambda m: m["data_keys"]["data"].update(k1="0" * 16))
    broken.append((other, "缺少密钥 k1"))
    (tmp_path / "not.tar").write_bytes(b"%PDF-1.4 not an archive")
    broken.append((tmp_path / "not.tar", "不是 fupin 的备份"))

    broken.append((Path(f"{archive}"), "--force"))  # sound, but the database holds data
    if ON_POSTGRES:  # sound and forced, but someone is connected: refused at the switch, files put back
        broken.append((Path(f"{archive}+force"), "还有 1 个连接"))
    with contextlib.ExitStack() as stack:
        if ON_POSTGRES:
            stack.enter_context(psycopg.connect(_server_url(seeded.database)))
        answers = json.loads(
            seeded.python(
                RESTORE_EACH,
                *(
                    f"{p}+force" if reason not in ("--force", "还有 1 个连接") else str(p)
                    for p, reason in broken
                ),
            ).stdout.splitlines()[-1]
        )
    for (path, reason), answer in zip(broken, answers.values(), strict=True):
        assert reason in answer and "Traceback" not in answer, (path, answer)
    assert seeded.rows() == rows
    assert seeded.files() == files
    assert not list(seeded.var.glob("*before-restore*")) and not list(seeded.var.glob(".*restore*"))
    if ON_POSTGRES:
        with _maintenance() as connection:
            assert not connection.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s", [f"{seeded.database[:30]}_%"]
            ).fetchall()
    refused = seeded.run("backup", str(seeded.media / "inside.tar"), check=False)
    assert refused.returncode == 1 and "上传文件目录" in refused.stderr


def test_a_backup_taken_while_households_are_written_is_consistent(seeded, tmp_path):
    stop = tmp_path / "stop"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(stop)],
        env=seeded.env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not writer.stdout.readline() and time.monotonic() < deadline:
            pass  # the writer is under way
        archive = tmp_path / "busy.tar"
        done = seeded.run(
            "backup", str(archive)
        )  # its own check restores the copy and verifies the audit chains
    finally:
        stop.touch()
        out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err[-2000:]
    written = int(out.split()[-1]) if out.split() else 0
    assert "核验通过" in done.stdout
    manifest = _manifest(archive)
    households = manifest["tables"]["registry_household"][0]
    assert 6 < households <= 6 + written  # taken while the writes went on


def _archive_with(path: Path, files: list[dict], members: dict[str, bytes]) -> Path:
    manifest = {"format": "fupin-backup", "format_version": 1, "engine": "sqlite", "files": files}
    with tarfile.open(path, "w") as tar:
        for name, data in {**members, "manifest.json": json.dumps(manifest).encode()}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.parametrize("name", ["media/../../outside", "/etc/passwd", "var/../secret", "elsewhere/file"])
def test_an_archive_naming_a_path_outside_its_folders_is_refused(tmp_path, name):
    from fupin.backup.archive import Archive, BackupError

    path = _archive_with(tmp_path / "evil.tar", [{"path": name, "size": 1, "sha256": "0" * 64}], {name: b"x"})
    with pytest.raises(BackupError, match="不合法的文件名"):
        Archive(path)


def test_a_member_the_manifest_does_not_name_is_refused_before_anything_is_written(tmp_path):
    from fupin.backup.archive import Archive, BackupError

    data = b"photo"
    listed = {"path": "media/a.jpg", "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    path = _archive_with(tmp_path / "extra.tar", [listed], {"media/a.jpg": data, "media/zz-extra.sh": b"#!"})
    written = []
    with pytest.raises(BackupError, match="清单未列出"):
        Archive(path).unpack(lambda name: written.append(name) or tmp_path / "out" / name)
    assert written == ["media/a.jpg"] and not (tmp_path / "out" / "media/zz-extra.sh").exists()


def test_two_restores_at_once_refuse_each_other_cleanly(tmp_path, settings):
    """A second `fupin restore` while one runs is refused with a clear message before it reads anything; once
    the first is over, the lock is free again (issue 16)."""
    from django.core.management import CommandError, call_command

    from fupin.backup import services

    settings.VAR_DIR = tmp_path
    missing = tmp_path / "none.tar"
    with services._restore_lock():  # the first restore, still running
        with pytest.raises(CommandError, match="另一个 fupin restore 正在进行"):
            call_command("restore", str(missing), "--force")
    with pytest.raises(CommandError) as after:  # the lock is free: this one gets as far as the archive
        call_command("restore", str(missing), "--force")
    assert "另一个 fupin restore" not in str(after.value)


def test_the_commands_refusals_read_in_english_when_english_is_asked_for(tmp_path, settings):
    """Issue 15: the backup's refusals were Chinese f-strings, so English never reached the command line."""
    from django.core.management import CommandError, call_command
    from django.utils import translation

    from fupin.backup.archive import Archive, BackupError

    settings.VAR_DIR = tmp_path
    missing = tmp_path / "none.tar"
    with translation.override("en"):
        with pytest.raises(CommandError) as refused:
            call_command("restore", str(missing), "--force")
        assert str(refused.value) == f"Restore failed: The backup file does not exist: {missing}"
        with pytest.raises(CommandError, match="^--keep should be a whole number, 0 or more$"):
            call_command("backup", str(tmp_path), "--keep", "-1")
        path = _archive_with(tmp_path / "evil.tar", [{"path": "/etc/passwd", "size": 1, "sha256": "0"}], {})
        with pytest.raises(BackupError, match="has invalid file names: the backup is damaged or was altered"):
            Archive(path)
    with pytest.raises(BackupError, match="^备份文件不存在："):
        Archive(missing)
