"""A synthetic province for the statistics benchmark, generated inside PostgreSQL (INSERT … SELECT
generate_series), so ten million persons load in minutes rather than hours.

The regions are real: 江西省 (code 36) down to its villages, from the shipped division file.
Everything about the households is invented but shaped like the registry: ~3,000,000 households
spread over the province's villages with 1–6 members each (valid GB 11643 ID numbers, sealed and
blind-indexed as production stores them: seal_persons), statuses, types and causes in the national
proportions, registration and exit years 2014–2020, a village profile per village with its rural
population, reduction plans per county, helpers paired to the poor and monitored households with visit
records, monitored cases, problems; and (ensure_casework, added to a province generated before it) help
plans and measures, microloans with repayments, projects with their funds.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fupin_province python bench/_province_data.py [households]
"""

import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fupin_province")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import django  # noqa: E402

django.setup()

from _sql import default_columns as _columns  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from fupin.core import crypto  # noqa: E402
from fupin.regions.models import Region, RegionLevel  # noqa: E402
from fupin.regions.services import load_regions, read_divisions, select_divisions  # noqa: E402
from fupin.registry.models import Household, Member  # noqa: E402

PROVINCE = "36"
HOUSEHOLDS = 3_000_000
# status by g % 100: exited 48, poor 40, monitored 7, applicant 3, removed 2 (the demo county's weights)
STATUS = (
    "CASE WHEN g % 100 < 48 THEN 'exited' WHEN g % 100 < 88 THEN 'poor' WHEN g % 100 < 95 THEN 'monitored' "
    "WHEN g % 100 < 98 THEN 'applicant' ELSE 'removed' END"
)
TYPE = (
    "CASE WHEN g % 50 < 31 THEN 'general_poor' WHEN g % 50 < 43 THEN 'dibao_poor' "
    "WHEN g % 50 < 46 THEN 'wubao' ELSE 'dibao' END"
)
CAUSES = (
    ["illness"] * 30
    + ["disability"] * 11
    + ["schooling"] * 9
    + ["disaster"] * 3
    + ["lack_land"] * 3
    + ["lack_water"]
    + ["lack_skills"] * 11
    + ["lack_labour"] * 13
    + ["lack_funds"] * 12
    + ["poor_transport"] * 2
    + ["lack_motivation"] * 3
    + ["other"] * 2
)
# household size 1..6 with weights 9/18/24/25/15/9: mean 3.5 persons, i.e. ~10.4 M persons for 3 M households
SIZE = (
    "CASE WHEN g % 100 < 9 THEN 1 WHEN g % 100 < 27 THEN 2 WHEN g % 100 < 51 THEN 3 WHEN g % 100 < 76 THEN 4 "
    "WHEN g % 100 < 91 THEN 5 ELSE 6 END"
)


def _step(log, label, cur, sql, params=None):
    t = time.perf_counter()
    cur.execute(sql, params)
    log(f"  {label}: {time.perf_counter() - t:.1f} s")


def use_keys() -> None:
    """Use the generated province's own data keys, kept in its database (bench_data_keys) from the run that
    made it: a checkout and a server of any worktree then read and match its sealed values. Synthetic data
    only; a real registry's keys are never stored beside it. The first run keeps FUPIN_DATA_KEYS if set, else
    a fresh key file's text."""
    with connection.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS bench_data_keys (keys text NOT NULL)")
        cur.execute("SELECT keys FROM bench_data_keys")
        row = cur.fetchone()
        if row is None:
            row = (os.environ.get("FUPIN_DATA_KEYS") or crypto.new_key_text(),)
            cur.execute("INSERT INTO bench_data_keys VALUES (%s)", row)
    os.environ["FUPIN_DATA_KEYS"] = row[0]  # the server bench_api starts inherits it
    crypto.reload()


