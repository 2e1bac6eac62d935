"""fupin backup and fupin restore: what they do, step by step.

A backup holds var/secret_key and the audit anchor file, copied first, then a consistent snapshot
of the database, then every file under MEDIA_ROOT (imports, error reports, evidence, photos, handbook ZIPs):
the database never names a file the archive lacks, except one deleted in between. The archive is then checked
as a restore would use it: every member against its SHA-256, the database loaded into a scratch copy (a
temporary file; a scratch PostgreSQL database, dropped afterwards) whose tables, rows and audit chains must
match the manifest, and whose audit chains must verify.

The data keys (fupin.core.crypto) are never in the archive, whatever their source: whoever holds a backup
must not be able to read the ID numbers in it. The manifest names the keys the data needs by id and
fingerprint (crypto.fingerprints, one-way), and a restore refuses before touching anything when the keys in
force lack one of them, naming the missing ids and where keys are read from. An archive written before this
rule that does hold var/data_keys still restores its keys.

A restore checks the same on a new copy beside the live database and only then switches: the uploaded files'
folder and the key are put in place by rename (the old ones kept aside), then the database (SQLite: copied
into the live file in one transaction; PostgreSQL: the live database renamed aside, the copy renamed into its
place). Until the switch the old database, files and key are untouched; a refused or failed restore changes
nothing."""

import fcntl
import getpass
import os
import platform
import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import django
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from django.utils.translation import gettext

from fupin import secret_key
from fupin.audit.verify import anchor_file, verify
from fupin.core import crypto

from .archive import DATABASE, MEDIA, VAR, Archive, BackupError, Writer
from .engines import django_alias, engine_for, stamp

KEY = VAR + secret_key.KEY_FILE_NAME
# The data keys' member in archives written before they were kept out of it (read on restore, never written).
DATA_KEYS = VAR + crypto.KEY_FILE_NAME
ANCHORS = VAR + "audit-anchors.log"


@dataclass
class Outcome:
    """What a backup wrote or a restore put in place, for the command's summary."""

    path: Path
    manifest: dict
    seconds: float = 0.0
    checked: bool = False
    audit_entries: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(rows for rows, _ in self.manifest["tables"].values())

    @property
    def compared(self) -> str:
        checksums = "与校验值" if self.manifest["engine"] == "postgresql" else ""
        return f"各表行数{checksums}、各文件（数据库、上传文件、密钥）的 SHA-256 "

    @property
    def media(self) -> list[dict]:
        return [f for f in self.manifest["files"] if f["path"].startswith(MEDIA)]


def _versions() -> dict:
    try:
        fupin_version = metadata.version("fupin")
    except metadata.PackageNotFoundError:
        fupin_version = "unknown"
    return {"fupin": fupin_version, "django": django.get_version(), "python": platform.python_version()}


def _timed(log):
    """`log` with the seconds since the command began in front of each step."""
    started = time.monotonic()
    return lambda message: log(f"[{time.monotonic() - started:6.1f} 秒] {message}")


def backup(path: Path, *, check: bool = True, log=lambda message: None) -> Outcome:
    """Write the archive at `path` (replacing one there only once the new one is complete), then check it."""
    started, log = time.monotonic(), _timed(log)
    if Path(path).absolute().is_relative_to(Path(settings.MEDIA_ROOT).absolute()):
        raise BackupError(
            gettext("备份文件不能写在上传文件目录 %(MEDIA_ROOT)s 之内（它会把自己也备份进去）")
            % {"MEDIA_ROOT": settings.MEDIA_ROOT}
        )
    engine = engine_for(connections["default"].settings_dict)
    with (
        Writer(path) as writer,
        tempfile.TemporaryDirectory(prefix=".fupin-backup-", dir=writer.tmp.parent) as work,
    ):
        key = Path(settings.VAR_DIR) / secret_key.KEY_FILE_NAME
        if key.is_file():
            writer.add_file(key, KEY)
        if anchor_file().is_file():
            writer.add_file(anchor_file(), ANCHORS)
        log("数据库快照……")
        dump = Path(work) / engine.dump_name
        state = engine.snapshot(dump)
        writer.add_file(dump, DATABASE + engine.dump_name)
        dump.unlink()
        log("上传文件……")
        writer.add_tree(Path(settings.MEDIA_ROOT), MEDIA)
        writer.finish(
            {
                "created": timezone.localtime().isoformat(timespec="seconds"),
                "host": platform.node(),
                "engine": engine.vendor,
                "versions": _versions(),
                "database_member": DATABASE + engine.dump_name,
                "data_keys": crypto.fingerprints(crypto.reload()),
                **state,
            }
        )
    outcome = Outcome(Path(path), Archive(path).manifest)
    if check:
        log("核验备份（恢复到临时数据库并比对）……")
        outcome.audit_entries = check_archive(Archive(path), log).entries
        outcome.checked = True
    log("完成")
    outcome.seconds = time.monotonic() - started
    return outcome


