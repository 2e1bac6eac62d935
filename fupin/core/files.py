"""Stored files as local paths, for readers (DuckDB, calamine) that need a filesystem path."""
import contextlib
import shutil
import tempfile
from pathlib import Path


@contextlib.contextmanager
def local_path(field_file):
    """A filesystem path for a stored file (a temporary copy when the storage has no paths)."""
    try:
        path = field_file.path
    except NotImplementedError:
        path = None
    if path:
        yield path
        return
    with tempfile.NamedTemporaryFile(suffix=Path(field_file.name).suffix) as tmp:
        with field_file.open("rb") as fh:
            shutil.copyfileobj(fh, tmp)
        tmp.flush()
        yield tmp.name