def seal_persons(cur, batch: int = 200_000) -> int:
    """Seal the generated ID numbers (bench_person) as the registry stores them: AES-SIV under the data key
    (crypto.encrypt_many) and the blind indexes of the whole number and of its last six characters, into
    bench_sealed, read by keyset and written by COPY `batch` at a time. A number seen twice keeps its first
    person only (the registry's unique index would refuse the second). The persons' count."""
    raw = cur.cursor  # psycopg's own cursor: its copy() streams rows in
    raw.execute("ALTER TABLE bench_person ADD PRIMARY KEY (hid, k)")
    raw.execute("DROP TABLE IF EXISTS bench_sealed")
    raw.execute(
        "CREATE UNLOGGED TABLE bench_sealed (hid bigint, k int, sealed text, idx bigint, tail bigint)"
    )
    seen: set[int] = set()
    last = (0, 0)
    while True:
        raw.execute(
            "SELECT hid, k, plain FROM bench_person WHERE (hid, k) > (%s, %s) ORDER BY hid, k LIMIT %s",
            [*last, batch],
        )
        rows = raw.fetchall()
        if not rows:
            return len(seen)
        plain = [p for _, _, p in rows]
        sealed = crypto.encrypt_many(plain, "id_number")
        idx = crypto.blind_indexes(plain, "id_number")
        tail = crypto.blind_indexes([p[-6:] for p in plain], "id_number")
        with raw.copy("COPY bench_sealed FROM STDIN") as copy:
            for (hid, k, _), s, i, t in zip(rows, sealed, idx, tail, strict=True):
                if i not in seen:
                    seen.add(i)
                    copy.write_row((hid, k, s, i, t))
        last = rows[-1][:2]


