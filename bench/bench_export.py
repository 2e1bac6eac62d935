"""Benchmark: a table of persons to .xlsx through the product's background export, against the fastest xlsx
writer.

Issue 18, build item 3: "exporting 1,000,000 persons of the generated province to .xlsx in the background at
no less than half the speed of writing the same rows and columns with the fastest maintained xlsx writer
package, measured in the same run".

  1. the product: a province officer's export of the national form (贫困户信息采集表, one row per person, 60
     columns, masked) started as the list's 导出采集表 starts it (fupin.core.export_files.start), the
     background task (fupin.core.tasks.write_export, run inline here) reading the households and members from
     the database in chunks, building each row (region names, labels, masking) and writing the file — from the
     click to the finished file;
  2. the writer alone: the same rows and columns, already built in memory, handed to rustpy-xlsxwriter (the
     fastest maintained writer in the package lists, see the README) directly.

The ratio is (2) / (1): 1.0 would be the product as fast as the bare writer; the target is at least 0.5.

The persons are generated into a fresh SQLite database under a temporary folder (bulk inserts through the
models, so ID numbers are encrypted as in production; 4 persons per household over the test tree's villages):

    .venv/bin/python bench/bench_export.py [--persons 1000000] [--rounds 3] [--keep DIR]

Each side's wall time and the process's CPU time are printed: on a machine shared with other work the wall
ratio moves with the load and with when each side ran; the CPU times (both sides run in this one process)
hardly move with it. With --rounds the two sides alternate and the ratio is of the medians.

On this shared two-core machine a million persons take a long while to generate; --persons makes it smaller,
and the README says which size was run.
"""

import argparse
import datetime
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--persons", type=int, default=1_000_000)
parser.add_argument(
    "--rounds", type=int, default=1, help="product and writer alternately, this many times each"
)
parser.add_argument("--keep", help="a folder to keep the database in (reused when it holds the same size)")
args = parser.parse_args()

VAR = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-export-"))
VAR.mkdir(parents=True, exist_ok=True)
os.environ["FUPIN_VAR_DIR"] = str(VAR)
os.environ["DATABASE_URL"] = f"sqlite:///{VAR / 'bench.sqlite3'}"
os.environ["FUPIN_TASKS"] = "immediate"  # the background task runs inline, in this process: timed as a whole
os.environ.setdefault("FUPIN_SCHEDULE", "off")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.http import QueryDict  # noqa: E402

from fupin.accounts.models import User  # noqa: E402
from fupin.core import export_files, table_exports  # noqa: E402
from fupin.core.idnumber import check_character  # noqa: E402
from fupin.core.models import ExportFile  # noqa: E402
from fupin.registry import codes, exports  # noqa: E402
from fupin.registry.models import Household, Member  # noqa: E402
from tests import factories  # noqa: E402

PER_HOUSEHOLD = 4
VILLAGES = [code for code, _name in factories.TREE if len(code) == 12]


