"""Synthetic registry for the monitoring benchmarks, generated inside PostgreSQL (INSERT … SELECT
generate_series), so a million households load in seconds: two counties of 500 villages each,
households with two members (valid GB 11643 ID numbers), two years of income, guarantee checks.

Rates follow the demo registry's income model (fupin/registry/demo.py): exited households live well
above the 5,000-yuan line, monitored ones around it, non-registered ones mostly above it; incomes grow
2–10 % a year and about 4 % of households suffer a shock that halves their income. So each risk signal
fires for a few per cent of households (about 4 % low income, 3 % income drop, 3 % guarantee check
not met, 0.7 % labour loss), as in a real county — not for most of them. One household in a thousand carries
each of six kinds of suspect data (see _suspects), so the suspect-data sweep finds and writes what a dirty
registry would give it."""

import os
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fupin_bench6")

import django  # noqa: E402

django.setup()

from _sql import default_columns as _columns  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from fupin.registry.models import GuaranteeCheck, Household, IncomeRecord, Member  # noqa: E402

COUNTIES = ("360722", "360723")
VILLAGES_PER_COUNTY = 500
# bump when the generated incomes or checks change: an existing database is refreshed (see ensure)
DATA_VERSION = "monitoring-bench-4"  # 4: personal values encrypted (fupin.core.crypto)
# A household's per-capita net income in 2023 by status (g % 10 as below), about the 5,000-yuan line:
# u in [0, 1) spreads households over the band; growth in 2024 is 2–10 %, a shock (4 %) halves it.
_U = "((g::bigint * 7919) % 9000) / 9000.0"
_INCOME_2023 = (
    f"CASE WHEN g % 10 < 5 THEN 5000 * (1.1 + 1.5 * {_U}) "  # exited: 1.1–2.6 × the line
    f"WHEN g % 10 < 8 THEN 5000 * (0.55 + 0.53 * {_U}) "  # poor: 0.55–1.08 × (not watched)
    f"WHEN g % 10 = 8 THEN 5000 * (1.0 + 2.0 * {_U}) "  # non-registered: 1–3 ×
    f"ELSE 5000 * (0.9 + 0.5 * {_U}) END"
)  # monitored: 0.9–1.4 ×
_SHOCK = "((g::bigint / 10) * 7919) % 100 < 4"  # independent of the status digit
_GROWTH = "(1.02 + 0.08 * (((g::bigint / 10) * 104729) % 1000) / 1000.0)"
_INCOME = {
    2023: f"round({_INCOME_2023})",
    2024: f"round(({_INCOME_2023}) * CASE WHEN {_SHOCK} THEN 0.5 ELSE {_GROWTH} END)",
}


def _incomes_and_checks(cur, households: int) -> None:
    for year, income in _INCOME.items():
        cols, exprs = _columns(
            IncomeRecord,
            {
                "household_id": "g",
                "year": str(year),
                "wages": f"({income}) * 2",
                "household_size": "2",
                "per_capita_net_income": income,
            },
        )
        cur.execute(
            f"INSERT INTO registry_incomerecord ({cols}) "
            f"SELECT {exprs} FROM generate_series(1, {households}) g"
        )
    # about 3 % of checks find an item not met (housing 2 %, drinking water 1 %)
    cols, exprs = _columns(
        GuaranteeCheck,
        {
            "household_id": "g",
            "year": "2024",
            "checked_on": "date '2024-10-01'",
            "housing": "(g / 10) % 50 <> 7",
            "water": "(g / 10) % 97 <> 3",
        },
    )
    cur.execute(
        f"INSERT INTO registry_guaranteecheck ({cols}) SELECT {exprs} FROM generate_series(1, {households}) g"
    )
    cur.execute(f"COMMENT ON TABLE registry_incomerecord IS '{DATA_VERSION}'")


def _check_function(cur) -> None:
    cur.execute("""CREATE OR REPLACE FUNCTION bench_check(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
        SELECT substr('10X98765432', (sum(substr(t, k, 1)::int *
            (ARRAY[7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2])[k]) % 11)::int + 1, 1)
        FROM generate_series(1, 17) k $$""")


# A wrong check character for an ID number's first 17 characters (the right one is bench_check's).
_WRONG_CHECK = "CASE WHEN bench_check({f17}) = '0' THEN '1' ELSE '0' END"


