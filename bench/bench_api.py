"""Benchmark: the JSON API at province scale (issue 19), each figure against a baseline taken in the same run.

On a generated province (bench/_province_data.py) in PostgreSQL, with `fupin serve` (granian) on loopback:

  0. the server's CPU per request of that list and of a static file, at one connection (wrk -c1; the CPU of
     the server's processes read from /proc): a figure other work on the machine changes little;
  1. the household list API (GET /api/v1/households/?region=<village>&limit=50, rotating over the 200 largest
     villages of the largest county) with the county office's bearer token, loaded by wrk at 32 connections —
     target: p99 under 50 ms; baseline: a static file from the same server under the same load, and the ratio;
  2. the export of every person of the province as JSON lines (GET /api/v1/members/export.jsonl as the
     province's user: keyset chunks built by the database, streamed; a line an object, then with
     layout=arrays a line an array after one naming the columns), read over HTTP, against PostgreSQL's
     `COPY (SELECT the same columns … ORDER BY id) TO STDOUT` read by psycopg, alternating `--rounds` times —
     target: the export at no less than half COPY's speed (COPY's time / the export's time ≥ 0.5).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fupin_province .venv/bin/python bench/bench_api.py
    [--households 300000] [--seconds 20] [--rounds 3] [--skip-list | --skip-export]
    [--server-args "--threads 2"]

The province is generated in that database if it is not there yet (--households of them; 300,000 households
hold about 1,040,000 persons).
"""

import argparse
import http.client
import os
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fupin_province")
os.environ.setdefault("SECRET_KEY", "bench-secret-key-not-for-production")

import _province_data  # noqa: E402  (sets up Django)
from django.db import connection  # noqa: E402

from fupin.accounts.models import User  # noqa: E402
from fupin.accounts.services import issue_token  # noqa: E402
from fupin.core.crypto import new_key_text  # noqa: E402
from fupin.registry.person_export import ARRAYS, COLUMNS, OBJECTS  # noqa: E402

PORT = 8767
STATIC = "/static/vendor/swagger-ui/swagger-ui.css"
# COPY's columns: the export's, in its order (person_export.COLUMNS)
COPY_COLUMNS = ", ".join(
    "extract(year FROM birth_date)::int"
    if name == "birth_year"
    else "household_id"
    if name == "household"
    else name
    for name in COLUMNS
)


def user(username: str, role: str, region: str) -> User:
    found, _ = User.objects.update_or_create(
        username=username, defaults={"role": role, "region_id": region, "is_active": True}
    )
    return found


def serve(server_args: list[str]) -> subprocess.Popen:
    env = {
        **os.environ,
        "DEBUG": "0",
        "CONN_MAX_AGE": "600",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "ERROR",
        "FUPIN_API_RATE_LIMIT": "0",
        "FUPIN_DATA_KEYS": os.environ.get("FUPIN_DATA_KEYS") or new_key_text(),
    }
    command = [sys.executable, "-m", "fupin", "serve", f"127.0.0.1:{PORT}", "--no-worker", *server_args]
    server = subprocess.Popen(command, env=env, start_new_session=True)
    for _ in range(300):
        if (
            subprocess.run(["curl", "-sf", "-o", "/dev/null", f"http://127.0.0.1:{PORT}{STATIC}"]).returncode
            == 0
        ):
            return server
        time.sleep(0.2)
    raise SystemExit("fupin serve did not start")


WRK_SCRIPT = """paths = {%s}
i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1], {["Authorization"] = "Bearer %s"})
end
done = function(summary, latency, requests)
  io.write(string.format("P50 %%d\\nP90 %%d\\nP99 %%d\\nMAX %%d\\nREQ %%d\\nERR %%d\\n",
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout))
end
"""