def generate(persons: int) -> None:
    call_command("migrate", verbosity=0)
    if Member.objects.count() == persons:
        print(f"{persons:,} persons already generated in {VAR}")
        return
    Member.objects.all().delete()
    Household.objects.all().delete()
    if not factories.Region.objects.exists():
        factories.make_tree()
    t = time.perf_counter()
    households = (persons + PER_HOUSEHOLD - 1) // PER_HOUSEHOLD
    made = 0
    for start in range(0, households, 5000):
        batch = [
            Household(
                number=f"{g:016d}",
                village_id=VILLAGES[g * len(VILLAGES) // households],
                status=codes.HouseholdStatus.POOR,
                household_type=codes.HouseholdType.GENERAL_POOR,
                primary_cause="illness",
                head_name=f"王某{g % 997}",
                size=PER_HOUSEHOLD,
                latest_income=2500 + g % 9000,
                registration_year=2016,
                address=f"村{g % 5000}号",
                phone=f"139{g:08d}",
            )
            for g in range(start, min(start + 5000, households))
        ]
        Household.objects.bulk_create(batch)
        members = []
        for h in batch:
            for k in range(PER_HOUSEHOLD):
                if made >= persons:
                    break
                n = made
                birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=n // 999 % 20000)
                first17 = f"{h.village_id[:6]}{birth:%Y%m%d}{n % 999 + 1:03d}"
                members.append(
                    Member(
                        household=h,
                        village_code=h.village_id,
                        name=h.head_name if k == 0 else f"李某{n % 991}",
                        sex=codes.Sex.MALE if n % 2 else codes.Sex.FEMALE,
                        relation=codes.Relation.HEAD if k == 0 else codes.Relation.SON,
                        id_number=first17 + check_character(first17),
                        birth_date=birth,
                        ethnicity="01",
                    )
                )
                made += 1
        Member.objects.bulk_create(members)
        if start % 50_000 == 0:
            print(f"  {made:,} persons …", flush=True)
    print(f"generated {made:,} persons in {households:,} households in {time.perf_counter() - t:.0f} s")


def product(user: User) -> tuple[float, float, ExportFile]:
    """The product's export from the click to the finished file: (wall s, CPU s of this process, the file)."""
    table = table_exports.table_named("registry.household_form")
    t, cpu = time.perf_counter(), time.process_time()
    rows = table.query(user, QueryDict(""))
    export = export_files.start(
        user, table, QueryDict(""), revealed=False, total=table_exports.row_count(rows)
    )
    export.refresh_from_db()
    elapsed, used = time.perf_counter() - t, time.process_time() - cpu
    assert export.status == ExportFile.Status.DONE, (export.status, export.error)
    return elapsed, used, export


def direct_rows(user: User) -> tuple[list[str], list[tuple]]:
    """The same rows and headings, built once and held in memory (untimed)."""
    table = table_exports.table_named("registry.household_form")
    households = table.query(user, QueryDict("")).households
    rows = [tuple(r) for r in exports.export_rows(households, show_identifiers=False)]
    return table_exports.headings_of(table), rows


def direct(headings: list[str], rows: list[tuple], out: Path) -> tuple[float, float]:
    """Those rows written by rustpy-xlsxwriter alone: (wall s, CPU s)."""
    import rustpy_xlsxwriter

    t, cpu = time.perf_counter(), time.process_time()
    rustpy_xlsxwriter.write_worksheet(
        (dict(zip(headings, r, strict=True)) for r in rows),
        str(out),
        sheet_name="Sheet1",
        freeze_row=1,
        bold_headers=True,
    )
    return time.perf_counter() - t, time.process_time() - cpu


def main() -> None:
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    generate(args.persons)
    user = User.objects.filter(username="bench-province").first() or factories.make_user(
        "bench-province", "province", "36"
    )
    # A running server has loaded its URLs (and the API's schemas with them) long before anyone clicks; the
    # first reverse() in this process would otherwise count their seconds of start-up as the export's.
    table_exports.export_url("registry.household_form")
    headings, rows = direct_rows(user)
    ours, theirs = [], []
    for round_ in range(1, args.rounds + 1):  # alternating, so both sides meet the same load
        wall, cpu, export = product(user)
        size = export_files.file_path(export).stat().st_size
        ours.append((wall, cpu))
        print(
            f"round {round_} product (background export, {export.rows_done:,} rows): {wall:.1f} s "
            f"({cpu:.1f} s CPU), {export.rows_done / wall:,.0f} rows/s, {size / 1e6:.0f} MB"
        )
        wall, cpu = direct(headings, rows, VAR / "direct.xlsx")
        theirs.append((wall, cpu))
        print(
            f"round {round_} rustpy-xlsxwriter alone ({len(rows):,} rows): {wall:.1f} s ({cpu:.1f} s CPU), "
            f"{len(rows) / wall:,.0f} rows/s  [load {os.getloadavg()[0]:.1f}]"
        )
    ratio = statistics.median(w for w, _c in theirs) / statistics.median(w for w, _c in ours)
    by_cpu = statistics.median(c for _w, c in theirs) / statistics.median(c for _w, c in ours)
    print(
        f"speed ratio product / writer (medians of {args.rounds}): {ratio:.2f}x (target ≥ 0.5x); "
        f"in CPU time {by_cpu:.2f}x"
    )
    print(
        f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB "
        "(the writer's rows held in memory)"
    )
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
