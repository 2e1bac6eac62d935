"""Files under MEDIA_ROOT encrypted at rest (issue 17): uploaded imports kept for a retry, evidence, visit
photos, consent scans, error reports, handbook ZIPs and exports can all name persons, so none is stored as
it came.

A sealed file is a header (MAGIC, the data key's id, a random 8-byte nonce prefix) followed by the content
in chunks of CHUNK bytes, each sealed with AES-256-GCM (`cryptography`) under a key derived (HKDF-SHA256)
from that data key of fupin.core.crypto, so the key file and `fupin rotate-keys` serve files as they serve
columns. A chunk's nonce is the prefix and its number; its associated data is the header and whether it is
the last chunk, so a chunk altered, moved, dropped or a file cut short fails to open (CryptoError) rather
than reading as other content. Reading is random access (a ZIP's directory at its end, a download's ranges):
a chunk is opened when a read reaches it.

`SealedFileStorage` is the default storage (settings.STORAGES): files are sealed as they are saved and
opened as they are read, through FieldFile as before; `open_path` opens a file by its path (an export), and
`local_path` gives readers that need a path (DuckDB, calamine) a temporary plain copy, mode 600, deleted
when they are done. A file written before this existed reads as it is until `fupin seal-files` (or `fupin
rotate-keys`) seals it: `seal_tree` walks MEDIA_ROOT and seals every file not yet under the current key,
each replaced whole (a temporary sibling, fsync, rename), so it can be killed and rerun at any point."""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage

from . import crypto

MAGIC = b"fupin-sealed-file-1\n"
CHUNK = 64 * 1024
TAG = 16
STEP = CHUNK + TAG
NONCE_PREFIX = 8
MAX_HEADER = len(MAGIC) + 40 + NONCE_PREFIX
TEMP_PREFIX = ".sealing-"

_ciphers: dict[tuple[str, bytes], AESGCM] = {}


def _cipher(key_id: str) -> AESGCM:
    ring = crypto.keyring()
    if key_id not in ring.data_keys:
        ring = crypto.reload()  # another process added a key (fupin rotate-keys) since this one read them
        if key_id not in ring.data_keys:
            raise crypto.CryptoError(f"未知的数据密钥 {key_id}。 Unknown data key {key_id}.")
    material = ring.data_keys[key_id]
    cipher = _ciphers.get((key_id, material))
    if cipher is None:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"fupin sealed file").derive(
            material
        )
        cipher = _ciphers[(key_id, material)] = AESGCM(derived)
    return cipher


def _nonce(prefix: bytes, number: int) -> bytes:
    return prefix + number.to_bytes(4, "big")


def seal_chunks(chunks: Iterable[bytes | str], key_id: str | None = None) -> Iterator[bytes]:
    """The sealed file of this content, in pieces (the header first, then each sealed chunk)."""
    key_id = key_id or crypto.keyring().current
    cipher, prefix = _cipher(key_id), secrets.token_bytes(NONCE_PREFIX)
    header = MAGIC + key_id.encode("ascii") + b"\n" + prefix
    yield header
    middle, last = header + b"\0", header + b"\1"
    buffer, number = bytearray(), 0
    for piece in chunks:
        buffer += piece.encode() if isinstance(piece, str) else piece
        while len(buffer) > CHUNK:  # more follows this chunk: it is not the last
            yield cipher.encrypt(_nonce(prefix, number), bytes(buffer[:CHUNK]), middle)
            del buffer[:CHUNK]
            number += 1
    yield cipher.encrypt(_nonce(prefix, number), bytes(buffer), last)


def _header(raw: IO[bytes]) -> tuple[bytes, str] | None:
    """(header, key id) of a sealed file open at its start; None for a plain one."""
    head = raw.read(MAX_HEADER)
    if not head.startswith(MAGIC):
        return None
    end = head.find(b"\n", len(MAGIC))
    if end < 0 or len(head) < end + 1 + NONCE_PREFIX:
        raise crypto.CryptoError("文件已损坏（加密文件头不完整）。 A sealed file's header is cut short.")
    return head[: end + 1 + NONCE_PREFIX], head[len(MAGIC) : end].decode("ascii", "replace")