def ensure(households: int = HOUSEHOLDS, *, log=print) -> None:
    call_command("migrate", verbosity=0)
    use_keys()
    if not Region.objects.filter(code=PROVINCE).exists():
        t = time.perf_counter()
        n = load_regions(select_divisions(read_divisions(), depth=RegionLevel.COUNTY, under=[PROVINCE]))
        log(f"regions loaded: {n:,} in {time.perf_counter() - t:.1f} s")
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM registry_household")
        if cur.fetchone()[0] == households:
            ensure_casework(log=log)
            return
        t0 = time.perf_counter()
        log(f"generating {households:,} households …")
        cur.execute(
            "TRUNCATE registry_household, registry_member, registry_incomerecord, registry_guaranteecheck, "
            "assistance_pairing, assistance_visit, assistance_helper, assistance_helperunit, "
            "monitoring_monitoredhousehold, monitoring_problem, procedures_villageprofile, "
            "procedures_reductionplan, "
            "funds_project, funds_loan, audit_auditentry CASCADE"
        )
        cur.execute("""CREATE OR REPLACE FUNCTION bench_check(t text) RETURNS text LANGUAGE sql IMMUTABLE
            AS $$
            SELECT substr('10X98765432', (sum(substr(t, k, 1)::int *
                (ARRAY[7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2])[k]) % 11)::int + 1, 1)
            FROM generate_series(1, 17) k $$""")
        cur.execute("DROP TABLE IF EXISTS bench_village")
        cur.execute(
            "CREATE UNLOGGED TABLE bench_village AS SELECT (row_number() OVER (ORDER BY code)) - 1 AS n, "
            "code "
            "FROM regions_region WHERE level = %s AND code LIKE %s",
            [RegionLevel.VILLAGE, PROVINCE + "%"],
        )
        cur.execute("ALTER TABLE bench_village ADD PRIMARY KEY (n)")
        cur.execute("SELECT count(*) FROM bench_village")
        villages = cur.fetchone()[0]
        log(f"  {villages:,} villages")
        cause = "(ARRAY[" + ",".join(f"'{c}'" for c in CAUSES) + "])[1 + (g * 7) % 100]"
        # households are numbered so that each village's households are contiguous (as an import makes them)
        cols, exprs = _columns(
            Household,
            {
                "id": "g",
                "number": "lpad(g::text, 16, '0')",
                "village_id": (
                    "(SELECT code FROM bench_village "
                    f"WHERE n = ((g - 1)::bigint * {villages}) / {households})"
                ),
                "status": STATUS,
                "household_type": TYPE,
                "primary_cause": cause,
                "head_name": "(ARRAY['王','李','张','刘','陈','杨','黄','赵','吴','周'])[1 + g % 10] || '某' "
                "|| (g % 997)",
                "head_initials": "(ARRAY['W','L','Z','L','C','Y','H','Z','W','Z'])[1 + g % 10] || 'M'",
                "size": SIZE,
                "latest_income": "(2500 + (g::bigint * 7919) % 9000)::numeric",
                "registration_year": "2014 + (g % 7)",
                "exit_year": "CASE WHEN g % 100 < 48 THEN greatest(2014 + (g % 7), 2015 + (g / 7) % 6) END",
                "address": "'村' || (g % 5000) || '号'",
            },
        )
        _step(
            log,
            "households",
            cur,
            f"INSERT INTO registry_household ({cols}) SELECT {exprs} FROM generate_series(1, {households}) g",
        )
        cur.execute("SELECT setval(pg_get_serial_sequence('registry_household', 'id'), %s)", [households])
        # members: k = 1 is the head; ID numbers unique by (county, birth day, sequence) — g and k spread
        # them. The numbers are made here, sealed and indexed in Python as production stores them
        # (seal_persons), and the members then inserted in one statement from the households and the numbers.
        cur.execute("DROP TABLE IF EXISTS bench_person")
        _step(
            log,
            "persons' ID numbers",
            cur,
            """CREATE UNLOGGED TABLE bench_person AS
            SELECT h.id AS hid, k, f17 || bench_check(f17) AS plain FROM (
                SELECT h.id, k,
                       substr(h.village_id, 1, 6)
                           || to_char(date '1940-01-01' + ((h.id * 6 + k) % 27000)::int, 'YYYYMMDD')
                       || lpad((((h.id * 6 + k) / 27000) % 1000)::text, 3, '0') AS f17
                FROM registry_household h, generate_series(1, h.size) k) h""",
        )
        t = time.perf_counter()
        n = seal_persons(cur)
        log(f"  sealed {n:,} ID numbers (AES-SIV and both blind indexes): {time.perf_counter() - t:.1f} s")
        cols, exprs = _columns(
            Member,
            {
                "household_id": "h.id",
                "village_code": "h.village_id",
                "name": "h.head_name || CASE WHEN s.k = 1 THEN '' ELSE s.k::text END",
                "name_initials": "h.head_initials",
                "id_number": "s.sealed",
                "id_number_index": "s.idx",
                "id_number_tail": "s.tail",
                "sex": "CASE WHEN substr(p.plain, 17, 1)::int % 2 = 1 THEN 'M' ELSE 'F' END",
                "birth_date": "to_date(substr(p.plain, 7, 8), 'YYYYMMDD')",
                "relation": "CASE WHEN s.k = 1 THEN 'head' WHEN s.k = 2 THEN 'spouse' "
                "WHEN s.k % 2 = 1 THEN 'son' ELSE 'daughter' END",
            },
        )
        cur.execute("SET maintenance_work_mem = '512MB'")
        _step(
            log,
            "members",
            cur,
            f"""INSERT INTO registry_member ({cols})
            SELECT {exprs} FROM bench_sealed s JOIN bench_person p ON p.hid = s.hid AND p.k = s.k
                 JOIN registry_household h ON h.id = s.hid ORDER BY s.hid, s.k""",
        )
        cur.execute("DROP TABLE bench_person, bench_sealed")
        # the 18-digit numbers above repeat once (county, day, sequence) wraps: seal_persons kept the first
        cur.execute(
            "UPDATE registry_household h SET size = m.n FROM (SELECT household_id, count(*) n FROM "
            "registry_member "
            "GROUP BY household_id) m WHERE m.household_id = h.id AND m.n <> h.size"
        )
        # village profiles: the rural population is about four times the registered poor
        _step(
            log,
            "village profiles",
            cur,
            """INSERT INTO procedures_villageprofile (village_id, year, is_poor_village, households,
                population, rural_population, estimated_poor, estimated_incidence, collective_income,
                has_hardened_road, has_bus,
                has_safe_water, has_electricity, has_clinic, has_broadband, has_activity_venue, updated_at)
            SELECT v.code, y, v.n % 3 = 0, 0, s.persons * 4, s.persons * 4, s.persons, 25, 0, true, true,
                true, true, true, true, true, now()
            FROM bench_village v JOIN (SELECT village_id, sum(size) persons FROM registry_household
                GROUP BY village_id) s
                 ON s.village_id = v.code, generate_series(2014, 2025) y""",
        )
        _step(
            log,
            "reduction plans",
            cur,
            """INSERT INTO procedures_reductionplan (region_id, year, persons, basis, weight, adjusted,
                set_at)
            SELECT substr(village_id, 1, 6), exit_year, (sum(size) * 1.02)::int, 'estimated_poor', 0, false,
                now()
            FROM registry_household WHERE exit_year IS NOT NULL GROUP BY 1, 2""",
        )
        # one helper unit per township, one helper per 5 poor/monitored households of a village
        _step(
            log,
            "helper units",
            cur,
            """INSERT INTO assistance_helperunit (name, kind, region_id, contact_person, contact_phone,
                address, created_at)
            SELECT name || '帮扶单位', 'party_government', code, '', '', '', now() FROM regions_region
                WHERE level = 4 AND code LIKE '36%%'""",
        )
        cur.execute("SELECT id FROM accounts_user WHERE is_superuser ORDER BY id LIMIT 1")
        row = cur.fetchone()
        if row is None:
            cur.execute("""INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name,
                email, is_staff, is_active, date_joined, role, full_name)
                VALUES ('!', true, 'bench-root', '', '', '', true, true, now(), '', '')
                RETURNING id""")
            row = cur.fetchone()
        root = row[0]
        _step(
            log,
            "pairings",
            cur,
            f"""
            CREATE TEMP TABLE bench_assisted AS
                SELECT id, village_id, row_number() OVER (PARTITION BY village_id ORDER BY id) - 1 AS r
                FROM registry_household WHERE status IN ('poor', 'monitored');
            INSERT INTO assistance_helper (unit_id, name, kind, position, phone, region_id, active,
                created_at)
                SELECT u.id, '干部' || a.village_id || '-' || (a.r / 5), 'cadre', '', '13800000000',
                    a.village_id, true, now()
                FROM bench_assisted a JOIN assistance_helperunit u ON u.region_id = substr(a.village_id, 1, 9)
                WHERE a.r % 5 = 0;
            INSERT INTO assistance_pairing (household_id, helper_id, started_on, start_reason, started_by_id,
                end_reason, created_at)
                SELECT a.id, hp.id, date '2024-01-01', '', {root}, '', now()
                FROM bench_assisted a JOIN assistance_helper hp ON hp.region_id = a.village_id
                     AND hp.name = '干部' || a.village_id || '-' || (a.r / 5)
                WHERE a.id % 20 <> 0;""",
        )
        _step(
            log,
            "visits",
            cur,
            f"""INSERT INTO assistance_visit (household_id, helper_id, visited_on, kind, findings, problems,
                guarantees, guarantee_notes, recorded_by_id, created_at)
            SELECT p.household_id, p.helper_id, date '2026-11-20' - ((p.household_id * 13) % 120)::int,
                'home', '入户走访', '', '{{}}', '{{}}', {root}, now()
            FROM assistance_pairing p""",
        )
        _step(
            log,
            "monitored cases",
            cur,
            """INSERT INTO monitoring_monitoredhousehold (household_id, village_code, kind, source, year,
                stage, risk_description, previous_status, reported_at, appraisal_note, review_note,
                elimination_note, elimination_evidence,
                rejection_reason, included_at, eliminated_at)
            SELECT id, village_id, (ARRAY['unstable_exited','marginal','sudden_hardship'])[1 + id % 3],
                   'village_survey', 2025,
                   CASE WHEN id % 4 = 0 THEN 'eliminated' ELSE 'measures' END, '收入骤降', 'exited', now(),
                   '', '', '', '', '',
                   now(), CASE WHEN id % 4 = 0 THEN now() END
            FROM registry_household WHERE status = 'monitored'""",
        )
        _step(
            log,
            "problems",
            cur,
            """INSERT INTO monitoring_problem (source, region_code, household_id, check_item, description,
                responsible_level, responsible_person, measure, deadline, status, rectification, evidence,
                close_note, created_at)
            SELECT 'lookback', village_id, id, 'housing', '住房安全待核实', 5, '', '',
                date '2026-06-30' + (id % 300)::int,
                   (ARRAY['open','rectified','closed'])[1 + id % 3], '', '', '', now()
            FROM registry_household WHERE id % 97 = 0""",
        )
        _step(log, "analyze", cur, "ANALYZE")
        log(f"generated in {time.perf_counter() - t0:.1f} s")
    ensure_casework(log=log)


