"""A task for the worker tests: it notes each run in a file (one line per run, appended atomically)."""

import os
import time

from django.tasks import task


@task
def note_run(n: int, path: str) -> int:
    time.sleep(0.1)  # long enough for the other worker to be claiming meanwhile
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(f"{n} {os.getpid()}\n")
    return n