def server_cpu(server: subprocess.Popen) -> float:
    """Seconds of CPU the server's processes (its session: granian's main and workers) have used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == server.pid:  # the process group: fields[3] is pgrp (after state and ppid)
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def wrk(paths: list[str], token: str, seconds: int, connections: int = 32, warm: bool = True) -> dict:
    """wrk's figures for `seconds` at `connections` (after 3 s of the same load, unless `warm` is False)."""
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    script.write(WRK_SCRIPT % (",".join(f'"{p}"' for p in paths), token))
    script.close()
    base = f"http://127.0.0.1:{PORT}"
    threads = f"-t{min(2, connections)}"
    try:
        if warm:
            subprocess.run(
                ["wrk", threads, f"-c{connections}", "-d3s", "-s", script.name, base],
                capture_output=True,
                check=True,
            )
        out = subprocess.run(
            ["wrk", threads, f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "-s", script.name, base],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    figures: dict = {k: int(v) / 1000 for k, v in re.findall(r"^(P50|P90|P99|MAX) (\d+)$", out, re.M)}
    figures |= {k: int(v) for k, v in re.findall(r"^(REQ|ERR) (\d+)$", out, re.M)}
    figures["rps"] = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return figures


def warm(paths: list[str], token: str) -> float:
    """Ask for each path once (each village's answer then cached, as on a server in use); the seconds
    taken."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    for path in paths:
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        response.read()
        assert response.status == 200, (path, response.status)
    conn.close()
    return time.perf_counter() - started


def cpu_section(server: subprocess.Popen, token: str, villages: list[str], seconds: int) -> None:
    """The server's CPU per request at one connection (no queueing): a figure other work on the machine
    changes little, unlike latency under load."""
    print(f"\nserver CPU per request, wrk 1 connection, {seconds} s each (load {os.getloadavg()[0]:.1f}):")
    paths = [f"/api/v1/households/?region={v}&limit=50" for v in villages]
    print(f"  first request of each of the {len(paths)} villages' lists: {warm(paths, token):.1f} s in all")
    for label, wanted in (("API list", paths), ("static file", [STATIC])):
        wrk(wanted, token, 3, connections=1)  # each worker process's own memory of the answers filled too
        before = server_cpu(server)
        f = wrk(wanted, token, seconds, connections=1, warm=False)
        used = server_cpu(server) - before
        print(
            f"  {label:12} {used * 1000 / max(f['REQ'], 1):.2f} ms CPU per request ({f['REQ']:,} requests, "
            f"{used:.1f} s CPU; p50 {f['P50']:.1f} ms, p99 {f['P99']:.1f} ms)"
        )


def list_section(token: str, villages: list[str], seconds: int) -> None:
    paths = [f"/api/v1/households/?region={v}&limit=50" for v in villages]
    probe = subprocess.run(
        [
            "curl",
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-H",
            f"Authorization: Bearer {token}",
            f"http://127.0.0.1:{PORT}{paths[0]}",
        ],
        capture_output=True,
        text=True,
    ).stdout
    assert probe == "200", probe
    api = wrk(paths, token, seconds)
    static = wrk([STATIC], token, seconds)
    load = os.getloadavg()[0]
    print(
        f"\nhousehold list API, {len(villages)} villages in turn, wrk 32 connections, {seconds} s "
        f"(load {load:.1f}):"
    )
    for label, f in (("API list", api), ("static file", static)):
        print(
            f"  {label:12} p50 {f['P50']:.1f} ms, p90 {f['P90']:.1f}, p99 {f['P99']:.1f}, "
            f"max {f['MAX']:.1f}; "
            f"{f['rps']:,.0f} req/s, {f['ERR']} errors"
        )
    print(
        f"  p99 ratio API / static file: {api['P99'] / static['P99']:.2f}x — target p99 under 50 ms: "
        f"{'met' if api['P99'] < 50 else 'NOT met'}"
    )


def export_http(token: str, layout: str) -> tuple[float, int, int]:
    """Seconds, persons and bytes of the whole export in that layout read over HTTP (an array layout's first
    line names the columns: not a person)."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=600)
    conn.request(
        "GET", f"/api/v1/members/export.jsonl?layout={layout}", headers={"Authorization": f"Bearer {token}"}
    )
    response = conn.getresponse()
    assert response.status == 200, response.read()[:500]
    lines = size = 0
    while chunk := response.read(1 << 20):
        lines += chunk.count(b"\n")
        size += len(chunk)
    conn.close()
    return time.perf_counter() - started, lines - (layout == ARRAYS), size


def copy_out() -> tuple[float, int, int]:
    """Seconds, lines and bytes of COPY … TO STDOUT of the same columns, read by psycopg."""
    started = time.perf_counter()
    lines = size = 0
    with connection.cursor() as cur:
        raw = cur.cursor  # psycopg's own cursor: its copy() streams COPY's output
        with raw.copy(f"COPY (SELECT {COPY_COLUMNS} FROM registry_member ORDER BY id) TO STDOUT") as copy:
            for data in copy:
                lines += bytes(data).count(b"\n")
                size += len(data)
    return time.perf_counter() - started, lines, size


def export_section(token: str, rounds: int) -> None:
    """Both layouts of the export and COPY, alternating; the medians, and each layout's speed against
    COPY's."""
    exports: dict[str, list] = {OBJECTS: [], ARRAYS: []}
    copies = []
    for i in range(rounds):
        for layout, runs in exports.items():
            runs.append(export_http(token, layout))
        copies.append(copy_out())
        print(
            f"  round {i + 1}: "
            + ", ".join(
                f"{layout} {runs[-1][0]:.2f} s ({runs[-1][1]:,} persons, {runs[-1][2] / 1e6:.0f} MB)"
                for layout, runs in exports.items()
            )
            + f"; COPY {copies[-1][0]:.2f} s ({copies[-1][1]:,} lines, {copies[-1][2] / 1e6:.0f} MB)"
        )
    copy_s = statistics.median(c[0] for c in copies)
    persons = copies[0][1]
    for layout, runs in exports.items():
        assert all(e[1] == persons for e in runs), "the export and COPY should hold the same persons"
        export_s = statistics.median(e[0] for e in runs)
        ratio = copy_s / export_s
        print(
            f"  medians: {layout} {export_s:.2f} s ({persons / export_s:,.0f} persons/s), "
            f"COPY {copy_s:.2f} s ({persons / copy_s:,.0f}/s): {layout} at {ratio:.2f}x COPY's speed — "
            f"target ≥ 0.5x: {'met' if ratio >= 0.5 else 'NOT met'} (load {os.getloadavg()[0]:.1f})"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=300_000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-list", action="store_true")
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument(
        "--server-args", default="", help="options for `fupin serve` (--workers N, --threads N)"
    )
    args = parser.parse_args()
    if not shutil.which("wrk") and not args.skip_list:
        raise SystemExit("the list benchmark needs wrk: apt-get install -y wrk   (or run with --skip-list)")

    _province_data.ensure(args.households)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM registry_household")
        households = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM registry_member")
        members = cur.fetchone()[0]
        cur.execute(
            "SELECT substr(village_id, 1, 6) c FROM registry_household "
            "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
        )
        county = cur.fetchone()[0]
        cur.execute(
            "SELECT village_id FROM registry_household WHERE village_id LIKE %s GROUP BY 1 "
            "ORDER BY count(*) DESC LIMIT 200",
            [county + "%"],
        )
        villages = [r[0] for r in cur.fetchall()]
    print(f"province 36: {households:,} households, {members:,} persons; county {county}")
    _, county_token = issue_token(user("bench-api-county", "county", county), name="bench")
    _, province_token = issue_token(user("bench-api-province", "province", "36"), name="bench")
    server = serve(shlex.split(args.server_args))
    try:
        if not args.skip_list:
            cpu_section(server, county_token, villages, args.seconds)
            list_section(county_token, villages, args.seconds)
        if not args.skip_export:
            print(
                "\nexport of every person as JSON lines over HTTP against COPY TO STDOUT, "
                f"{args.rounds} rounds:"
            )
            export_section(province_token, args.rounds)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
