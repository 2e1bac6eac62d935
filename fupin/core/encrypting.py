"""Encrypting stored values in place, table by table, in batches: the migration that encrypts an existing
registry, and `fupin rotate-keys`, which moves every value to the newest data key (fupin.core.crypto).

The tables and columns are read from the models: every EncryptedField, and every BlindIndexField with its
source. Rows are walked by primary key (`id > last ORDER BY id LIMIT batch`), so memory holds one batch
whatever the registry's size, and a run that is killed loses at most its open batch: run again, it skips
what is already under the current key. Each row is written with a compare-and-set on its old values, so a
user's edit made meanwhile is never overwritten; the version the database raises on a changed column
(fupin.core.versions) is put back, since re-encrypting changes no value anyone edits.
"""

from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from django.db import connection as default_connection
from django.db import models, transaction

from . import crypto, crypto_columns
from .fields import BlindIndexField, EncryptedField, EncryptedJSONField, SealedJSONField


@dataclass(frozen=True)
class Table:
    name: str
    label: str
    columns: tuple[tuple[str, str], ...]  # (column, purpose)
    indexes: tuple[tuple[str, str, str, int], ...]  # (index column, source column, purpose, last)
    versioned: bool


def tables(model_list: Iterable[type[models.Model]]) -> list[Table]:
    """The tables of these models that hold encrypted fields."""
    found = []
    for model in model_list:
        fields = model._meta.concrete_fields
        columns = tuple((str(f.column), f.purpose) for f in fields if isinstance(f, EncryptedField))
        if not columns:
            continue
        by_name = {f.name: f for f in fields}
        indexes = tuple(
            (str(f.column), str(by_name[f.source].column), f.purpose, f.last)
            for f in fields
            if isinstance(f, BlindIndexField)
        )
        versioned = any(f.name == "version" for f in fields)
        found.append(Table(model._meta.db_table, model._meta.label, columns, indexes, versioned))
    return found


Progress = Callable[[Table, int, int], None]


def _new_values(table: Table, row: tuple, decrypting: bool) -> tuple[list, list]:
    plain = {c: crypto.decrypt(v, p) for (c, p), v in zip(table.columns, row, strict=True)}
    if decrypting:
        stored = [plain[c] for c, _p in table.columns]
    else:
        stored = [crypto.encrypt(v, p) if (v := plain[c]) else v for c, p in table.columns]
    index = [
        crypto.blind_index((plain[src] or "")[-last:] if last else plain[src], purpose)
        for _i, src, purpose, last in table.indexes
    ]
    return stored, index


def recrypt(
    table: Table,
    *,
    batch: int = 2000,
    decrypting: bool = False,
    progress: Progress | None = None,
    connection: Any = None,
    atomic_batches: bool = True,
    stop_after: int | None = None,
) -> int:
    """Encrypt (or, `decrypting`, decrypt) every value of the table under the current key and fill its blind
    indexes; rows already so are left alone. Returns how many rows were written. `stop_after` stops after
    that many batches (tests: a run killed half-way)."""
    connection = connection or default_connection
    q = connection.ops.quote_name
    names = [c for c, _p in table.columns]
    index_names = [i for i, _s, _p, _l in table.indexes]
    select = ", ".join(q(c) for c in ["id", *names, *index_names])
    sets = ", ".join(f"{q(c)} = %s" for c in [*names, *index_names])
    same = " AND ".join(f"{q(c)} IS NOT DISTINCT FROM %s" for c in names)
    if connection.vendor == "sqlite":
        same = " AND ".join(f"{q(c)} IS %s" for c in names)
    update = f"UPDATE {q(table.name)} SET {sets} WHERE id = %s AND {same}"
    lower = f"UPDATE {q(table.name)} SET version = version - 1 WHERE id = %s AND version > 1"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {q(table.name)}")
        total = cursor.fetchone()[0]
    last, seen, written, batches = 0, 0, 0, 0
    while stop_after is None or batches < stop_after:
        with transaction.atomic(using=connection.alias) if atomic_batches else _nothing():
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {select} FROM {q(table.name)} WHERE id > %s ORDER BY id LIMIT %s", [last, batch]
                )
                rows = cursor.fetchall()
                if not rows:
                    break
                for row in rows:
                    old, old_index = list(row[1 : 1 + len(names)]), list(row[1 + len(names) :])
                    stored, index = _new_values(table, tuple(old), decrypting)
                    if stored == old and index == old_index:
                        continue
                    cursor.execute(update, [*stored, *index, row[0], *old])
                    if cursor.rowcount == 1:
                        written += 1
                        if table.versioned and stored != old:
                            cursor.execute(lower, [row[0]])
        last, seen, batches = rows[-1][0], seen + len(rows), batches + 1
        if progress:
            progress(table, seen, total)
    return written


