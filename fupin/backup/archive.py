"""The backup archive: one .tar holding the database, the uploaded files and the keys, and manifest.json
naming every member with its size and SHA-256.

`Writer` writes it atomically (a temporary file beside the archive, mode 600, renamed over it once complete
and synced), so a reader never finds half an archive under the archive's name. `Archive` reads it back: the
manifest, then one pass over the members in which each is hashed against the manifest and, if asked, written
out."""

import hashlib
import json
import os
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from django.utils.translation import gettext

FORMAT = "fupin-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE = "database/"
MEDIA = "media/"
VAR = "var/"
CHUNK = 1 << 20


class BackupError(Exception):
    """A backup or restore refused or failed, with the reason in Chinese for the administrator."""


def member_ok(name: str) -> bool:
    """A member name that can only land inside its folder: relative, no '..', under one of the archive's
    folders."""
    path = PurePosixPath(name)
    return (
        not path.is_absolute()
        and ".." not in path.parts
        and name.startswith((DATABASE, MEDIA, VAR))
        and name == path.as_posix()
    )


class _Hashing:
    """A file read through SHA-256, for tarfile.addfile."""

    def __init__(self, handle):
        self.handle, self.digest, self.size = handle, hashlib.sha256(), 0

    def read(self, size=-1):
        data = self.handle.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data


class Writer:
    """The archive being written; `finish(manifest)` completes it, leaving the `with` block without it
    abandons it."""

    def __init__(self, path: Path):
        self.path = Path(path).absolute()
        if self.path.is_dir():
            raise BackupError(
                gettext("%(path)s 是目录：请给出备份文件的路径，例如 %(example)s")
                % {"path": self.path, "example": self.path / "fupin.tar"}
            )
        if not self.path.parent.is_dir():
            raise BackupError(gettext("目录不存在：%(parent)s") % {"parent": self.path.parent})
        # mkstemp: mode 600 (the archive holds the keys), a name nobody else uses
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".partial", dir=self.path.parent)
        self.tmp = Path(tmp)
        self.handle = os.fdopen(fd, "wb")
        self.tar = tarfile.open(fileobj=self.handle, mode="w", format=tarfile.PAX_FORMAT)  # noqa: SIM115
        self.files: list[dict] = []

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        if kind is not None:
            self.tar.close()
            self.handle.close()
            self.tmp.unlink(missing_ok=True)

    def add_file(self, source: Path, name: str) -> dict:
        info = tarfile.TarInfo(name)
        with open(source, "rb") as handle:
            stat = os.fstat(handle.fileno())
            info.size, info.mtime, info.mode = stat.st_size, int(stat.st_mtime), stat.st_mode & 0o777
            reader = _Hashing(handle)
            try:
                self.tar.addfile(info, reader)
            except OSError as e:  # tarfile: "unexpected end of data" when the file shrank while it was read
                raise BackupError(
                    gettext("文件在备份过程中被改动：%(source)s（%(error)s）；请重新备份")
                    % {"source": source, "error": e}
                ) from None
        entry = {"path": name, "size": info.size, "sha256": reader.digest.hexdigest()}
        self.files.append(entry)
        return entry

    def add_tree(self, root: Path, prefix: str) -> list[dict]:
        """Every regular file under `root` (symbolic links are not followed), in a stable order."""
        added = []
        if not root.is_dir():
            return added
        for folder, dirs, names in os.walk(root):
            dirs.sort()
            for name in sorted(names):
                source = Path(folder) / name
                if source.is_symlink() or not source.is_file():
                    continue
                try:
                    added.append(self.add_file(source, prefix + source.relative_to(root).as_posix()))
                except FileNotFoundError:
                    continue  # deleted since it was listed (an expired department list, a replaced ZIP)
        return added

    def finish(self, manifest: dict) -> None:
        manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, **manifest, "files": self.files}
        data = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mode = len(data), 0o600
        self.tar.addfile(info, _Hashing(_Bytes(data)))
        self.tar.close()
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()
        os.replace(self.tmp, self.path)
        _sync_directory(self.path.parent)


