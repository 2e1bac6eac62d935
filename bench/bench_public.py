"""Benchmark: the public declaration pages under load — target p95 under 100 ms at 32 concurrent connections.

The pages a household opens without an account, on the demo county (信丰县, 360722, its real townships and
villages): each village poster's declaration form (/declare/v/<signed code>/, rotating over every village of
the county), the status page (/declare/status/) and the village chooser (/declare/?r=<township>). They are
served by the product's own `fupin serve` (granian) on loopback and loaded by wrk with 32 connections; the
baseline is the same server answering a static file (/static/fupin/fupin.css, whitenoise) under the same load,
so the ratio says what the pages cost above serving at all on this (shared, 2-core) machine.

    .venv/bin/python bench/bench_public.py [--seconds 20] [--server-args "--threads 2"]

Without DATABASE_URL it builds a scratch SQLite database (migrate, then the county's regions with
`fupin load-regions --depth county --under 360722`); with DATABASE_URL it uses that database and loads the
county if missing.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from fupin.core.crypto import new_key_text  # noqa: E402 (after the path above)

PORT = 8766
COUNTY = "360722"


def fupin(*args, env) -> None:
    subprocess.run(
        [sys.executable, "-m", "fupin", *args], env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL
    )


def paths(env) -> list[str]:
    """Every village's poster address and the other public pages, made by the product's own code."""
    code = (
        "import django, os; django.setup()\n"
        "from fupin.declarations.poster import villages_under\n"
        "from fupin.declarations.public import village_token\n"
        "from fupin.regions.models import Region\n"
        f"county = Region.objects.get(code='{COUNTY}')\n"
        "for v in villages_under(county): print(f'/declare/v/{village_token(v.code)}/')\n"
        "for t in Region.objects.filter(parent=county): print(f'/declare/?r={t.code}')\n"
        "print('/declare/status/')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "fupin.settings"},
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    return out.split()


def wrk(base: str, urls: list[str], seconds: int) -> dict:
    listed = ",".join(f'"{u}"' for u in urls)
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    script.write(f"""paths = {{{listed}}}
i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format("P50 %d\\nP95 %d\\nP99 %d\\nREQ %d\\nERR %d\\n", latency:percentile(50),
    latency:percentile(95), latency:percentile(99), summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout))
end
""")
    script.close()
    try:
        subprocess.run(
            ["wrk", "-t2", "-c32", "-d3s", "-s", script.name, base], capture_output=True, check=True
        )
        out = subprocess.run(
            ["wrk", "-t2", "-c32", f"-d{seconds}s", "--timeout", "5s", "-s", script.name, base],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    figures = {k: int(v) / 1000 for k, v in re.findall(r"^(P50|P95|P99|REQ|ERR) (\d+)$", out, re.MULTILINE)}
    figures["REQ"], figures["ERR"] = int(figures["REQ"] * 1000), int(figures["ERR"] * 1000)
    figures["rps"] = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return figures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument(
        "--server-args", default="", help="options for `fupin serve` (--workers N, --threads N)"
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("needs wrk: apt-get install -y wrk")
    scratch = tempfile.TemporaryDirectory(prefix="fupin-bench-public-")
    env = {
        **os.environ,
        "DEBUG": "0",
        "LOG_LEVEL": "ERROR",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-secret-key-not-for-production"),
        "CACHE_URL": os.environ.get("CACHE_URL", f"file://{scratch.name}/cache"),
        # a server with DEBUG off on a DATABASE_URL refuses to start without data keys (fupin.core.crypto)
        "FUPIN_DATA_KEYS": os.environ.get("FUPIN_DATA_KEYS") or new_key_text(),
    }
    env.setdefault("DATABASE_URL", f"sqlite:///{scratch.name}/bench.sqlite3")
    started = time.perf_counter()
    fupin("migrate", env=env)
    fupin("load-regions", "--depth", "county", "--under", COUNTY, "--if-incomplete", env=env)
    urls = paths(env)
    print(
        f"database ready in {time.perf_counter() - started:.0f} s: {len(urls)} public addresses "
        f"({len(urls) - 1 - sum('?r=' in u for u in urls)} village posters)"
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fupin",
            "serve",
            f"127.0.0.1:{PORT}",
            "--no-worker",
            *args.server_args.split(),
        ],
        env=env,
        start_new_session=True,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{PORT}"
    try:
        for _ in range(150):
            if (
                subprocess.run(["curl", "-sf", "-o", "/dev/null", base + urls[-1]], check=False).returncode
                == 0
            ):
                break
            time.sleep(0.2)
        for url in urls:  # every address answers 200 before it is timed
            code = subprocess.run(
                ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", base + url],
                capture_output=True,
                text=True,
                check=False,
            ).stdout
            assert code == "200", (url, code)
        static = wrk(base, ["/static/fupin/fupin.css"], args.seconds)
        pages = wrk(base, urls, args.seconds)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        scratch.cleanup()
    load = os.getloadavg()[0]
    print(
        f"baseline, a static file: p50 {static['P50']:.1f} ms, p95 {static['P95']:.1f} ms, "
        f"{static['rps']:.0f} req/s"
    )
    print(
        f"public pages: p50 {pages['P50']:.1f} ms, p95 {pages['P95']:.1f} ms, p99 {pages['P99']:.1f} ms, "
        f"{pages['rps']:.0f} req/s, {pages['ERR']} errors; p95 ratio to the static file "
        f"{pages['P95'] / max(static['P95'], 0.001):.2f}x (load average {load:.1f})"
    )
    print(f"target p95 < 100 ms: {'met' if pages['P95'] < 100 and not pages['ERR'] else 'NOT met'}")


if __name__ == "__main__":
    main()