def _compare(state: dict, manifest: dict) -> None:
    """Refuse a copy whose tables, rows, migrations or audit chain heads differ from the manifest."""
    problems = []
    tables, expected = state["tables"], manifest.get("tables", {})
    for table in sorted(set(tables) | set(expected)):
        if tables.get(table) != expected.get(table):
            found, wanted = tables.get(table), expected.get(table)
            rows = [f"{v[0]} 行" if v else "无此表" for v in (wanted, found)]
            same = found and wanted and found[0] == wanted[0]
            problems.append(
                f"表 {table}：清单 {rows[0]}，副本 {rows[1]}" + ("（行数相同，内容不同）" if same else "")
            )
    if state["migrations"] != manifest.get("migrations"):
        problems.append("已应用的迁移与清单不符")
    if state["chains"] != manifest.get("chains"):
        problems.append("审计链末端与清单不符")
    if problems:
        raise BackupError(
            gettext("数据库副本与备份清单不符：%(problems)s") % {"problems": "；".join(problems[:5])}
            + (gettext("（共 %(problems)s 处）") % {"problems": len(problems)} if len(problems) > 5 else "")
        )


def _check_copy(engine, location, manifest: dict, anchors: Path | None):
    """Compare a loaded copy with the manifest, then verify its audit chains; the audit report."""
    _compare(engine.describe(location), manifest)
    with django_alias(str(location)) as alias:
        report = verify(using=alias, anchor_files=[anchors] if anchors else [])
    if not report.ok:
        raise BackupError(
            gettext("数据库副本的审计链核验失败：") + "；".join(str(p) for p in report.problems[:3])
        )
    return report


def check_archive(archive: Archive, log=lambda message: None):
    """Every member against its SHA-256, then the database loaded into a scratch copy and checked (dropped
    after)."""
    manifest = archive.manifest
    engine = _engine_for_archive(archive)
    with tempfile.TemporaryDirectory(prefix=".fupin-check-", dir=archive.path.parent) as work:
        work = Path(work)
        wanted = {manifest["database_member"]: work / engine.dump_name, ANCHORS: work / "anchors.log"}
        archive.unpack(wanted.get)
        anchors = wanted[ANCHORS] if ANCHORS in archive.files else None
        location = engine.load(wanted[manifest["database_member"]], manifest, **_purpose(engine, "check"))
        log("比对副本与清单，核验审计链……")
        try:
            return _check_copy(engine, location, manifest, anchors)
        finally:
            engine.discard(location)


def _purpose(engine, purpose: str) -> dict:
    return {"purpose": purpose} if engine.vendor == "postgresql" else {}


def _engine_for_archive(archive: Archive):
    manifest = archive.manifest
    engine = engine_for(connections["default"].settings_dict)
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    if manifest.get("engine") != engine.vendor:
        raise BackupError(
            gettext(
                "备份来自 %(engine)s，当前数据库是 %(vendor)s：不支持跨数据库恢复（请在同类数据库上恢复）"
            )
            % {
                "engine": names.get(manifest.get("engine"), manifest.get("engine")),
                "vendor": names[engine.vendor],
            }
        )
    if manifest.get("database_member") not in archive.files or not isinstance(manifest.get("tables"), dict):
        raise BackupError(gettext("备份清单中没有数据库：备份已损坏"))
    return engine


