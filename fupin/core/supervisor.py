"""Keeping a child process running: `fupin serve` starts the task worker through this and restarts it when it
exits."""

import logging
import subprocess
import threading
import time
from typing import Any

log = logging.getLogger("fupin.serve")


class Supervisor(threading.Thread):
    """Runs `command`, and again each time it exits, waiting 1, 2, 4 … up to `max_delay` seconds between
    starts (back to 1 once a run lasted `steady` seconds); every exit and restart is logged."""

    def __init__(
        self,
        command: list[str],
        *,
        name: str = "后台任务进程",
        max_delay: float = 60.0,
        steady: float = 60.0,
        **popen: Any,
    ) -> None:
        super().__init__(name=f"supervise {name}", daemon=True)
        self.command, self.label, self.max_delay, self.steady, self.popen = (
            command,
            name,
            max_delay,
            steady,
            popen,
        )
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self._stopping = threading.Event()
        self._lock = threading.Lock()

    def run(self) -> None:
        delay = 1.0
        while not self._stopping.is_set():
            with self._lock:
                if self._stopping.is_set():
                    return
                self.process = subprocess.Popen(self.command, **self.popen)
                self.starts += 1
            started = time.monotonic()
            code = self.process.wait()
            if self._stopping.is_set():
                return
            if time.monotonic() - started >= self.steady:
                delay = 1.0
            log.error("%s退出（返回码 %s），%.0f 秒后重新启动", self.label, code, delay)
            if self._stopping.wait(delay):
                return
            delay = min(delay * 2, self.max_delay)

    def stop(self, timeout: float = 10.0) -> None:
        with self._lock:
            self._stopping.set()
            process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.join(timeout)
