"""Cross-check of a 1,000,000-member registry against a 10,000,000-row department list (PostgreSQL).

Prints fupin's full run (the members' join keys read from PostgreSQL and handed to DuckDB in memory, DuckDB
match, findings written by the database per rule, commit) and, in the same process, a plain DuckDB hash join
of the same two lists — the registry's members as a CSV of all their matching fields, and the department's
list; target: within 2x. ID numbers are encrypted at rest (fupin.core.crypto): both sides join on the keyed
blind index, the department's numbers replaced by theirs on upload (matching.store_list, timed with the
upload, which also stores the list in columns, as Parquet) and the baseline joining that same list, as the CSV
a department sends, with the members' blind index.

    createdb -h 127.0.0.1 -U postgres fupin_bench6
    .venv/bin/python bench/bench_crosscheck.py [--rows 10000000]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _monitoring_data as data  # noqa: E402  (sets up Django)
import duckdb  # noqa: E402
from django.core.files import File  # noqa: E402
from django.db import connection  # noqa: E402

from fupin.accounts.models import User  # noqa: E402
from fupin.core.files import local_path  # noqa: E402
from fupin.monitoring import cross_checks  # noqa: E402
from fupin.monitoring.models import CrossCheck, Finding  # noqa: E402
from fupin.regions.models import code_range  # noqa: E402
from fupin.registry.consents import consented  # noqa: E402
from fupin.registry.models import ConsentScope, Member  # noqa: E402

SCOPE = "360722"  # one county: 1,000,000 members of the 2,000,000 generated


def export_members(scope: str, path: Path) -> None:
    """The baseline's side of the registry: the members in scope with the fields a match can use
    (member, household, village, ID number, name, birth date, schooling, insurance, disability)."""
    lo, hi = code_range(scope)
    with connection.cursor() as cur, open(path, "wb") as out:
        sql = cur.cursor.mogrify(
            "SELECT id, household_id, village_code, id_number_index, name, birth_date, schooling, "
            "has_medical_insurance, "
            "disability_category FROM registry_member WHERE village_code >= %s AND village_code <= %s",
            [lo, hi],
        )
        with cur.cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy:
            for block in copy:
                out.write(block)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--hits", type=int, default=20_000, help="list rows that are registry members")
    parser.add_argument(
        "--unconsented",
        type=int,
        default=None,
        help="list rows that are members without the vehicle consent: not matched, counted (default hits/10)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds of each side, alternating")
    args = parser.parse_args()
    if args.unconsented is None:
        args.unconsented = args.hits // 10
    data.ensure(args.households)
    admin = User.objects.filter(username="bench").first() or User.objects.create_superuser(
        "bench", password="bench-pw-123"
    )
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        members = tmp / "members.csv"
        export_members(SCOPE, members)
        dept = tmp / "vehicles.csv"
        t = time.perf_counter()
        lo, hi = code_range(SCOPE)
        # Members on the list, their numbers decrypted as a department would hold them: `--hits`
        # holding the vehicle consent (电子授权书), which must all match, and `--unconsented` without it,
        # which the run must leave unmatched and count. (Until this was split, every fiftieth member was
        # taken: half of them in the households the data leaves unsigned, household_id % 10 = 0, so only
        # half the hits could match.)
        in_scope = Member.objects.filter(village_code__gte=lo, village_code__lte=hi)
        consenting = in_scope.filter(consented(ConsentScope.VEHICLE))
        unsigned = in_scope.exclude(consented(ConsentScope.VEHICLE))
        planted = [
            *_spread(consenting, args.hits),
            *_spread(unsigned, args.unconsented),
        ]
        hits = tmp / "hits.csv"
        with open(hits, "w", encoding="utf-8") as out:
            for number, name in planted:
                out.write(f"{number},{name}\n")
        planted_rows = len(planted)
        db = duckdb.connect()
        db.execute(f"""COPY (
            SELECT id_number AS "身份证号", name AS "姓名", '赣B' || lpad(i::text, 5, '0') AS "车牌号",
                   '小型轿车' AS "车辆类型"
            FROM (SELECT column0 AS id_number, column1 AS name, row_number() OVER () AS i
                  FROM read_csv('{hits}', header=false, all_varchar=true))
            UNION ALL
            SELECT '110101' || strftime(DATE '1950-01-01' + (i % 20000)::int, '%Y%m%d')
                || lpad((i // 20000)::text, 3, '0') || 'X',
                   '路人' || i, '京A' || i, '小型轿车'
            FROM range({args.rows - planted_rows}) t(i)
        ) TO '{dept}' (HEADER, DELIMITER ',')""")
        print(f"department list: {args.rows:,} rows written in {time.perf_counter() - t:.1f} s")

        t = time.perf_counter()
        with open(dept, "rb") as f:
            check = cross_checks.upload_cross_check(
                by=admin, department="vehicle", upload=File(f, name="vehicles.csv")
            )
        upload = time.perf_counter() - t
        # The stored list, its numbers hashed on upload, is the baseline's list, as the CSV a department sends
        # (the upload stored it in columns, as Parquet, and sealed on disk: fupin.core.sealed_files). fupin's
        # run opens the sealed file itself, inside its timed match step.
        stored = tmp / "stored_list.csv"
        with local_path(check.file) as opened:
            duckdb.execute(f"COPY (FROM read_parquet('{opened}')) TO '{stored}' (HEADER, DELIMITER ',')")
        CrossCheck.objects.filter(pk=check.pk).update(
            scope_code=SCOPE, run_by=admin, status=CrossCheck.Status.QUEUED
        )
        check.refresh_from_db()
        # Rounds alternate the two sides (DuckDB first), so neither always runs on a cache the other warmed;
        # the list and its stored copy (a gigabyte) were just written: flushed to disk before each timed run,
        # so neither side's reads compete with the other's leftover writeback. Medians are compared.
        ours_times, base_times = [], []
        for round_ in range(args.rounds):
            os.sync()
            t = time.perf_counter()
            base = duckdb.connect()
            base.execute(f"""CREATE TABLE r AS
                SELECT m.column0 AS member_id, m.column1 AS household_id, d."车牌号"
                FROM read_csv('{members}', header=false, all_varchar=true) m
                JOIN read_csv('{stored}', header=true, all_varchar=true) d ON m.column3 = d."身份证号" """)
            base_times.append(time.perf_counter() - t)
            joined = base.execute("SELECT count(*) FROM r").fetchone()[0]
            base.close()

            check = clear_findings(check)  # each round a first run, as the list's first check is
            os.sync()
            t = time.perf_counter()
            steps = {}
            check = cross_checks.run_cross_check(check, steps)
            ours_times.append(time.perf_counter() - t)
            assert check.status == CrossCheck.Status.DONE, check.message
            assert steps, "the cross-check ran nothing (not queued?)"
            print(
                f"round {round_ + 1}: fupin {ours_times[-1]:.2f} s ("
                + ", ".join(f"{k} {v:.2f}" for k, v in steps.items())
                + f"), DuckDB {base_times[-1]:.2f} s, load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    ours, baseline = statistics.median(ours_times), statistics.median(base_times)
    print(f"upload (validate, normalise, store): {upload:.2f} s")
    print(
        f"fupin cross-check, {check.rows:,} list rows × {in_scope.count():,} members: median {ours:.2f} s, "
        f"{check.matched_members:,} matched, {check.findings_count:,} findings"
    )
    print(
        f"planted: {args.hits:,} members with the vehicle consent ({check.matched_members:,} matched) and "
        f"{args.unconsented:,} without it (not matched; the run counted {check.unauthorised_members:,} "
        "members in scope without it)"
    )
    print(f"DuckDB hash join of the same two lists: median {baseline:.2f} s ({joined:,} rows)")
    if check.matched_members != args.hits:
        print(f"MISMATCH: {args.hits:,} consenting members planted, {check.matched_members:,} matched")
    print(f"ratio: {ours / baseline:.2f}x (target ≤ 2x: {'met' if ours / baseline <= 2 else 'not met'})")
    clear_findings(check)


def _spread(members, count: int) -> list[tuple[str, str]]:
    """`count` of these members (ID number decrypted, name), spread evenly over them by id."""
    if count <= 0:
        return []
    ids = list(members.order_by("id").values_list("id", flat=True))
    step = max(1, len(ids) // count)
    chosen = ids[::step][:count]
    found = {
        i: (number, name)
        for i, number, name in Member.objects.filter(id__in=chosen).values_list("id", "id_number", "name")
    }
    return [found[i] for i in chosen]


def clear_findings(check):
    """The check as it was before its first run: no findings, queued again. (run_cross_check runs a check
    once: a done one is returned as it is, so without this every round after the first timed nothing.)"""
    Finding.objects.filter(cross_check=check).delete()
    CrossCheck.objects.filter(pk=check.pk).update(status=CrossCheck.Status.QUEUED, progress=0, message="")
    with connection.cursor() as cur:  # what autovacuum would do after the delete (it is off on this server)
        cur.execute("VACUUM ANALYZE monitoring_finding")
    check.refresh_from_db()
    return check


if __name__ == "__main__":
    main()
