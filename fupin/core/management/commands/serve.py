"""fupin serve: the web UI and a background-task worker together, for one machine."""
import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "启动网页服务和后台任务进程。Run the web server with a database task worker beside it."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true", help="do not start the task worker")

    def handle(self, *args, addrport, no_worker, **options):
        worker = None
        if not no_worker:
            worker = subprocess.Popen([sys.executable, "-m", "fupin", "db_worker", "--interval", "1"])
        try:
            call_command("collectstatic", interactive=False, verbosity=0)
            call_command("runserver", addrport, use_reloader=False, use_threading=True)
        finally:
            if worker:
                worker.terminate()
                worker.wait(timeout=10)
