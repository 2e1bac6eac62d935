"""Personal data encrypted at rest: the data keys, the blind-index key, and what is done with them.

Sensitive values (members' and declarants' ID numbers, phones, bank accounts) are stored as
``$<key id>$<base64 of AES-256-SIV(value, associated data = the purpose)>``. AES-SIV (RFC 5297,
`cryptography`'s AESSIV) is authenticated and deterministic: the same value under the same key always
gives the same text, so saving a record unchanged leaves its columns (and the version triggers of
fupin.core.versions) as they were, and no nonce can ever repeat. The key id in each value lets
`fupin rotate-keys` re-encrypt a registry in the background: while it runs, a record is read with
whichever key its value names.

Exact lookups (uniqueness of an ID number, import matching, cross-checks, declarations finding their
member) go through a blind index: HMAC-SHA256 of the value under a key of its own, truncated to a signed
64-bit integer (a BIGINT column; for ten million numbers the chance that two share one is about 3 in a
million, and the unique constraint would then refuse the second, never confuse them). Search by the last
six characters of an ID number uses a second index of just those characters (fupin.core.fields). The
index key is never rotated (that would mean recomputing every index); the data keys are.

Where the keys come from, first found wins:
  FUPIN_DATA_KEYS       the key file's text itself (lines may be separated by ";")
  FUPIN_DATA_KEYS_FILE  a path to a key file
  var/data_keys         made on first start (mode 600) by a machine on the embedded default (SQLite in var/)
A key file has one key a line: ``index <base64 of 32 bytes>``, ``data <id> <base64 of 64 bytes>``; the last
``data`` line is the one new values are written with. A server with DEBUG off on a DATABASE_URL refuses
to start without keys from the environment (refuse_missing_keys_in_production), as for SECRET_KEY.
"""

import base64
import binascii
import hmac
import os
import secrets
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from django.core.exceptions import ImproperlyConfigured

from . import crypto_columns
from .crypto_columns import CryptoError

KEY_FILE_NAME = "data_keys"
PREFIX = "$"
INDEX_KEY_BYTES = 32
DATA_KEY_BYTES = 64  # AES-256-SIV


@dataclass(frozen=True)
class Keyring:
    index_key: bytes
    data_keys: dict[str, bytes]
    current: str
    source: str  # "environment", or the key file's path

    def text(self) -> str:
        lines = [f"index {base64.b64encode(self.index_key).decode()}"]
        ids = [i for i in self.data_keys if i != self.current] + [self.current]
        lines += [f"data {i} {base64.b64encode(self.data_keys[i]).decode()}" for i in ids]
        return "\n".join(lines) + "\n"


def parse(text: str, source: str) -> Keyring:
    """A key file's text as a Keyring; ImproperlyConfigured (naming the line) when it is not one."""
    index_key, data_keys, current = b"", {}, ""
    for n, line in enumerate(text.replace(";", "\n").splitlines(), 1):
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        try:
            if parts[0] == "index" and len(parts) == 2:
                index_key = base64.b64decode(parts[1], validate=True)
                ok = len(index_key) == INDEX_KEY_BYTES
            elif parts[0] == "data" and len(parts) == 3 and parts[1].isalnum():
                key = base64.b64decode(parts[2], validate=True)
                data_keys[parts[1]], current, ok = key, parts[1], len(key) == DATA_KEY_BYTES
            else:
                ok = False
        except binascii.Error:
            ok = False
        if not ok:
            raise ImproperlyConfigured(
                f"数据密钥第{n}行格式不对（{source}）。 Line {n} of the data keys ({source}) is not "
                "'index <base64 of 32 bytes>' or 'data <id> <base64 of 64 bytes>'."
            )
    if not index_key or not current:
        raise ImproperlyConfigured(
            f"数据密钥不全（{source}）：需要一行 index 和至少一行 data。 The data keys ({source}) need an "
            "'index' line and at least one 'data' line."
        )
    return Keyring(index_key, data_keys, current, source)


def new_key_text() -> str:
    """A fresh key file: a blind-index key and one data key, id k1."""
    return parse(
        f"index {base64.b64encode(secrets.token_bytes(INDEX_KEY_BYTES)).decode()}\n"
        f"data k1 {base64.b64encode(secrets.token_bytes(DATA_KEY_BYTES)).decode()}\n",
        "new",
    ).text()


def key_file(var_dir: Path | None = None) -> Path:
    from django.conf import settings

    path = os.environ.get("FUPIN_DATA_KEYS_FILE")
    return Path(path) if path else Path(var_dir or settings.VAR_DIR) / KEY_FILE_NAME


def keys_from_environment() -> bool:
    return bool(os.environ.get("FUPIN_DATA_KEYS") or os.environ.get("FUPIN_DATA_KEYS_FILE"))