def recrypt_any(table: Table, **options: Any) -> int:
    """recrypt_bulk on PostgreSQL, recrypt elsewhere (SQLite: a registry of a county)."""
    connection = options.get("connection") or default_connection
    if connection.vendor == "postgresql":
        options.pop("stop_after", None)
        return recrypt_bulk(table, **options)
    options.pop("restore_versions", None)
    return recrypt(table, **options)


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def pending(table: Table, connection: Any = None) -> int:
    """How many rows of the table hold a value not under the current key (plain text or an older key)."""
    connection = connection or default_connection
    q = connection.ops.quote_name
    prefix = f"{crypto.PREFIX}{crypto.keyring().current}{crypto.PREFIX}%"
    where = " OR ".join(f"({q(c)} <> '' AND {q(c)} NOT LIKE %s)" for c, _p in table.columns)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {q(table.name)} WHERE {where}", [prefix] * len(table.columns))
        return cursor.fetchone()[0]


def seal_columns(model: type[models.Model], columns: dict[str, list]) -> dict[str, list]:
    """Plain column values, as the bulk writers hold them (column: values), as they are stored: the encrypted
    fields encrypted column-wise, the blind indexes of the sources given added."""
    return seal_columns_later(model, columns).result()


@dataclass
class Sealing:
    """Columns being sealed (seal_columns_later): `result()` waits for them."""

    columns: dict[str, list]
    names: list[str]
    keys: crypto_columns.Keys
    jobs: list[crypto_columns.Job]
    future: Future

    def result(self) -> dict[str, list]:
        done = crypto_columns.result(self.future, self.keys, self.jobs)
        return self.columns | dict(zip(self.names, done, strict=True))


def seal_columns_later(model: type[models.Model], columns: dict[str, list]) -> Sealing:
    """`seal_columns` started: long columns on the worker process (fupin.core.crypto_columns) while the caller
    goes on; `.result()` gives the stored columns."""
    names: list[str] = []
    jobs: list[crypto_columns.Job] = []
    for field in model._meta.concrete_fields:
        if isinstance(field, EncryptedField) and field.attname in columns:
            names.append(field.attname)
            jobs.append(("encrypt", field.purpose, list(columns[field.attname])))
        elif isinstance(field, BlindIndexField) and field.source in columns:
            names.append(field.attname)
            jobs.append(("index stored", field.purpose, list(columns[field.source]), field.last))
    keys = crypto.column_keys()
    return Sealing(dict(columns), names, keys, jobs, crypto_columns.submit(keys, jobs))


def index_values(model: type[models.Model], row: dict) -> dict:
    """The blind indexes of a row's plain values (for a QuerySet.update() that sets their sources)."""
    return {
        f.attname: f.of(row[f.source])
        for f in model._meta.concrete_fields
        if isinstance(f, BlindIndexField) and f.source in row
    }


def open_columns(model: type[models.Model], columns: dict[str, list]) -> dict[str, list]:
    """Stored column values read past the ORM (raw SQL, COPY TO) as plain ones: encrypted fields decrypted."""
    out = dict(columns)
    for field in model._meta.concrete_fields:
        if isinstance(field, EncryptedField) and field.attname in columns:
            out[field.attname] = crypto.decrypt_many(columns[field.attname], field.purpose)
    return out


