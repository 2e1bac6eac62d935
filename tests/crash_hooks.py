"""Run a `fupin` command that stops at a chosen stage of its work, so a test can `kill -9` it there.

    python -m tests.crash_hooks STAGE SIGNAL_FILE fupin-args…

At the stage the process writes SIGNAL_FILE and sleeps; the test waits for the file (no timing guesses) and
kills the process. STAGE "none" runs the command unchanged; "stub-pdf" only swaps WeasyPrint for a stub PDF
(the handbook's rendering has its own tests); "fail-first-claim" makes the worker's first claims hit a locked
database.
"""

import os
import sys
import time
from pathlib import Path


def pause(signal_file: str, stage: str) -> None:
    Path(signal_file).write_text(f"{stage} {os.getpid()}")
    while True:
        time.sleep(60)


def install(stage: str, signal_file: str) -> None:
    from fupin.assistance import handbook
    from fupin.registry.importing import jobs

    if stage in ("validating", "importing"):
        original = jobs.JobProgress.__call__

        def progress(self, step, done, total):
            original(self, step, done, total)
            if step == stage and done > 0:
                pause(signal_file, stage)

        jobs.JobProgress.__call__ = progress
    elif stage in ("importing-started", "second-chunk"):
        # importing-started: signals as the write pass begins and goes on; second-chunk: pauses inside the
        # second chunk's transaction (the first committed)
        original = jobs.JobProgress.__call__
        calls = []

        def progress(self, step, done, total):
            original(self, step, done, total)
            if step != "importing":
                return
            if stage == "importing-started" and done == 0 and not calls:
                calls.append(done)
                Path(signal_file).write_text(f"{stage} {os.getpid()}")
            elif stage == "second-chunk" and done > 0:
                calls.append(done)
                if len(calls) == 2:
                    pause(signal_file, stage)

        jobs.JobProgress.__call__ = progress
    elif stage == "committed":  # the data committed, the job's outcome not yet saved
        original_import = jobs.import_file

        def import_then_pause(*args, **kwargs):
            result = original_import(*args, **kwargs)
            pause(signal_file, stage)
            return result

        jobs.import_file = import_then_pause
    elif stage in ("rendering", "stub-pdf"):

        def render(household, **kwargs):
            if stage == "rendering":
                pause(signal_file, stage)
            return b"%PDF-1.4 stub\n"

        handbook.render_handbook_pdf = render
    elif stage == "fail-first-claim":
        from django.db import OperationalError
        from django_tasks_db.management.commands import db_worker

        real, failures = db_worker.exclusive_transaction, []

        def locked(using=None):
            if len(failures) < 2:
                failures.append(1)
                raise OperationalError("database is locked")
            return real(using)

        db_worker.exclusive_transaction = locked
    elif stage == "sweep-rule":  # the signal sweep after its first rule
        from fupin.monitoring import sweeps

        original_insert = sweeps._insert_select

        def insert_then_pause(*args, **kwargs):
            found = original_insert(*args, **kwargs)
            pause(signal_file, stage)
            return found

        sweeps._insert_select = insert_then_pause
    elif stage != "none":
        raise SystemExit(f"unknown stage {stage}")


def main() -> None:
    stage, signal_file, *argv = sys.argv[1:]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.settings")
    import django

    django.setup()
    install(stage, signal_file)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["fupin", *[a.replace("-", "_") if i == 0 else a for i, a in enumerate(argv)]])


if __name__ == "__main__":
    main()