def ensure_casework(*, log=print) -> None:
    """The case work the dashboard counts beyond pairings and visits, where the province has none yet: a help
    plan for a third of the paired households with two measures this year and one last year; a microloan for
    one poor household in ten (seven in ten still being repaid, half of those partly); 40 projects per county
    in each of the last two years, funded by one central fund a year."""
    from fupin.assistance.models import HelpMeasure, HelpPlan
    from fupin.funds.models import Allocation, Fund, Loan, Project, Repayment

    year = time.localtime().tm_year
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT id FROM accounts_user ORDER BY is_superuser DESC, id LIMIT 1")
        row = cur.fetchone()
        if row is None:
            return
        root = row[0]
        cur.execute(
            "SELECT EXISTS (SELECT 1 FROM assistance_helpplan), EXISTS (SELECT 1 FROM funds_loan), "
            "EXISTS (SELECT 1 FROM funds_project)"
        )
        has_plans, has_loans, has_projects = cur.fetchone()
        t0 = time.perf_counter()
        if not has_plans:
            cols, exprs = _columns(
                HelpPlan,
                {
                    "household_id": "p.household_id",
                    "plan_class": "'development'",
                    "target_exit_year": str(year + 1),
                    "created_by_id": str(root),
                },
            )
            _step(
                log,
                "help plans",
                cur,
                f"""INSERT INTO assistance_helpplan ({cols})
                SELECT {exprs} FROM assistance_pairing p WHERE p.ended_on IS NULL
                    AND p.household_id % 3 = 0""",
            )
            cols, exprs = _columns(
                HelpMeasure,
                {
                    "plan_id": "p.id",
                    "village_code": "h.village_id",
                    "catalogue_id": "c.ids[1 + (p.household_id / 3 + k * 7) % array_length(c.ids, 1)]",
                    "helper_id": "a.helper_id",
                    "year": f"CASE WHEN k < 2 THEN {year} ELSE {year - 1} END",
                    "content": "'帮扶措施'",
                    "deadline": f"make_date(CASE WHEN k < 2 THEN {year} ELSE {year - 1} END, 12, 31)",
                    "status": "CASE WHEN k = 2 THEN 'done' ELSE 'in_progress' END",
                    "completed_on": f"CASE WHEN k = 2 THEN make_date({year - 1}, 11, 30) END",
                },
            )
            _step(
                log,
                "help measures",
                cur,
                f"""INSERT INTO assistance_helpmeasure ({cols})
                SELECT {exprs} FROM assistance_helpplan p JOIN registry_household h ON h.id = p.household_id
                     JOIN assistance_pairing a ON a.household_id = p.household_id AND a.ended_on IS NULL,
                     generate_series(0, 2) k, (SELECT array_agg(id ORDER BY id) ids
                         FROM assistance_measurecatalogue) c""",
            )
        if not has_loans:
            cols, exprs = _columns(
                Loan,
                {
                    "county_id": "substr(h.village_id, 1, 6)",
                    "region_id": "h.village_id",
                    "borrower_kind": "'household'",
                    "household_id": "h.id",
                    "borrower_name": "h.head_name",
                    "bank": "'农村商业银行'",
                    "amount_requested_fen": "(30000 + (h.id % 3) * 10000) * 100",
                    "amount_fen": "(30000 + (h.id % 3) * 10000) * 100",
                    "term_months": "36",
                    "industry": "'breeding'",
                    "purpose": "'发展养殖'",
                    "capacity_confirmed": "true",
                    "interest_rate": "4.75",
                    "benchmark_rate": "4.75",
                    "subsidy_share": "100",
                    "status": "CASE WHEN h.id % 100 < 70 THEN 'disbursed' ELSE 'repaid' END",
                    "applied_on": f"make_date({year - 2}, (1 + h.id % 12)::int, 1)",
                    "decided_on": f"make_date({year - 2}, (1 + h.id % 12)::int, 10)",
                    "contract_no": "'JK-' || h.id",
                    "disbursed_on": f"make_date({year - 2}, (1 + h.id % 12)::int, 15)",
                    "maturity_on": f"make_date({year + 1}, (1 + h.id % 12)::int, 15)",
                    "repaid_on": (
                        f"CASE WHEN h.id % 100 >= 70 THEN make_date({year}, (1 + h.id % 10)::int, 15) END"
                    ),
                    "created_by_id": str(root),
                },
            )
            _step(
                log,
                "loans",
                cur,
                f"""INSERT INTO funds_loan ({cols})
                SELECT {exprs} FROM registry_household h WHERE h.status = 'poor' AND h.id % 10 = 1""",
            )
            cols, exprs = _columns(
                Repayment,
                {
                    "loan_id": "l.id",
                    "repaid_on": f"make_date({year - 1}, 6, 30)",
                    "principal_fen": "l.amount_fen / 3",
                    "created_by_id": str(root),
                },
            )
            _step(
                log,
                "repayments",
                cur,
                f"""INSERT INTO {Repayment._meta.db_table} ({cols})
                SELECT {exprs} FROM funds_loan l WHERE l.status = 'disbursed' AND l.id % 2 = 0""",
            )
        if not has_projects:
            cols, exprs = _columns(
                Fund,
                {
                    "county_id": "c.code",
                    "year": "y",
                    "source": "'central'",
                    "name": "'中央财政专项扶贫资金'",
                    "amount_fen": "100000000000",
                    "allocated_fen": "8000000000",
                    "spent_fen": "4000000000",
                },
            )
            _step(
                log,
                "funds",
                cur,
                f"""INSERT INTO funds_fund ({cols})
                SELECT {exprs} FROM regions_region c, generate_series({year - 1}, {year}) y
                WHERE c.level = {RegionLevel.COUNTY} AND c.code LIKE '{PROVINCE}%%'""",
            )
            cols, exprs = _columns(
                Project,
                {
                    "county_id": "f.county_id",
                    "region_id": "f.county_id",
                    "year": "f.year",
                    "code": "f.year || '-' || lpad(k::text, 3, '0')",
                    "name": "'扶贫项目' || k",
                    "category": "'industry'",
                    "budget_fen": "200000000",
                    "status": "CASE WHEN k % 5 = 0 THEN 'completed' ELSE 'in_progress' END",
                },
            )
            _step(
                log,
                "projects",
                cur,
                f"""INSERT INTO funds_project ({cols})
                SELECT {exprs} FROM funds_fund f, generate_series(1, 40) k
                    WHERE f.county_id LIKE '{PROVINCE}%%'""",
            )
            cols, exprs = _columns(
                Allocation,
                {
                    "fund_id": "f.id",
                    "project_id": "p.id",
                    "amount_fen": "200000000",
                    "spent_fen": "100000000",
                    "allocated_on": "make_date(p.year, 3, 1)",
                },
            )
            _step(
                log,
                "allocations",
                cur,
                f"""INSERT INTO funds_allocation ({cols})
                SELECT {exprs} FROM funds_project p JOIN funds_fund f ON f.county_id = p.county_id
                    AND f.year = p.year
                WHERE p.county_id LIKE '{PROVINCE}%%'""",
            )
        if not (has_plans and has_loans and has_projects):
            _step(
                log,
                "analyze",
                cur,
                "ANALYZE assistance_helpplan, assistance_helpmeasure, funds_loan, funds_repayment, "
                "funds_fund, funds_project, funds_allocation",
            )
            log(f"case work added in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    ensure(int(sys.argv[1]) if len(sys.argv) > 1 else HOUSEHOLDS)