class OpenedFile(io.RawIOBase):
    """A sealed file's content, read (and seeked) as a plain binary file; each chunk authenticated as read."""

    def __init__(self, raw: IO[bytes], header: bytes, key_id: str) -> None:
        super().__init__()
        self._raw, self._header, self._start = raw, header, len(header)
        self._cipher = _cipher(key_id)
        self._prefix = header[-NONCE_PREFIX:]
        raw.seek(0, io.SEEK_END)
        body = raw.tell() - self._start
        self._chunks = max(1, -(-body // STEP))
        self.size = body - TAG * self._chunks
        if self.size < 0:
            raise crypto.CryptoError("文件已损坏（内容被截断）。 A sealed file is cut short.")
        self._pos = 0
        self._cached: tuple[int, bytes] = (-1, b"")

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def _open_chunk(self, number: int) -> bytes:
        if self._cached[0] == number:
            return self._cached[1]
        self._raw.seek(self._start + number * STEP)
        sealed = self._raw.read(STEP)
        final = number == self._chunks - 1
        try:
            plain = self._cipher.decrypt(
                _nonce(self._prefix, number), sealed, self._header + (b"\1" if final else b"\0")
            )
        except InvalidTag:
            raise crypto.CryptoError(
                "文件无法解密（密钥不符或内容被改动）。 A sealed file does not decrypt."
            ) from None
        self._cached = (number, plain)
        return plain

    def readinto(self, buffer: Any) -> int:
        if self._pos >= self.size:
            return 0
        number, offset = divmod(self._pos, CHUNK)
        plain = self._open_chunk(number)
        n = min(len(buffer), len(plain) - offset)
        buffer[:n] = plain[offset : offset + n]
        self._pos += n
        return n

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._pos = base + offset
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


def open_raw(raw: IO[bytes]) -> IO[bytes]:
    """A stored file open for reading (binary, at its start) as its content: opened when sealed, as it is when
    plain (written before files were sealed, not yet reached by `fupin seal-files`)."""
    found = _header(raw)
    raw.seek(0)
    if found is None:
        return raw
    try:
        return io.BufferedReader(OpenedFile(raw, *found), buffer_size=CHUNK)
    except BaseException:
        raw.close()
        raise


def open_path(path: str | os.PathLike[str]) -> IO[bytes]:
    return open_raw(open(path, "rb"))


def key_of(path: str | os.PathLike[str]) -> str | None:
    """The data key a stored file is sealed with; None when it is plain."""
    with open(path, "rb") as raw:
        found = _header(raw)
    return found[1] if found else None


def write_sealed(
    path: str | os.PathLike[str], source: IO[bytes] | Iterable[bytes], *, replacing: bool = False
) -> None:
    """Write `source` (a binary file, read from where it stands, or pieces) sealed to `path`, whole or not at
    all: a temporary sibling (mode 600), fsynced, renamed over it. `replacing`: only if `path` is still there
    (a file deleted meanwhile, an import's upload once its job ended, is not brought back)."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=target.parent)
    pieces = iter(lambda: source.read(CHUNK), b"") if hasattr(source, "read") else source
    try:
        with os.fdopen(fd, "wb") as out:
            for piece in seal_chunks(pieces):
                out.write(piece)
            out.flush()
            os.fsync(out.fileno())
        if replacing and not target.exists():
            raise FileNotFoundError(target)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class _Sealing(File):
    """Content about to be saved, read back sealed (FileSystemStorage._save writes what chunks() gives)."""

    def __init__(self, content: Any) -> None:
        super().__init__(content, getattr(content, "name", None))
        self._content = content

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        return seal_chunks(self._content.chunks(chunk_size))


class _StoredFile(File):
    """A stored file open for reading; opened again (after a close) through its storage, never by its path,
    which holds the sealed bytes."""

    def __init__(self, storage: SealedFileStorage, name: str, mode: str) -> None:
        self._storage = storage
        super().__init__(storage.content(name, mode), name)
        self.mode = mode

    def open(self, mode: str | None = None, *args: Any, **kwargs: Any) -> _StoredFile:
        if not self.closed:
            self.seek(0)
        else:
            self.file = self._storage.content(self.name or "", mode or self.mode)
        return self


class SealedFileStorage(FileSystemStorage):
    """FileSystemStorage whose files are sealed on disk (this module's docstring)."""

    def _save(self, name: str, content: Any) -> str:
        return super()._save(name, _Sealing(content))  # type: ignore[misc]  # not in the stubs

    def content(self, name: str, mode: str = "rb") -> IO[Any]:
        if mode not in ("rb", "r"):
            raise ValueError(f"stored files are opened for reading only, not {mode!r}")
        opened = open_path(self.path(name))
        return opened if mode == "rb" else io.TextIOWrapper(opened, encoding="utf-8")

    def _open(self, name: str, mode: str = "rb") -> File:
        return _StoredFile(self, name, mode)

    def size(self, name: str) -> int:
        with open(self.path(name), "rb") as raw:
            found = _header(raw)
            if found is None:
                return os.path.getsize(self.path(name))
            raw.seek(0)
            return OpenedFile(raw, *found).size


@contextlib.contextmanager
def local_path(path: str | os.PathLike[str], suffix: str = "") -> Iterator[str]:
    """A path holding a stored file's content, for a reader that opens files by path: the file itself when it
    is plain, else a temporary plain copy (mode 600, outside MEDIA_ROOT) gone on leaving (unnamed_copy)."""
    if key_of(path) is None:
        yield str(path)
        return
    with unnamed_copy(suffix) as (tmp, name):
        with open_path(path) as opened:
            while piece := opened.read(1024 * 1024):
                tmp.write(piece)
        tmp.flush()
        yield name


@contextlib.contextmanager
def unnamed_copy(suffix: str = "") -> Iterator[tuple[IO[bytes], str]]:
    """A temporary file to write and a path to read it by. On Linux the file has no name on disk (O_TMPFILE):
    its content goes with the process's last descriptor of it, even when the process is killed with SIGKILL,
    which leaves a named copy behind. The path is a link to the process's descriptor, in a folder of its own,
    ending in `suffix` for readers that go by it: all a killed process leaves is the link, pointing nowhere.
    Elsewhere, a named temporary file (mode 600) deleted on leaving."""
    try:
        fd = os.open(tempfile.gettempdir(), os.O_TMPFILE | os.O_RDWR, 0o600)
    except (AttributeError, OSError):  # not Linux, or a file system without unnamed files
        with tempfile.NamedTemporaryFile(suffix=suffix, prefix=OPEN_PREFIX) as named:
            yield named, named.name
        return
    with open(fd, "w+b") as tmp, tempfile.TemporaryDirectory(prefix=OPEN_PREFIX) as folder:
        link = os.path.join(folder, "content" + suffix)
        os.symlink(f"/proc/{os.getpid()}/fd/{fd}", link)
        yield tmp, link


OPEN_PREFIX = "fupin-open-"  # a stored file's plain copy, or the folder of its link (unnamed_copy)


def _stored_files(root: Path) -> Iterator[Path]:
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            if not name.startswith(".") and not name.endswith(".part"):  # files being written
                yield Path(folder) / name


def pending(root: str | os.PathLike[str] | None = None, *, plain: bool = True) -> int:
    """How many files under MEDIA_ROOT are plain (unless not `plain`) or sealed under another key than the
    current one."""
    current = crypto.keyring().current
    keys = (_key_or_none(p) for p in _stored_files(Path(root or settings.MEDIA_ROOT)))
    return sum(1 for key in keys if key != current and (plain or key is not None))


def _key_or_none(path: Path) -> str | None:
    try:
        return key_of(path)
    except (OSError, crypto.CryptoError):
        return None


def seal_tree(
    root: str | os.PathLike[str] | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
    batch: int = 200,
    stop_after: int | None = None,
) -> int:
    """Seal, under the current key, every file under MEDIA_ROOT that is plain or under an older key; the files
    written. Each file is replaced whole, so a run killed at any point is finished by running it again;
    `progress(done, seen)` is told every `batch` files; `stop_after` stops after that many files (tests)."""
    current = crypto.keyring().current
    written = seen = 0
    for path in _stored_files(Path(root or settings.MEDIA_ROOT)):
        seen += 1
        try:
            key = key_of(path)
        except FileNotFoundError:
            continue  # deleted meanwhile (an import finished, an export expired)
        if key == current:
            continue
        if stop_after is not None and written >= stop_after:
            break
        try:
            with open_path(path) as opened:
                write_sealed(path, opened, replacing=True)
        except FileNotFoundError:
            continue
        written += 1
        if progress and written % batch == 0:
            progress(written, seen)
    if progress:
        progress(written, seen)
    return written
