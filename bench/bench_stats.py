"""Benchmark: statistics at province scale, and the village household list under concurrent load.

On a generated province (江西省's real 22,080 villages, ~3,000,000 households, ~10,000,000 persons;
bench/_province_data.py) in PostgreSQL:

  1. the dashboard, its case-work fragment (/reports/casework/: helpers, visits overdue, monitoring,
     measures, problems, projects, loans) and the standard tables of the province, a county and a
     village, through the whole Django request cycle (test client, in process), as the province,
     county and village users — target: each under 200 ms; baseline: the province's figures counted
     live, without the rollups, and the ratio;
  2. the same province and county pages right after a write to households and to their case work
     (a pairing, a visit, a risk eliminated, a problem closed, a repayment) in a few villages (the
     rollups patched with live counts of those villages), and after the refresh task folds them in;
  3. the filtered household list of a village (/households/?region=<village>&status=poor, rotating
     over 200 villages) served by `fupin serve` (granian) on loopback,
     loaded by wrk with 32 connections — target: p99 under 50 ms.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fupin_province .venv/bin/python bench/bench_stats.py
    [--households 3000000] [--runs 7] [--seconds 20] [--skip-http | --http-only] [--server-args "--threads 2"]

DATABASE_URL chooses the database (a smaller province for development: another database name and
--households 100000); the script generates the province there if it is not there yet.
"""

import argparse
import os
import re
import resource
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
os.environ.setdefault(
    "SECRET_KEY", "bench-secret-key-not-for-production"
)  # the same for the server, which reads our sessions
os.environ.setdefault("FUPIN_TASKS", "database")  # a read queues the refresh; the benchmark runs it itself

import _province_data  # noqa: E402  (sets up Django)
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from fupin.accounts.models import User  # noqa: E402
from fupin.reports import services  # noqa: E402
from fupin.reports.models import DirtyVillage  # noqa: E402

PASSWORD = "bench-secret-123"
PORT = 8765


def user(username: str, role: str, region: str) -> User:
    u, _ = User.objects.get_or_create(
        username=username, defaults={"role": role, "region_id": region, "full_name": username}
    )
    u.role, u.region_id = role, region
    u.set_password(PASSWORD)
    u.save()
    return u


def timed(client: Client, url: str, runs: int) -> tuple[float, float]:
    """Median and worst milliseconds of `runs` requests after one warm-up."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200
    return statistics.median(samples), max(samples)


def pages(label: str, client: Client, code: str, runs: int, results: list) -> None:
    for page, url in (
        ("dashboard", f"/reports/?region={code}"),
        ("casework", f"/reports/casework/?region={code}"),
        ("tables", f"/reports/tables/?region={code}"),
    ):
        median, worst = timed(client, url, runs)
        ok = "ok" if worst < 200 else "OVER"
        results.append((label, page, median, worst))
        print(f"  {label:<22} {page:<10} median {median:7.1f} ms   max {worst:7.1f} ms   [{ok} < 200 ms]")


def casework_write(villages: list[str], by: int) -> None:
    """In each village: a new pairing, a visit today, a risk eliminated, a problem closed and a loan repaid in
    part — plain SQL, so only the database's triggers tell the rollups."""
    with connection.cursor() as cur:
        cur.execute(
            """INSERT INTO assistance_pairing (household_id, helper_id, started_on, start_reason,
                started_by_id, end_reason, created_at)
            SELECT DISTINCT ON (h.village_id) h.id, hp.id, current_date, '', %s, '', now()
            FROM registry_household h JOIN assistance_helper hp ON hp.region_id = h.village_id
            WHERE h.village_id = ANY(%s) AND h.status IN ('poor', 'monitored')
              AND NOT EXISTS (SELECT 1 FROM assistance_pairing p WHERE p.household_id = h.id
                  AND p.ended_on IS NULL)
            ORDER BY h.village_id, h.id, hp.id""",
            [by, villages],
        )
        cur.execute(
            """INSERT INTO assistance_visit (household_id, helper_id, visited_on, kind, findings, problems,
                guarantees, guarantee_notes, recorded_by_id, created_at)
            SELECT DISTINCT ON (h.village_id) p.household_id, p.helper_id, current_date, 'home', '入户走访',
                '', '{}', '{}', %s, now()
            FROM assistance_pairing p JOIN registry_household h ON h.id = p.household_id
            WHERE p.ended_on IS NULL AND h.village_id = ANY(%s) ORDER BY h.village_id, p.household_id""",
            [by, villages],
        )
        cur.execute(
            """UPDATE monitoring_monitoredhousehold SET stage = 'eliminated', eliminated_at = now()
            WHERE id IN (SELECT min(id) FROM monitoring_monitoredhousehold
                         WHERE village_code = ANY(%s) AND stage = 'measures' GROUP BY village_code)""",
            [villages],
        )
        cur.execute(
            """UPDATE monitoring_problem SET status = 'closed', closed_at = now(), close_note = '已核实销号'
            WHERE id IN (SELECT min(id) FROM monitoring_problem
                         WHERE region_code = ANY(%s) AND status = 'rectified' GROUP BY region_code)""",
            [villages],
        )
        cur.execute(
            """INSERT INTO funds_repayment (loan_id, repaid_on, principal_fen, created_by_id, created_at)
            SELECT min(id), current_date, 100000, %s, now() FROM funds_loan WHERE region_id = ANY(%s)
                AND status = 'disbursed'
            GROUP BY region_id""",
            [by, villages],
        )