def _suspects(cur) -> None:
    """One household in a thousand for each kind of suspect data, by its id's last three digits (household g
    has members 2g-1, the head, and 2g, the son). Each statement sets values from unchanged ones, so running
    it again changes nothing."""
    _check_function(cur)
    son, head = "m.id = 2 * m.household_id", "m.id = 2 * m.household_id - 1"
    for sql in (
        # 1: the son is the next household's head (same first 17 characters, another check character)
        f"""UPDATE registry_member m SET id_number = substr(o.id_number, 1, 17)
            || {_WRONG_CHECK.format(f17="substr(o.id_number, 1, 17)")}
            FROM registry_member o WHERE {son} AND m.household_id % 1000 = 1
                AND o.id = 2 * m.household_id + 1""",
        # 2: a wrong check character
        "UPDATE registry_member m SET id_number = substr(id_number, 1, 17) "
        f"|| {_WRONG_CHECK.format(f17='substr(id_number, 1, 17)')} "
        f"WHERE {son} AND m.household_id % 1000 = 2",
        # 3: the recorded sex against the number's
        "UPDATE registry_member m "
        "SET sex = CASE WHEN substr(id_number, 17, 1)::int % 2 = 1 THEN 'F' ELSE 'M' END "
        f"WHERE {son} AND m.household_id % 1000 = 3",
        # 4: born in 1890
        "UPDATE registry_member m SET birth_date = date '1890-05-01' "
        f"WHERE {son} AND m.household_id % 1000 = 4",
        # 5: the son born a day before his father
        f"""UPDATE registry_member m SET birth_date = h.birth_date - 1 FROM registry_member h
            WHERE {son} AND m.household_id % 1000 = 5 AND h.id = m.id - 1""",
        # 6: no head: the head recorded as a spouse
        f"UPDATE registry_member m SET relation = 'spouse' WHERE {head} AND m.household_id % 1000 = 6",
        # 7: this year's per-capita income 100 yuan off its components
        "UPDATE registry_incomerecord SET per_capita_net_income = wages / 2 + 100 WHERE year = 2024 AND "
        "household_id % 1000 = 7",
    ):
        cur.execute(sql)


def _encrypt(log) -> None:
    """The generated numbers (and any phones) encrypted and indexed, column-wise (fupin.core.encrypting)."""
    from fupin.core import encrypting

    t = time.perf_counter()
    for table in encrypting.tables([Household, Member]):
        encrypting.recrypt_bulk(table, batch=200_000)
    log(f"encrypted in {time.perf_counter() - t:.1f} s")


def _vacuum(cur) -> None:
    """What autovacuum does to a live registry (it is off on the benchmark server): statistics, hint bits and
    the visibility map, so the first timed run does not pay for writing them over a million fresh rows."""
    for table in (
        "registry_household",
        "registry_member",
        "registry_incomerecord",
        "registry_guaranteecheck",
    ):
        cur.execute(f"VACUUM (ANALYZE) {table}")


def _consents(cur) -> None:
    """Nine households in ten have signed the consent for every department's data (电子授权书, issue 17): the
    cross-check exports only their members, with one EXISTS in its key query."""
    cur.execute("SELECT EXISTS (SELECT 1 FROM registry_consent)")
    if cur.fetchone()[0]:
        return
    cur.execute(
        "INSERT INTO registry_consent (member_id, household_id, given_on, income, real_estate, vehicle, "
        "business, "
        "social_insurance, method, evidence, recorded_at, withdraw_reason) "
        "SELECT id, household_id, date '2025-01-02', true, true, true, true, true, 'in_person', '', now(), "
        "'' "
        "FROM registry_member WHERE household_id % 10 <> 0"
    )
    cur.execute("ANALYZE registry_consent")