def recrypt_bulk(
    table: Table,
    *,
    batch: int = 50_000,
    decrypting: bool = False,
    progress: Progress | None = None,
    connection: Any = None,
    atomic_batches: bool = True,
    restore_versions: bool = True,
) -> int:
    """`recrypt` for PostgreSQL, column-wise: each batch read, encrypted (or decrypted) and indexed as whole
    columns, COPYed into a temporary table and written by one UPDATE … FROM with the same compare-and-set
    on the old values (a row a user changed meanwhile is left to its own, newer value). A registry of ten
    million in minutes, where a statement a row takes an hour."""
    connection = connection or default_connection
    q = connection.ops.quote_name
    names = [c for c, _p in table.columns]
    index_names = [i for i, _s, _p, _l in table.indexes]
    temp = f"_recrypt_{table.name}"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {q(table.name)}")
        total = cursor.fetchone()[0]
    last, seen, written = 0, 0, 0
    while True:
        with transaction.atomic(using=connection.alias) if atomic_batches else _nothing():
            with connection.cursor() as cursor:
                select = ", ".join(q(c) for c in ["id", *names])
                cursor.execute(
                    f"SELECT {select} FROM {q(table.name)} WHERE id > %s ORDER BY id LIMIT %s", [last, batch]
                )
                rows = cursor.fetchall()
                if not rows:
                    break
                columns = list(zip(*rows, strict=True))
                plain = {c: crypto.decrypt_many(columns[1 + i], p) for i, (c, p) in enumerate(table.columns)}
                stored = {
                    c: plain[c] if decrypting else crypto.encrypt_many(plain[c], p) for c, p in table.columns
                }
                indexes = {
                    i: crypto.blind_indexes(plain[src], purpose, last_n)
                    for i, src, purpose, last_n in table.indexes
                }
                kinds = ", ".join(
                    ["id bigint", *[f"{q(c)} text, {q('old_' + c)} text" for c in names]]
                    + [f"{q(i)} bigint" for i in index_names]
                )
                cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {q(temp)} ({kinds})")
                cursor.execute(f"TRUNCATE {q(temp)}")
                order = ["id", *[x for c in names for x in (c, "old_" + c)], *index_names]
                values: dict[str, Any] = {"id": columns[0], **stored, **indexes}
                values |= {f"old_{c}": columns[1 + k] for k, c in enumerate(names)}
                with cursor.cursor.copy(
                    f"COPY {q(temp)} ({', '.join(q(c) for c in order)}) FROM STDIN"
                ) as copy:
                    for record in zip(*(values[c] for c in order), strict=True):
                        copy.write_row(record)
                sets = ", ".join(f"{q(c)} = s.{q(c)}" for c in [*names, *index_names])
                same = " AND ".join(f"t.{q(c)} IS NOT DISTINCT FROM s.{q('old_' + c)}" for c in names)
                changed = " OR ".join(
                    [f"t.{q(c)} IS DISTINCT FROM s.{q(c)}" for c in names]
                    + [f"t.{q(i)} IS DISTINCT FROM s.{q(i)}" for i in index_names]
                )
                moved = " OR ".join(f"s.{q('old_' + c)} IS DISTINCT FROM s.{q(c)}" for c in names)
                cursor.execute(
                    f"UPDATE {q(table.name)} t SET {sets} FROM {q(temp)} s "
                    f"WHERE t.id = s.id AND {same} AND ({changed}) RETURNING t.id, ({moved})"
                )
                done = cursor.fetchall()
                written += len(done)
                if table.versioned and restore_versions:
                    _restore_versions(cursor, q(table.name), [pk for pk, was_moved in done if was_moved])
        last, seen = rows[-1][0], seen + len(rows)
        if progress:
            progress(table, seen, total)
    return written


def _restore_versions(cursor: Any, quoted_table: str, moved: list[int]) -> None:
    """Take back the version the UPDATE added to the rows whose stored values changed: a re-encryption is not
    an edit (as recrypt's `lower`)."""
    if moved:
        cursor.execute(
            f"UPDATE {quoted_table} SET version = version - 1 WHERE id = ANY(%s) AND version > 1", [moved]
        )


def json_tables(model_list: Iterable[type[models.Model]]) -> list[tuple[type[models.Model], list[str]]]:
    """The models with JSON fields holding encrypted values (SealedJSONField, EncryptedJSONField), and those
    fields' names: `fupin rotate-keys` moves them to the current key with reseal_json."""
    found = []
    for model in model_list:
        names = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, (SealedJSONField, EncryptedJSONField))
        ]
        if names:
            found.append((model, names))
    return found


def _old_key_patterns() -> list[str]:
    ring = crypto.keyring()
    return [f"%{crypto.PREFIX}{k}{crypto.PREFIX}%" for k in ring.data_keys if k != ring.current]


def json_pending(model: type[models.Model], names: list[str]) -> int:
    """How many rows hold a value under a key other than the current one."""
    patterns = _old_key_patterns()
    if not patterns:
        return 0
    q = default_connection.ops.quote_name
    where = " OR ".join(f"CAST({q(n)} AS text) LIKE %s" for n in names for _p in patterns)
    params = [p for _n in names for p in patterns]
    with default_connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {q(model._meta.db_table)} WHERE {where}", params)
        return cursor.fetchone()[0]


def reseal_json(model: type[models.Model], names: list[str], *, batch: int = 500) -> int:
    """Rewrite these JSON fields of every row under the current key, in batches walked by id, each batch's
    rows locked while they are read and written (an edit made meanwhile waits, and is not overwritten).
    Returns the rows written; a killed run is finished by running it again."""
    last, written = 0, 0
    while True:
        with transaction.atomic():
            rows = list(
                model._default_manager.select_for_update()
                .filter(pk__gt=last)
                .order_by("pk")
                .only("pk", *names)[:batch]
            )
            if not rows:
                return written
            model._default_manager.bulk_update(rows, names)
        written += len(rows)
        last = rows[-1].pk