# The server for the HTTP load test is the product's own: `fupin serve` (granian, a process per core with two
# threads each, the collector frozen after start-up); --server-args adds its options (--workers N --threads
# N).


def _cpu_seconds(pids: list[int]) -> float:
    """User and system CPU the processes have used so far (Linux /proc)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _children_cpu_seconds() -> float:
    """User and system CPU of this process's finished children (wrk)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def http_load(cookie: str, villages: list[str], seconds: int, server_args: list[str]) -> dict:
    """`fupin serve` on loopback, wrk with 32 connections over the villages' filtered lists; its latency
    percentiles.

    `cookie` is what a browser sends after its first page: the session and the CSRF cookie. The list
    cache is shared by the server's processes (files in a fresh directory unless CACHE_URL is set), so
    every village's list is first rendered uncached: that pass is timed one request at a time.
    """
    if not shutil.which("wrk"):
        raise SystemExit("the HTTP load test needs wrk: apt-get install -y wrk   (or run with --skip-http)")
    cache_dir = tempfile.TemporaryDirectory(prefix="fupin-bench-cache-")
    env = {
        **os.environ,
        "DEBUG": "0",
        "CONN_MAX_AGE": "600",
        "CACHE_URL": os.environ.get("CACHE_URL", f"file://{cache_dir.name}"),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "ERROR",
    }
    command = [sys.executable, "-m", "fupin", "serve", f"127.0.0.1:{PORT}", "--no-worker", *server_args]
    server = subprocess.Popen(command, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{PORT}"
    urls = [f"/households/?region={v}&status=poor" for v in villages]
    try:
        for _ in range(100):
            try:
                subprocess.run(["curl", "-sf", "-o", "/dev/null", f"{base}/accounts/login/"], check=True)
                break
            except subprocess.CalledProcessError:
                time.sleep(0.2)
        cold = []
        for url in urls:  # the list itself, not a redirect to the login page; each one rendered uncached
            out = subprocess.run(
                [
                    "curl",
                    "-s",
                    "-o",
                    "/dev/null",
                    "-w",
                    "%{http_code} %{time_total}",
                    "-H",
                    f"Cookie: {cookie}",
                    base + url,
                ],
                capture_output=True,
                text=True,
            ).stdout.split()
            assert out[0] == "200", out
            cold.append(float(out[1]) * 1000)
        paths = ",".join(f'"{url}"' for url in urls)
        script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
        script.write(f"""paths = {{{paths}}}
i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1], {{["Cookie"] = "{cookie}"}})
end
done = function(summary, latency, requests)
  io.write(string.format("P50 %d\\nP90 %d\\nP99 %d\\nMAX %d\\nREQ %d\\nERR %d\\n", latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout))
end
""")
        script.close()
        subprocess.run(
            ["wrk", "-t2", "-c32", "-d3s", "-s", script.name, base], capture_output=True, check=True
        )  # warm-up
        workers = [server.pid] + [
            int(p)
            for p in subprocess.run(
                ["pgrep", "-P", str(server.pid)], capture_output=True, text=True
            ).stdout.split()
        ]
        with (
            connection.cursor() as cur
        ):  # the server's database connections (other clients of this database too, if any)
            cur.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> "
                "pg_backend_pid()"
            )
            backends = [r[0] for r in cur.fetchall()]
        cpu, db_cpu, wrk_cpu = _cpu_seconds(workers), _cpu_seconds(backends), _children_cpu_seconds()
        out = subprocess.run(
            ["wrk", "-t2", "-c32", f"-d{seconds}s", "--timeout", "5s", "-s", script.name, base],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        cpu, db_cpu = _cpu_seconds(workers) - cpu, _cpu_seconds(backends) - db_cpu
        wrk_cpu = _children_cpu_seconds() - wrk_cpu
        load = os.getloadavg()[0]
        os.unlink(script.name)
        figures = {k: int(v) for k, v in re.findall(r"^(P50|P90|P99|MAX|REQ|ERR) (\d+)$", out, re.M)}
        figures["rps"] = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        figures["cpu_ms"] = cpu * 1000 / max(figures["REQ"], 1)
        figures["db_cpu_ms"] = db_cpu * 1000 / max(figures["REQ"], 1)
        figures["wrk_cpu_ms"] = wrk_cpu * 1000 / max(figures["REQ"], 1)
        figures["cold_median"], figures["cold_max"], figures["load"] = (
            statistics.median(cold),
            max(cold),
            load,
        )
        figures["cache"] = env["CACHE_URL"]
        return figures
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        cache_dir.cleanup()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=_province_data.HOUSEHOLDS)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--http-only", action="store_true")
    parser.add_argument(
        "--server-args", default="", help="options for `fupin serve` (--workers N, --threads N)"
    )
    args = parser.parse_args()

    _province_data.ensure(args.households)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*), sum(size) FROM registry_household")
        households, persons = cur.fetchone()
        cur.execute("SELECT count(*) FROM registry_member")
        members = cur.fetchone()[0]
        cur.execute(
            """SELECT substr(village_id, 1, 6) c, count(*) FROM registry_household GROUP BY 1
                ORDER BY 2 DESC LIMIT 1"""
        )
        county = cur.fetchone()[0]
        cur.execute(
            "SELECT village_id FROM registry_household WHERE village_id LIKE %s GROUP BY 1 ORDER BY count(*) "
            "DESC LIMIT 200",
            [county + "%"],
        )
        villages = [r[0] for r in cur.fetchall()]
    print(
        f"province 36: {households:,} households, {persons:,} persons ({members:,} member rows); "
        f"county {county}, village {villages[0]}"
    )

    if args.http_only:
        return http_section(
            user("bench-county", "county", county), villages, args.seconds, shlex.split(args.server_args)
        )
    t = time.perf_counter()
    services.rebuild_stats()
    print(f"rollup rebuilt in {time.perf_counter() - t:.1f} s")

    province, county_user, clerk = (
        user("bench-province", "province", "36"),
        user("bench-county", "county", county),
        user("bench-clerk", "village_clerk", villages[0]),
    )
    clients = {}
    for u in (province, county_user, clerk):
        clients[u.username] = Client()
        clients[u.username].force_login(u)

    results: list = []
    print("\nstatistics pages (in process, whole request cycle):")
    pages("province 江西省", clients["bench-province"], "36", args.runs, results)
    pages(f"county {county}", clients["bench-county"], county, args.runs, results)
    pages(f"village {villages[0]}", clients["bench-clerk"], villages[0], args.runs, results)

    print("\nbaseline: the province's figures counted live, without the rollup:")
    settings.FUPIN_STATS_LIVE_LEVEL = 0
    base_median, base_worst = timed(clients["bench-province"], "/reports/?region=36", max(2, args.runs // 3))
    del settings.FUPIN_STATS_LIVE_LEVEL
    rollup_median = results[0][2]
    print(
        f"  province dashboard live  median {base_median:7.1f} ms   max {base_worst:7.1f} ms   "
        f"ratio rollup/live {rollup_median / base_median:.3f}"
    )
    settings.FUPIN_STATS_LIVE_LEVEL = 0
    live_median, live_worst = timed(clients["bench-province"], "/reports/casework/?region=36", 1)
    del settings.FUPIN_STATS_LIVE_LEVEL
    rollup_median = next(r[2] for r in results if r[1] == "casework")
    print(
        f"  province casework live   median {live_median:7.1f} ms   max {live_worst:7.1f} ms   "
        f"ratio rollup/live {rollup_median / live_median:.3f}"
    )

    print("\nafter a write to 40 households in 20 villages (rollup patched with their live counts):")
    with connection.cursor() as cur:
        cur.execute(
            """UPDATE registry_household SET status = CASE WHEN status = 'poor' THEN 'exited' ELSE status END,
                           exit_year = CASE WHEN status = 'poor' THEN 2020 ELSE exit_year END
                       WHERE id IN (
                SELECT min(id) FROM registry_household WHERE village_id = ANY(%s) GROUP BY village_id
                UNION SELECT max(id) FROM registry_household WHERE village_id = ANY(%s) GROUP BY village_id
                       )""",
            [villages[:20], villages[:20]],
        )
    casework_write(villages[:20], province.pk)
    print(
        "  and to their case work: a pairing, a visit, a risk eliminated, a problem closed, a repayment in "
        "each"
    )
    dirty = DirtyVillage.objects.values("village_code").distinct().count()
    print(f"  dirty villages logged by the triggers: {dirty}")
    pages("province (patched)", clients["bench-province"], "36", args.runs, results)
    pages("county (patched)", clients["bench-county"], county, args.runs, results)
    t = time.perf_counter()
    refreshed = services.refresh_stats()
    print(f"  refresh task folded {refreshed} villages in {(time.perf_counter() - t) * 1000:.0f} ms")
    pages("province (refreshed)", clients["bench-province"], "36", args.runs, results)
    over = [r for r in results if r[3] >= 200]
    print(
        f"\n{len(results) - len(over)} of {len(results)} page measurements under 200 ms at worst"
        + (": over: " + ", ".join(f"{r[0]} {r[1]} {r[3]:.0f} ms" for r in over) if over else "")
        + f"; load average {os.getloadavg()[0]:.2f} (2 cores)"
    )

    if not args.skip_http:
        http_section(county_user, villages, args.seconds, shlex.split(args.server_args))


def http_section(county_user: User, villages: list[str], seconds: int, server_args: list[str]) -> None:
    from fupin.core.management.commands.serve import server_options

    shape = server_options()
    print(
        f"\nvillage household list over HTTP: fupin serve {' '.join(server_args)} "
        f"(granian, by default {shape['workers']} "
        f"processes × {shape['blocking_threads']} threads) + wrk, 32 connections, {seconds} s:"
    )
    login = Client()
    login.force_login(county_user)
    login.get("/households/")  # as a browser: the session and the CSRF cookie
    cookie = "; ".join(
        f"{name}={login.cookies[name].value}"
        for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME)
    )
    f = http_load(cookie, villages, seconds, server_args)
    print(
        f"  first request of each of {len(villages)} villages (uncached, one at a time): "
        f"median {f['cold_median']:.1f} ms   max {f['cold_max']:.1f} ms"
    )
    ok = "ok" if f["P99"] < 50_000 else "OVER"
    print(
        f"  {f['REQ']:,} requests, {f['rps']:.0f} req/s, errors {f['ERR']}; "
        f"p50 {f['P50'] / 1000:.1f} ms  p90 {f['P90'] / 1000:.1f} ms  p99 {f['P99'] / 1000:.1f} ms  "
        f"max {f['MAX'] / 1000:.1f} ms   [{ok} p99 < 50 ms]"
    )
    print(
        f"  CPU a request: server {f['cpu_ms']:.2f} ms (server processes), "
        f"PostgreSQL {f['db_cpu_ms']:.2f} ms "
        f"(its connections to this database), wrk {f['wrk_cpu_ms']:.2f} ms"
    )
    print(f"  cache {f['cache']}; load average {f['load']:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
