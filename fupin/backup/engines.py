"""The two databases fupin runs on, as backup and restore see them.

Each engine takes a consistent snapshot while the product runs (SQLite: the online backup API; PostgreSQL:
pg_dump inside a REPEATABLE READ snapshot exported by the very transaction that fingerprints the tables, so
the manifest describes exactly the rows dumped), describes a copy (each table's rows and an order-free
checksum of them, the applied migrations, the audit chains' heads), loads a dump into a new database beside
the live one, switches to it, and discards it."""

import contextlib
import copy
import os
import shutil
import sqlite3
import subprocess
import uuid
from pathlib import Path

import psycopg
from django.db import connections
from django.utils import timezone
from django.utils.translation import gettext
from psycopg import sql

from fupin.accounts.models import User
from fupin.audit.models import AuditEntry, ChainHead
from fupin.regions.models import Region
from fupin.registry.models import Household

from .archive import BackupError

# A database holds data, and a restore over it needs --force, when any of these tables has a row: `migrate`
# alone fills only reference tables (poverty lines, the measure catalogue, thresholds).
DATA_TABLES = [m._meta.db_table for m in (User, Region, Household, AuditEntry)]
CHECK_ALIAS = "fupin_backup_copy"


def describe(cursor, tables: list[str], checksums) -> dict:
    """Rows and checksum of every table (PostgreSQL: order-free, a sum of row hashes; SQLite: none, see
    _sqlite_count), the applied migrations and the audit chains' heads, read through a DB-API cursor
    (sqlite3's or psycopg's) in whatever snapshot its transaction holds."""
    state = {"tables": {t: checksums(cursor, t) for t in tables}}
    cursor.execute('SELECT app, name FROM "django_migrations"')
    state["migrations"] = sorted(f"{app}.{name}" for app, name in cursor.fetchall())
    cursor.execute(f'SELECT chain, seq, hash FROM "{ChainHead._meta.db_table}" WHERE seq > 0')
    state["chains"] = {chain: [int(seq), digest] for chain, seq, digest in sorted(cursor.fetchall())}
    return state


def _sqlite_count(cursor, table: str) -> list:
    """Rows only: a SQLite copy is the database file itself, whose SHA-256 the manifest holds (and which must
    pass SQLite's quick_check), so hashing its rows again would only repeat that, at a second per 100,000
    rows."""
    cursor.execute(f'SELECT count(*) FROM "{table}"')
    return [cursor.fetchone()[0], None]


def _pg_checksum(cursor, table: str) -> list:
    cursor.execute(
        f'SELECT count(*), coalesce(sum(hashtextextended(t::text, 0)), 0)::text FROM "{table}" AS t'
    )
    rows, total = cursor.fetchone()
    return [int(rows), total]


def stamp() -> str:
    return timezone.localtime().strftime("%Y%m%d%H%M%S")


@contextlib.contextmanager
def django_alias(name: str):
    """The default database's settings pointed at another database (a copy being checked), as a Django
    alias."""
    settings_dict = copy.deepcopy(connections["default"].settings_dict)
    settings_dict["NAME"] = name
    connections.settings[CHECK_ALIAS] = settings_dict
    try:
        yield CHECK_ALIAS
    finally:
        connections[CHECK_ALIAS].close()
        del connections[CHECK_ALIAS]
        del connections.settings[CHECK_ALIAS]