def _refuse_missing_keys(manifest: dict) -> None:
    """Refuse an archive whose data the keys in force cannot open, naming the missing key ids."""
    needed = manifest.get("data_keys")
    if not isinstance(needed, dict):
        return  # written before the manifest named its keys: such an archive holds them (DATA_KEYS)
    try:
        ring = crypto.reload()
    except (ImproperlyConfigured, OSError) as e:  # a key file that does not parse, is named but absent
        raise BackupError(gettext("无法读取当前的数据密钥：%(error)s") % {"error": e}) from None
    absent = crypto.missing(needed, ring)
    if absent:
        raise BackupError(
            gettext(
                "当前的数据密钥打不开这份备份：缺少密钥 %(ids)s（或同名密钥内容不同）。"
                "备份不含数据密钥，须另行保管：请把备份时的密钥文件放到 %(source)s（取代那里现有的），"
                "或用环境变量 FUPIN_DATA_KEYS_FILE（密钥文件路径）或 FUPIN_DATA_KEYS（密钥文件内容）给出，"
                "再恢复。数据库与文件均未改动"
            )
            % {
                "ids": "、".join(gettext("index（盲索引密钥）") if i == "index" else i for i in absent),
                "source": ring.source,
            }
        )


def migration_gap(manifest: dict) -> tuple[list[str], list[str]]:
    """(migrations the archive has that this fupin lacks, migrations this fupin has that the archive
    lacks)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = {f"{app}.{name}" for app, name in loader.disk_migrations}
    applied = set(manifest.get("migrations", []))
    return sorted(applied - known), sorted(known - applied)


@contextmanager
def _restore_lock():
    path = Path(settings.VAR_DIR) / "restore.lock"
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError(gettext("另一个 fupin restore 正在进行：请等它结束")) from None
        yield


def restore(path: Path, *, force: bool = False, log=lambda message: None) -> Outcome:
    """Put the archive's database, files and key in place of the live ones (see the module's docstring)."""
    started, log = time.monotonic(), _timed(log)
    with _restore_lock():
        archive = Archive(path)
        manifest = archive.manifest
        engine = _engine_for_archive(archive)
        _refuse_missing_keys(manifest)
        newer, pending = migration_gap(manifest)
        if newer:
            raise BackupError(
                gettext("备份来自更新版本的 fupin（本版本没有迁移 %(newer)s）：请先升级 fupin 再恢复")
                % {"newer": ", ".join(newer[:3])}
            )
        if not force and engine.holds_data():
            raise BackupError(
                gettext(
                    "当前数据库已有数据：恢复会以备份取代它。确认要取代时加 --force（原数据库会保留在旁边）"
                )
            )
        outcome = Outcome(Path(path), manifest)
        media_root = Path(settings.MEDIA_ROOT).absolute()
        media_root.parent.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=f".{media_root.name}.restore-", dir=media_root.parent))
        work = Path(tempfile.mkdtemp(prefix=".fupin-restore-", dir=settings.VAR_DIR))
        try:
            log("核对备份文件……")
            dump, anchors, key = work / engine.dump_name, work / "anchors.log", work / "secret_key"
            data_keys = work / crypto.KEY_FILE_NAME
            archive.unpack(_destinations(manifest, stage, dump, anchors, key, data_keys))
            log("载入数据库副本并核验……")
            location = engine.load(dump, manifest)
            log("比对副本与清单，核验审计链……")
            try:
                outcome.audit_entries = _check_copy(
                    engine, location, manifest, anchors if ANCHORS in archive.files else None
                ).entries
                connections.close_all()
                outcome.notes += _switch(
                    engine,
                    location,
                    stage,
                    media_root,
                    key if KEY in archive.files else None,
                    anchors,
                    ANCHORS in archive.files,
                    data_keys if DATA_KEYS in archive.files else None,
                )
                log("已切换到恢复的数据库、上传文件与密钥")
            except BaseException:
                engine.discard(location)
                raise
            outcome.checked = True
            outcome.notes += _record_restore(outcome, force=force, pending=pending)
        finally:
            shutil.rmtree(stage, ignore_errors=True)
            shutil.rmtree(work, ignore_errors=True)
        log("完成")
        if pending:
            outcome.notes.append(f"本版本 fupin 有 {len(pending)} 个备份之后的迁移：请运行 fupin migrate")
        outcome.seconds = time.monotonic() - started
        return outcome


def _record_restore(outcome: Outcome, *, force: bool, pending: list[str]) -> list[str]:
    """The restored database's audit log says who restored which backup, when: the entry is chained after the
    backup's own entries, so the audit log (and fupin audit-verify) show the restore as the chain's next
    step."""
    from types import SimpleNamespace

    from django.db import DatabaseError

    from fupin.audit.services import entry, record_many

    manifest = outcome.manifest
    try:
        operator = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container's)
        operator = str(os.getuid())
    by = SimpleNamespace(pk=None, username=f"{operator}@{platform.node()}"[:150], role="admin", region_id="")
    item = entry(
        by=by,
        action="restore_backup",
        target_type="backup",
        target_id=outcome.path.name,
        target_label=(
            f"{outcome.path.name}（{manifest.get('created', '?')} 于 {manifest.get('host', '?')} 备份）"
        ),
        changes={
            "archive": [None, str(outcome.path.absolute())],
            "backup_created": [None, manifest.get("created", "")],
            "backup_host": [None, manifest.get("host", "")],
            "tables": [None, len(manifest.get("tables", {}))],
            "files": [None, len(manifest.get("files", []))],
            "replaced_existing": [None, force],
        },
    )
    try:
        record_many([item])
    except DatabaseError as e:  # the data is restored by now: say so, and how to get the record written
        hint = "请运行 fupin migrate 后" if pending else "请检查数据库后"
        return [f"警告：本次恢复未能写入审计日志（{type(e).__name__}），{hint}再恢复一次以留下记录"]
    finally:
        connections.close_all()
    return [f"已在审计日志中记录本次恢复（操作人 {by.username}）"]


def _destinations(manifest: dict, stage: Path, dump: Path, anchors: Path, key: Path, data_keys: Path):
    database = manifest["database_member"]

    def destination(name: str) -> Path | None:
        if name == database:
            return dump
        if name == ANCHORS:
            return anchors
        if name == KEY:
            return key
        if name == DATA_KEYS:
            return data_keys
        if name.startswith(MEDIA):
            return stage / name[len(MEDIA) :]
        return None

    return destination


def _switch(
    engine,
    location,
    stage: Path,
    media_root: Path,
    key: Path | None,
    anchors: Path,
    has_anchors: bool,
    data_keys: Path | None = None,
) -> list[str]:
    """Files, then key, then database; if the database cannot be switched, the files and key go back."""
    notes, undo = [], []
    when = stamp()
    try:
        aside = media_root.with_name(f"{media_root.name}.before-restore-{when}")
        mode = media_root.stat().st_mode & 0o777 if media_root.exists() else 0o755
        if media_root.exists() and any(media_root.iterdir()):
            os.rename(media_root, aside)
            undo.append(lambda: os.rename(aside, media_root))
            notes.append(f"原上传文件目录保留为 {aside}")
        elif media_root.exists():
            media_root.rmdir()
        os.chmod(stage, mode)
        os.rename(stage, media_root)
        undo.append(lambda: os.rename(media_root, stage))
        if key is not None:
            notes += _put_file(key, Path(settings.VAR_DIR) / secret_key.KEY_FILE_NAME, when, undo)
        if data_keys is not None and not crypto.keys_from_environment():
            notes += _put_file(data_keys, Path(settings.VAR_DIR) / crypto.KEY_FILE_NAME, when, undo)
        old = engine.install(location)
    except BaseException:
        for step in reversed(undo):
            step()
        raise
    if data_keys is not None:
        crypto.reload()  # the restored database's values are under the restored keys
    if key is not None and os.environ.get("SECRET_KEY"):
        notes.append("环境变量 SECRET_KEY 优先于恢复的 var/secret_key：签名用的仍是环境变量中的密钥")
    if has_anchors and not anchor_file().exists():
        anchor_file().parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(anchors, anchor_file())
    elif has_anchors:
        notes.append(f"本机的审计锚点文件 {anchor_file()} 保持不变（未以备份中的那份覆盖）")
    if old:
        notes.append(f"原数据库保留为 {old}（确认无误后可删除）")
    return notes


def _put_file(source: Path, target: Path, when: str, undo: list) -> list[str]:
    """Put `source` at `target` (mode 600) by rename; an existing different one is kept aside."""
    if target.is_file() and target.read_bytes() == source.read_bytes():
        return []
    notes = []
    if target.is_file():
        aside = target.with_name(f"{target.name}.before-restore-{when}")
        os.rename(target, aside)
        undo.append(lambda: os.rename(aside, target))
        notes.append(f"原密钥文件保留为 {aside}")
    os.chmod(source, 0o600)
    os.rename(source, target)
    undo.append(lambda: target.unlink(missing_ok=True))
    return notes