def load() -> Keyring:
    """The keys as configured now (see the module's docstring), the embedded default's file made if needed."""
    text = os.environ.get("FUPIN_DATA_KEYS")
    if text:
        return parse(text, "FUPIN_DATA_KEYS")
    path = key_file()
    try:
        return parse(path.read_text(), str(path))
    except FileNotFoundError:
        if os.environ.get("FUPIN_DATA_KEYS_FILE"):
            raise ImproperlyConfigured(
                f"找不到数据密钥文件 {path}。 The data key file {path} does not exist."
            ) from None
    write_key_file(path, new_key_text(), exclusive=True)
    return parse(path.read_text(), str(path))


def write_key_file(path: Path, text: str, *, exclusive: bool = False) -> None:
    """Write a key file readable by its owner only; `exclusive`: only if none is there (two first starts)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    tmp = path if exclusive else path.with_name(path.name + ".new")
    try:
        fd = os.open(tmp, flags, 0o600)
    except FileExistsError:
        return
    except OSError as e:
        raise ImproperlyConfigured(
            f"无法在 {path} 保存数据密钥（{e.strerror}）：请设置 FUPIN_DATA_KEYS 或 FUPIN_DATA_KEYS_FILE。"
            f" Cannot keep data keys in {path} ({e.strerror}): set FUPIN_DATA_KEYS or FUPIN_DATA_KEYS_FILE."
        ) from None
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    if tmp != path:
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)


_lock = threading.Lock()
_keyring: Keyring | None = None
_ciphers: dict[str, AESSIV] = {}
_file_seen: tuple[float, float] = (0.0, 0.0)  # (when the key file was last looked at, its mtime then)
RECHECK_SECONDS = 5.0


def _file_mtime(ring: Keyring) -> float:
    try:
        return os.stat(ring.source).st_mtime if ring.source != "FUPIN_DATA_KEYS" else 0.0
    except OSError:
        return 0.0


def keyring() -> Keyring:
    """The keys, read once; a key file is looked at again every few seconds, so a running server writes
    with the key `fupin rotate-keys` added without a restart."""
    global _keyring, _file_seen
    ring = _keyring
    if ring is not None:
        now = time.monotonic()
        if now - _file_seen[0] < RECHECK_SECONDS:
            return ring
        mtime = _file_mtime(ring)
        if mtime == _file_seen[1]:
            _file_seen = (now, mtime)
            return ring
    with _lock:
        if _keyring is None or _keyring is ring:
            _keyring = load()
            _ciphers.clear()
            _file_seen = (time.monotonic(), _file_mtime(_keyring))
        return _keyring


def reload() -> Keyring:
    """Read the keys again (a rotation added one, or a test changed them)."""
    global _keyring
    with _lock:
        _keyring = None
        _ciphers.clear()
    return keyring()


def add_data_key() -> Keyring:
    """Add a new data key to the key file and make it the one new values are written with. Keys given in
    FUPIN_DATA_KEYS cannot be added to here: add a `data` line there, on every server, and restart them."""
    ring = reload()
    if ring.source == "FUPIN_DATA_KEYS":
        raise ImproperlyConfigured(
            "数据密钥来自环境变量 FUPIN_DATA_KEYS：请在各服务器的该变量末尾加一行新的 data 密钥并重启，再运行"
            " fupin rotate-keys --no-new-key。 Keys come from FUPIN_DATA_KEYS: add a 'data' line there on "
            "every"
            " server, restart them, then run fupin rotate-keys --no-new-key."
        )
    n = len(ring.data_keys) + 1
    while f"k{n}" in ring.data_keys:
        n += 1
    keys = dict(ring.data_keys) | {f"k{n}": secrets.token_bytes(DATA_KEY_BYTES)}
    write_key_file(Path(ring.source), Keyring(ring.index_key, keys, f"k{n}", ring.source).text())
    return reload()


def fingerprint(key: bytes) -> str:
    """A key's fingerprint: one-way (SHA-256 of a label and the key, 16 hex digits), so a backup's manifest
    can name the keys its data needs without holding anything that opens it."""
    return sha256(b"fupin key fingerprint\0" + key).hexdigest()[:16]


def fingerprints(ring: Keyring | None = None) -> dict:
    """The keys in force as {"index": fingerprint, "data": {key id: fingerprint}}: what a backup records."""
    ring = ring or keyring()
    return {
        "index": fingerprint(ring.index_key),
        "data": {i: fingerprint(k) for i, k in ring.data_keys.items()},
    }


def missing(needed: dict, ring: Keyring | None = None) -> list[str]:
    """The keys of `needed` (as fingerprints() gives them) that the keys in force lack or hold different
    material under: their ids ("index" for the blind-index key), sorted; empty when they open everything."""
    have = fingerprints(ring)
    absent = [i for i, f in sorted(needed.get("data", {}).items()) if have["data"].get(i) != f]
    if needed.get("index") and needed["index"] != have["index"]:
        absent.insert(0, "index")
    return absent


def _cipher(key_id: str) -> AESSIV:
    cipher = _ciphers.get(key_id)
    if cipher is None:
        ring = keyring()
        if key_id not in ring.data_keys:
            ring = reload()  # another process added a key (fupin rotate-keys) since this one read them
            if key_id not in ring.data_keys:
                raise CryptoError(f"未知的数据密钥 {key_id}。 Unknown data key {key_id}.")
        cipher = _ciphers[key_id] = AESSIV(ring.data_keys[key_id])
    return cipher


def is_encrypted(value: str | None) -> bool:
    return bool(value) and value[0] == PREFIX and value.find(PREFIX, 1) > 1  # type: ignore[index,union-attr]


def key_id_of(value: str) -> str:
    return value[1 : value.index(PREFIX, 1)]


def encrypt(value: str, purpose: str, key_id: str | None = None) -> str:
    """The stored text of a value ("" and None are kept as they are: an empty phone is not a secret)."""
    if not value or is_encrypted(value):
        return value  # never sealed twice (a bulk writer's sealed column saved through the ORM)
    key_id = key_id or keyring().current
    sealed = _cipher(key_id).encrypt(value.encode(), [purpose.encode()])
    return f"{PREFIX}{key_id}{PREFIX}{binascii.b2a_base64(sealed, newline=False).decode('ascii')}"


def column_keys() -> crypto_columns.Keys:
    """The keys in force, as fupin.core.crypto_columns' column-wise functions (and its worker) take them."""
    ring = keyring()
    return crypto_columns.Keys(ring.index_key, ring.data_keys, ring.current)


