"""Lock files under var/locks/ (the leases of fupin.core.work on SQLite) are removed when released, and leases
still exclude each other: a lease never stands on a file someone removed (issue 16: the files were never
removed)."""

import os
import subprocess
import sys

import pytest
from django.db import connection

from fupin.core import work

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="files on SQLite only"
    ),
]


def test_a_released_lease_leaves_no_file_and_can_be_taken_again():
    lease = work.Lease("import", 424242).acquire()
    path = lease._path()
    assert path.exists() and work.is_held("import", 424242)
    assert not work.Lease("import", 424242).try_acquire()
    lease.release()
    assert not path.exists() and not work.is_held("import", 424242)
    with work.Lease("import", 424242).acquire():
        assert path.exists()
    assert not path.exists()


def test_a_lease_held_by_another_process_is_seen_and_its_file_kept():
    name = str(connection.settings_dict["NAME"])
    script = (
        "import fcntl, os, sys, time;"
        "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600); fcntl.flock(fd, fcntl.LOCK_EX);"
        "print('held', flush=True); sys.stdin.readline()"
    )
    path = work.Lease("import", 434343)._path()
    holder = subprocess.Popen(
        [sys.executable, "-c", script, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        assert work.is_held("import", 434343) and path.exists(), name
    finally:
        holder.communicate("\n", timeout=30)
    assert not work.is_held("import", 434343) and not path.exists()