class Sqlite:
    """The embedded default: one file. A copy is a file; switching copies it into the live file with the
    backup API, in one write transaction (readers keep their snapshot, a crash leaves the old contents)."""

    vendor = "sqlite"
    dump_name = "fupin.sqlite3"

    def __init__(self, settings_dict: dict):
        self.path = Path(settings_dict["NAME"])
        self.timeout = settings_dict.get("OPTIONS", {}).get("timeout", 20)

    def _connect(self, path: Path) -> sqlite3.Connection:
        return sqlite3.connect(path, timeout=self.timeout, isolation_level=None)

    def snapshot(self, dump: Path) -> dict:
        if not self.path.is_file():
            raise BackupError(gettext("数据库文件不存在：%(path)s") % {"path": self.path})
        self._copy(
            self.path, dump, gettext("SQLite 在线备份失败")
        )  # one step: a read transaction, consistent (WAL)
        state = self.describe(dump)
        state["server_version"] = sqlite3.sqlite_version
        return state

    def describe(self, copy_path: Path) -> dict:
        connection = self._connect(copy_path)
        try:
            cursor = connection.cursor()
            cursor.execute("BEGIN")
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                "ORDER BY name"
            )
            tables = [name for (name,) in cursor.fetchall()]
            state = describe(cursor, tables, _sqlite_count)
            cursor.execute("COMMIT")
            return state
        except sqlite3.DatabaseError as e:
            raise BackupError(gettext("数据库副本无法读取（%(error)s）：备份已损坏") % {"error": e}) from None
        finally:
            connection.close()

    def holds_data(self) -> bool:
        if not self.path.is_file() or self.path.stat().st_size == 0:
            return False
        connection = self._connect(self.path)
        try:
            present = {
                name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            return any(
                connection.execute(f'SELECT 1 FROM "{t}" LIMIT 1').fetchone()
                for t in DATA_TABLES
                if t in present
            )
        finally:
            connection.close()

    def load(self, dump: Path, manifest: dict) -> Path:
        """The copy to check is the dump file itself; it must pass SQLite's own structure check."""
        connection = self._connect(dump)
        try:
            problems = [row[0] for row in connection.execute("PRAGMA quick_check")]
        except sqlite3.DatabaseError as e:
            raise BackupError(gettext("备份中的数据库文件已损坏（%(error)s）") % {"error": e}) from None
        finally:
            connection.close()
        if problems != ["ok"]:
            raise BackupError(
                gettext("备份中的数据库文件未通过 SQLite 结构检查：%(problems)s")
                % {"problems": "；".join(problems[:3])}
            )
        return dump

    def install(self, copy_path: Path) -> str | None:
        """Copy the live database aside if it holds data (its path is returned), then the copy into the live
        file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        aside = None
        if self.holds_data():
            aside = self.path.with_name(f"{self.path.name}.before-restore-{stamp()}")
            self._copy(self.path, aside, gettext("无法把原数据库复制到旁边"))
        self._copy(copy_path, self.path, gettext("无法写入数据库 %(path)s") % {"path": self.path})
        return str(aside) if aside else None

    def _copy(self, source_path: Path, target_path: Path, failure: str) -> None:
        source, target = self._connect(source_path), self._connect(target_path)
        try:
            source.backup(target)
        except sqlite3.Error as e:
            raise BackupError(
                gettext("%(failure)s（%(error)s）：原数据库未改动") % {"failure": failure, "error": e}
            ) from None
        finally:
            target.close()
            source.close()

    def discard(self, copy_path: Path) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{copy_path}{suffix}").unlink(missing_ok=True)


class Postgres:
    """PostgreSQL: pg_dump's custom format (compressed, restored in parallel by pg_restore with COPY). A copy
    is a new database on the same server; switching renames the live one aside and the copy into its place."""

    vendor = "postgresql"
    dump_name = "fupin.pgdump"

    def __init__(self, settings_dict: dict):
        self.settings = settings_dict
        self.name = settings_dict["NAME"]
        for tool in ("pg_dump", "pg_restore"):
            if shutil.which(tool) is None:
                raise BackupError(
                    gettext(
                        "找不到 %(tool)s：请安装 PostgreSQL 客户端"
                        "（Debian: apt-get install postgresql-client）"
                    )
                    % {"tool": tool}
                )

    def _params(self, dbname: str) -> dict:
        options = self.settings.get("OPTIONS", {})
        params = {
            k: options[k]
            for k in ("sslmode", "sslrootcert", "sslcert", "sslkey", "passfile", "service")
            if options.get(k)
        }
        params.update(
            {
                "dbname": dbname,
                "user": self.settings.get("USER") or None,
                "host": self.settings.get("HOST") or None,
                "port": self.settings.get("PORT") or None,
            }
        )
        return {k: v for k, v in params.items() if v is not None}

    def _connect(self, dbname: str, **kwargs):
        try:
            return psycopg.connect(
                **self._params(dbname), password=self.settings.get("PASSWORD") or None, **kwargs
            )
        except psycopg.OperationalError as e:
            raise BackupError(
                gettext("无法连接 PostgreSQL 数据库 %(dbname)s：%(error)s")
                % {"dbname": dbname, "error": str(e).strip()}
            ) from None

    def _conninfo(self, dbname: str) -> str:
        return psycopg.conninfo.make_conninfo(**self._params(dbname))  # the password goes by the environment

    def _env(self) -> dict:
        env = {**os.environ, "LC_MESSAGES": "C"}
        if self.settings.get("PASSWORD"):
            env["PGPASSWORD"] = self.settings["PASSWORD"]
        return env

    def _run(self, args: list[str], dbname: str) -> None:
        done = subprocess.run(
            [*args, "-d", self._conninfo(dbname)],
            env=self._env(),
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            raise BackupError(
                gettext("%(tool)s 失败（退出码 %(code)s）：%(output)s")
                % {"tool": args[0], "code": done.returncode, "output": done.stderr.strip()[-800:]}
            )

    @staticmethod
    def _session(cursor) -> None:
        # the text of a row (the checksum's input) must not depend on the session
        cursor.execute(
            "SET TIME ZONE 'UTC'; SET datestyle = 'ISO, YMD'; SET extra_float_digits = 3; "
            "SET intervalstyle = 'postgres'; SET bytea_output = 'hex'"
        )

    def _describe(self, cursor) -> dict:
        self._session(cursor)
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY 1"
        )
        state = describe(cursor, [name for (name,) in cursor.fetchall()], _pg_checksum)
        cursor.execute(
            "SELECT pg_encoding_to_char(encoding), datcollate, datctype FROM pg_database "
            "WHERE datname = current_database()"
        )
        state["database"] = dict(zip(("encoding", "collate", "ctype"), cursor.fetchone(), strict=True))
        return state

    def snapshot(self, dump: Path) -> dict:
        with self._connect(self.name) as connection:
            connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            connection.read_only = True
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
                snapshot, version = cursor.fetchone()
                # pg_dump reads the snapshot this transaction exported while it fingerprints the same rows
                dumper = subprocess.Popen(
                    [
                        "pg_dump",
                        "--format=custom",
                        "--compress=1",
                        f"--snapshot={snapshot}",
                        f"--file={dump}",
                        "-d",
                        self._conninfo(self.name),
                    ],
                    env=self._env(),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                try:
                    state = self._describe(cursor)
                finally:
                    _, errors = dumper.communicate()
                if dumper.returncode:
                    raise BackupError(
                        gettext("pg_dump 失败（退出码 %(code)s）：%(output)s")
                        % {"code": dumper.returncode, "output": errors.strip()[-800:]}
                    )
            connection.rollback()
        state["server_version"] = version
        return state

    def describe(self, dbname: str) -> dict:
        with self._connect(dbname) as connection, connection.cursor() as cursor:
            return self._describe(cursor)

    def _maintenance(self):
        return self._connect(
            self.settings.get("OPTIONS", {}).get("maintenance_db", "postgres"), autocommit=True
        )

    def _exists(self, maintenance, dbname: str) -> bool:
        return (
            maintenance.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname]).fetchone()
            is not None
        )

    def holds_data(self) -> bool:
        with self._maintenance() as maintenance:
            if not self._exists(maintenance, self.name):
                return False
        with self._connect(self.name) as connection:
            for table in DATA_TABLES:
                if (
                    connection.execute("SELECT to_regclass(%s) IS NOT NULL", [table]).fetchone()[0]
                    and connection.execute(f'SELECT EXISTS (SELECT 1 FROM "{table}")').fetchone()[0]
                ):
                    return True
        return False

    def load(self, dump: Path, manifest: dict, *, purpose: str = "restore") -> str:
        """A new database (named after the live one, the purpose and the time) holding the dump."""
        name = f"{self.name[:30]}_{purpose}_{stamp()}_{uuid.uuid4().hex[:4]}"
        database = manifest.get("database") or {}
        with self._maintenance() as maintenance:
            try:
                maintenance.execute(
                    sql.SQL(
                        "CREATE DATABASE {} TEMPLATE template0 ENCODING {} LC_COLLATE {} LC_CTYPE {}"
                    ).format(
                        sql.Identifier(name),
                        database.get("encoding", "UTF8"),
                        database.get("collate", "C"),
                        database.get("ctype", "C.UTF-8"),
                    )
                )
            except psycopg.errors.InsufficientPrivilege:
                raise BackupError(
                    gettext(
                        "数据库用户没有建库权限（CREATEDB）：核验与恢复都要在数据库 %(name)s 旁新建一个数据库"
                    )
                    % {"name": self.name}
                ) from None
            except psycopg.Error as e:
                raise BackupError(
                    gettext("无法新建数据库 %(name)s：%(error)s") % {"name": name, "error": str(e).strip()}
                ) from None
        try:
            self._run(
                ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--jobs=2", str(dump)],
                name,
            )
        except BaseException:
            self.discard(name)
            raise
        return name

    def install(self, copy_name: str) -> str | None:
        """Rename the live database aside (its new name is returned) and the copy into its place; refused
        while anyone else is connected to the live one."""
        old = None
        with self._maintenance() as maintenance:
            if self._exists(maintenance, self.name):
                users = maintenance.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                    [self.name],
                ).fetchone()[0]
                if users:
                    raise BackupError(
                        gettext(
                            "数据库 %(name)s 还有 %(users)s 个连接（fupin serve、fupin worker 或其他程序）："
                            "请先停止它们再恢复；数据库未改动"
                        )
                        % {"name": self.name, "users": users}
                    )
                old = f"{self.name[:30]}_before_restore_{stamp()}"
                self._rename(maintenance, self.name, old)
            try:
                self._rename(maintenance, copy_name, self.name)
            except BaseException:
                if old:
                    maintenance.execute(
                        sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                            sql.Identifier(old), sql.Identifier(self.name)
                        )
                    )
                raise
        return old

    def _rename(self, maintenance, old: str, new: str) -> None:
        try:
            maintenance.execute(
                sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(old), sql.Identifier(new))
            )
        except psycopg.Error as e:
            raise BackupError(
                gettext("无法把数据库 %(old)s 改名为 %(new)s：%(error)s；数据库未改动")
                % {"old": old, "new": new, "error": str(e).strip()}
            ) from None

    def discard(self, copy_name: str) -> None:
        with self._maintenance() as maintenance:
            maintenance.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(copy_name))
            )


def engine_for(settings_dict: dict):
    engine = settings_dict["ENGINE"]
    if engine.endswith("sqlite3"):
        return Sqlite(settings_dict)
    if engine.endswith("postgresql"):
        return Postgres(settings_dict)
    raise BackupError(gettext("不支持备份这种数据库：%(engine)s") % {"engine": engine})