class _Bytes:
    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def read(self, size=-1):
        end = len(self.data) if size < 0 else self.at + size
        chunk, self.at = self.data[self.at : end], min(end, len(self.data))
        return chunk


def _sync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Archive:
    """An archive opened for reading. Raises BackupError when it is missing, not a tar, or not fupin's."""

    def __init__(self, path: Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise BackupError(gettext("备份文件不存在：%(path)s") % {"path": self.path})
        try:
            with tarfile.open(self.path, "r:") as tar:
                member = tar.getmember(MANIFEST)
                self.manifest = json.loads(tar.extractfile(member).read())
        except KeyError:
            raise BackupError(
                gettext("%(path)s 中没有 %(manifest)s：不是 fupin 的备份文件，或备份未写完、已损坏")
                % {"path": self.path, "manifest": MANIFEST}
            ) from None
        except (tarfile.TarError, OSError, EOFError, ValueError, AttributeError) as e:
            raise BackupError(
                gettext("无法读取备份文件 %(path)s：文件已损坏或不是 fupin 的备份（%(kind)s）")
                % {"path": self.path, "kind": type(e).__name__}
            ) from None
        if not isinstance(self.manifest, dict) or self.manifest.get("format") != FORMAT:
            raise BackupError(gettext("%(path)s 不是 fupin 的备份文件（清单格式不符）") % {"path": self.path})
        if self.manifest.get("format_version") != FORMAT_VERSION:
            raise BackupError(
                gettext("备份格式版本 %(version)s 不受本版本 fupin 支持（支持 %(supported)s）")
                % {"version": self.manifest.get("format_version"), "supported": FORMAT_VERSION}
            )
        files = self.manifest.get("files")
        if not isinstance(files, list) or not all(
            isinstance(f, dict) and member_ok(str(f.get("path", ""))) for f in files
        ):
            raise BackupError(
                gettext("%(path)s 的清单中有不合法的文件名：备份已损坏或被改动") % {"path": self.path}
            )
        self.files = {f["path"]: f for f in files}

    def names(self, prefix: str) -> list[str]:
        return [name for name in self.files if name.startswith(prefix)]

    def unpack(self, destination: Callable[[str], Path | None] = lambda name: None) -> int:
        """Hash every member against the manifest, writing those `destination` maps to a path; the bytes read.

        Raises BackupError on the first member whose size or SHA-256 differs, on a member the manifest does
        not name, and when a member it names is missing: a refused archive writes nothing outside the paths
        given."""
        seen, total = set(), 0
        try:
            with tarfile.open(self.path, "r:") as tar:
                for member in tar:
                    if member.name == MANIFEST:
                        continue
                    expected = self.files.get(member.name)
                    if expected is None or not member.isfile() or member.name in seen:
                        raise BackupError(
                            gettext("备份中有清单未列出的成员 %(name)s：备份已损坏或被改动")
                            % {"name": repr(member.name)}
                        )
                    seen.add(member.name)
                    total += self._check(tar, member, expected, destination(member.name))
        except (tarfile.TarError, EOFError, OSError) as e:
            raise BackupError(
                gettext("备份文件 %(path)s 不完整或已损坏（%(kind)s: %(error)s）")
                % {"path": self.path, "kind": type(e).__name__, "error": e}
            ) from None
        missing = sorted(set(self.files) - seen)
        if missing:
            raise BackupError(
                gettext("备份文件不完整：缺少 %(count)s 个成员（%(names)s…）")
                % {"count": len(missing), "names": ", ".join(missing[:3])}
            )
        return total

    def _check(self, tar, member, expected: dict, target: Path | None) -> int:
        digest, size = hashlib.sha256(), 0
        source = tar.extractfile(member)
        out = None
        if target is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
            out = open(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb")  # noqa: SIM115
        try:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                if out is not None:
                    out.write(chunk)
        finally:
            if out is not None:
                out.close()
                os.chmod(target, member.mode & 0o777)
        if size != expected.get("size") or digest.hexdigest() != expected.get("sha256"):
            raise BackupError(
                gettext("备份已损坏：%(name)s 的内容与清单记录的 SHA-256 不符") % {"name": member.name}
            )
        return size