def encrypt_many(values: Iterable[str | None], purpose: str) -> list[str | None]:
    """`encrypt` over a column (the import's bulk path): one cipher, one prefix, no per-value look-ups; a long
    column half on a worker process (fupin.core.crypto_columns)."""
    return crypto_columns.halves(column_keys(), "encrypt", list(values), purpose)


def decrypt(value: str | None, purpose: str) -> str | None:
    """The value a stored text holds. Text not in the encrypted form is returned as it is: a registry whose
    in-place encryption (registry migration 0010) is not finished yet stays readable."""
    if not is_encrypted(value):
        return value
    assert value is not None
    cut = value.index(PREFIX, 1)
    try:
        sealed = binascii.a2b_base64(value[cut + 1 :])
        return _cipher(value[1:cut]).decrypt(sealed, [purpose.encode()]).decode()
    except (InvalidTag, binascii.Error, UnicodeDecodeError):
        raise CryptoError("数据无法解密（密钥不符或内容被改动）。 A stored value does not decrypt.") from None


def decrypt_many(values: Iterable[str | None], purpose: str) -> list[str | None]:
    """`decrypt` over a column (the sweep's screen reads every member's number); a long one half on a worker
    process."""
    values = list(values)
    keys = column_keys()
    try:
        return crypto_columns.halves(keys, "decrypt", values, purpose)
    except CryptoError:
        if reload().data_keys == keys.data_keys:
            raise
        # another process added a key (fupin rotate-keys) since this one read them
        return crypto_columns.halves(column_keys(), "decrypt", values, purpose)


def reencrypt(value: str | None, purpose: str, key_id: str | None = None) -> str | None:
    """The stored text under the current key (or `key_id`); "" and None unchanged."""
    plain = decrypt(value, purpose)
    return encrypt(plain, purpose, key_id) if plain else plain  # plain: not in the encrypted form


def blind_index(value: str | None, purpose: str) -> int | None:
    """The keyed blind index of a value: HMAC-SHA256(index key, purpose + NUL + value), first 8 bytes as a
    signed integer; None for an empty value."""
    if not value:
        return None
    digest = hmac.digest(keyring().index_key, f"{purpose}\0{value}".encode(), sha256)
    return int.from_bytes(digest[:8], "big", signed=True)


def blind_indexes(values: Sequence[str | None], purpose: str, last: int = 0) -> list[int | None]:
    """`blind_index` over a column (of each value's `last` characters, when given), a long one half on a
    worker process (fupin.core.crypto_columns)."""
    return crypto_columns.halves(column_keys(), "index", list(values), purpose, last)


def refuse_missing_keys_in_production() -> None:
    """Stop a server on a database of its own, with DEBUG off, that has no data keys from the environment:
    a key file made in one machine's var/ would differ between servers and be lost with the machine."""
    from django.conf import settings

    if not settings.DEBUG and not settings.EMBEDDED_DEFAULT_DATABASE and not keys_from_environment():
        raise ImproperlyConfigured(
            "数据密钥未设置：DEBUG 关闭且使用 DATABASE_URL 时，服务拒绝启动。请设置 FUPIN_DATA_KEYS 或"
            " FUPIN_DATA_KEYS_FILE（fupin rotate-keys --print-new-keys "
            "可生成一份），各服务器使用同一份，并与数据库分开备份。"
            " Data keys are not set: with DEBUG off and a DATABASE_URL, fupin refuses to serve. Set "
            "FUPIN_DATA_KEYS"
            " or FUPIN_DATA_KEYS_FILE, the same on every server, kept apart from the database's backups."
        )
