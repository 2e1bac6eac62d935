"""fupin serve: the web UI (granian, a process per core) and a background-task worker together, for one
machine."""

import os
import sys
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext

from fupin.core.crypto import refuse_missing_keys_in_production
from fupin.core.supervisor import Supervisor
from fupin.secret_key import refuse_unset_key_in_production


def server_options(workers: int | None = None, threads: int | None = None) -> dict:
    """granian's shape for fupin: a process per core (WEB_CONCURRENCY), two threads each (FUPIN_THREADS),
    HTTP/1.1.

    Two threads let one request's database round trip overlap another's Python; more only queue
    behind the interpreter lock (measured with bench/bench_stats.py: 2 and 8 threads alike, p99
    37-41 ms at 1,500-1,600 requests a second on 2 cores; gunicorn's gthread workers 57-71 ms).
    """
    return {
        "workers": workers or int(os.environ.get("WEB_CONCURRENCY") or os.cpu_count() or 1),
        "blocking_threads": threads or int(os.environ.get("FUPIN_THREADS", "2")),
    }


def split_addrport(addrport: str) -> tuple[str, int]:
    host, _, port = addrport.rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise CommandError(
            gettext("地址应为 主机:端口，例如 127.0.0.1:8000（收到 %(addrport)s）")
            % {"addrport": repr(addrport)}
        )
    return host or "127.0.0.1", int(port)


class Command(BaseCommand):
    help = "启动网页服务和后台任务进程。Run the web server (granian) with a database task worker beside it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true", help="do not start the task worker")
        parser.add_argument(
            "--workers", type=int, help="server processes (default: WEB_CONCURRENCY or one per core)"
        )
        parser.add_argument("--threads", type=int, help="threads per process (default: FUPIN_THREADS or 2)")

    def handle(
        self, *args: Any, addrport: str, no_worker: bool, workers: int, threads: int, **options: Any
    ) -> None:
        # The server is loaded by this command only, not by every other fupin command.
        from granian import Granian
        from granian.constants import HTTPModes, Interfaces
        from granian.log import LogLevels

        try:
            refuse_unset_key_in_production()
            refuse_missing_keys_in_production()
        except ImproperlyConfigured as e:
            raise CommandError(str(e)) from None
        host, port = split_addrport(addrport)
        call_command("collectstatic", interactive=False, verbosity=0)
        worker = None
        if not no_worker:
            # supervised: restarted (with back-off, logged) whenever it exits, for as long as the server runs
            worker = Supervisor([sys.executable, "-m", "fupin", "worker", "--interval", "1"])
            worker.start()
        try:
            self.stdout.write(f"fupin: http://{host}:{port}/")
            Granian(
                "fupin.wsgi:application",
                address=host,
                port=port,
                interface=Interfaces.WSGI,
                http=HTTPModes.http1,
                websockets=False,
                respawn_failed_workers=True,
                log_level=LogLevels.warning,
                **server_options(workers, threads),
            ).serve()
        finally:
            if worker:
                worker.stop(timeout=10)