def ensure(households: int = 1_000_000, *, log=print) -> None:
    call_command("migrate", verbosity=0)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*), obj_description('registry_incomerecord'::regclass, 'pg_class') FROM "
            "registry_household"
        )
        count, version = cur.fetchone()
        if count == households and version == DATA_VERSION:
            _consents(cur)
            return
        t = time.perf_counter()
        log(f"generating {households:,} households …")
        cur.execute(
            "TRUNCATE registry_household, registry_member, registry_incomerecord, registry_guaranteecheck, "
            "monitoring_finding, monitoring_risksignal, monitoring_crosscheck, monitoring_sweep, "
            "audit_auditentry, "
            "registry_consent, "
            "monitoring_problem CASCADE"
        )
        _check_function(cur)
        rows = [("36", "江西省", 1, None), ("3607", "赣州市", 2, "36")]
        for c in COUNTIES:
            rows.append((c, f"县{c}", 3, "3607"))
            for t_ in range(5):
                town = f"{c}{100 + t_:03d}"
                rows.append((town, f"镇{town}", 4, c))
                for v in range(VILLAGES_PER_COUNTY // 5):
                    rows.append((f"{town}{v + 1:03d}", f"村{town}{v + 1:03d}", 5, town))
        cur.execute(
            "DELETE FROM regions_region WHERE code LIKE '36%%' AND NOT EXISTS (SELECT 1 FROM "
            "registry_household h WHERE h.village_id = code)"
        )
        cur.executemany(
            "INSERT INTO regions_region (code, name, level, parent_id) VALUES (%s, %s, %s, %s) ON CONFLICT "
            "DO NOTHING",
            rows,
        )
        villages = [r[0] for r in rows if r[2] == 5]
        cur.execute("CREATE TEMP TABLE bench_village (n int PRIMARY KEY, code text)")
        cur.executemany("INSERT INTO bench_village VALUES (%s, %s)", list(enumerate(villages)))
        per_village = households // len(villages)
        cols, exprs = _columns(
            Household,
            {
                "id": "g",
                "number": "lpad(g::text, 16, '0')",
                "village_id": f"(SELECT code FROM bench_village WHERE n = (g - 1) / {per_village})",
                "status": "CASE WHEN g % 10 < 5 THEN 'exited' WHEN g % 10 < 8 THEN 'poor' WHEN g % 10 = 8 "
                "THEN 'unregistered' ELSE 'monitored' END",
                "household_type": "'general_poor'",
                "primary_cause": "'illness'",
                "head_name": "'户主' || g",
                "size": "2",
                "latest_income": _INCOME[2024],
                "registration_year": "2016",
                "exit_year": "CASE WHEN g % 10 < 5 THEN 2020 END",
                "address": "'村' || (g % 5000) || '号'",
            },
        )
        cur.execute(
            f"INSERT INTO registry_household ({cols}) SELECT {exprs} FROM generate_series(1, {households}) g"
        )
        cur.execute("SELECT setval(pg_get_serial_sequence('registry_household', 'id'), %s)", [households])
        for rel, offset in (("head", 0), ("son", 1)):
            cols, exprs = _columns(
                Member,
                {
                    "id": f"2 * g - 1 + {offset}",
                    "household_id": "g",
                    "village_code": "(SELECT village_id FROM registry_household WHERE id = g)",
                    "name": f"'{'户主' if offset == 0 else '子女'}' || g",
                    "id_number": "f17 || bench_check(f17)",
                    "sex": "CASE WHEN substr(f17, 17, 1)::int % 2 = 1 THEN 'M' ELSE 'F' END",
                    "birth_date": "to_date(substr(f17, 7, 8), 'YYYYMMDD')",
                    "relation": f"'{rel}'",
                    "labour_skill": "CASE WHEN g % 97 = 0 THEN 'lost' ELSE 'ordinary' END",
                },
            )
            birth = "date '1950-01-01'" if offset == 0 else "date '1985-01-01'"
            cur.execute(f"""INSERT INTO registry_member ({cols})
                SELECT {exprs} FROM (SELECT g, substr(h.village_id, 1, 6)
                    || to_char({birth} + (g % 9000), 'YYYYMMDD')
                    || lpad(((g / 9000) * 2 + {offset})::text, 3, '0') AS f17
                    FROM generate_series(1, {households}) g JOIN registry_household h ON h.id = g) s""")
        cur.execute("SELECT setval(pg_get_serial_sequence('registry_member', 'id'), %s)", [2 * households])
        _incomes_and_checks(cur, households)
        _suspects(cur)  # on the plain numbers, then encrypted as a migrated registry is
        _encrypt(log)
        _vacuum(cur)
        _consents(cur)
        log(f"generated in {time.perf_counter() - t:.1f} s")
