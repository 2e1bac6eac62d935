"""`fupin serve`: the product's own server (granian), its shape, and each worker's warm-up."""

import gc
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from django.core.management.base import CommandError

from fupin.core.crypto import new_key_text
from fupin.core.management.commands.serve import server_options, split_addrport


def test_a_worker_loads_the_site_and_freezes_it(settings, monkeypatch):
    settings.SECRET_KEY_FROM_ENVIRONMENT = (
        True  # as a deployment gives it (else a PostgreSQL run's server would refuse)
    )
    monkeypatch.setattr("fupin.core.crypto.keys_from_environment", lambda: True)  # the data keys, likewise
    from fupin import wsgi

    gc.unfreeze()
    try:
        wsgi.warm_up()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_a_process_per_core_and_two_threads_unless_told(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.delenv("FUPIN_THREADS", raising=False)
    assert server_options() == {"workers": os.cpu_count(), "blocking_threads": 2}
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("FUPIN_THREADS", "5")
    assert server_options() == {"workers": 3, "blocking_threads": 5}
    assert server_options(workers=1, threads=1) == {"workers": 1, "blocking_threads": 1}


def test_the_address_is_host_and_port():
    assert split_addrport("0.0.0.0:8080") == ("0.0.0.0", 8080)
    assert split_addrport(":8000") == ("127.0.0.1", 8000)
    for bad in ("8000x", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000"):
        with pytest.raises(CommandError, match="主机:端口"):
            split_addrport(bad)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read()


def test_serve_answers_pages_and_static_files_and_stops_on_sigterm(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        "DEBUG": "0",
        "SECRET_KEY": "serve-test",
        "FUPIN_DATA_KEYS": new_key_text(),  # a server on its own database refuses to start without them
        "FUPIN_MEDIA_ROOT": str(tmp_path / "media"),
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    subprocess.run([sys.executable, "-m", "fupin", "migrate", "--verbosity", "0"], env=env, check=True)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "fupin", "serve", f"127.0.0.1:{port}", "--no-worker", "--workers", "1"],
        env=env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(150):
            try:
                status, body = _get(f"http://127.0.0.1:{port}/accounts/login/")
                break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()
                time.sleep(0.2)
        else:
            pytest.fail("fupin serve did not answer within 30 s")
        assert status == 200 and "登录".encode() in body
        status, body = _get(f"http://127.0.0.1:{port}/static/vendor/htmx/htmx.min.js")
        assert status == 200 and len(body) > 10_000
    finally:
        os.kill(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    assert server.returncode is not None
    time.sleep(0.5)
    with pytest.raises(OSError):
        _get(f"http://127.0.0.1:{port}/accounts/login/")
