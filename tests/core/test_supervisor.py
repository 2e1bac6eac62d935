"""`fupin serve` keeps its task worker running (issue 16, finding 1): a worker that exits is started again,
with a growing pause between starts, and every exit is logged."""

import logging
import sys
import time

from fupin.core.supervisor import Supervisor


def test_an_exited_worker_is_restarted_with_back_off_and_logged(caplog):
    supervisor = Supervisor([sys.executable, "-c", "raise SystemExit(3)"], max_delay=0.4, steady=60)
    with caplog.at_level(logging.ERROR, logger="fupin.serve"):
        supervisor.start()
        deadline = time.monotonic() + 60
        while supervisor.starts < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        supervisor.stop(timeout=5)
    assert supervisor.starts >= 3
    exits = [r.getMessage() for r in caplog.records if "退出" in r.getMessage()]
    assert exits[0] == "后台任务进程退出（返回码 3），1 秒后重新启动"
    assert len(exits) >= 2
    assert not supervisor.is_alive()


def test_stop_ends_a_running_worker():
    supervisor = Supervisor([sys.executable, "-c", "import time; time.sleep(600)"])
    supervisor.start()
    deadline = time.monotonic() + 30
    while supervisor.process is None and time.monotonic() < deadline:
        time.sleep(0.05)
    supervisor.stop(timeout=10)
    assert supervisor.process.poll() is not None and supervisor.starts == 1
