"""The bulk path (importing/bulk.py, PostgreSQL) and the row-wise path give the same errors and write the same
records.

Each test imports one file twice, once through each path, rolling the first back, and compares
the errors (row, column, value, reason) and everything written.
"""

import datetime

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from fupin.audit.models import AuditEntry
from fupin.registry import imports
from fupin.registry.importing import columns as import_columns
from fupin.registry.importing import plan as import_plan
from fupin.registry.importing import rows as row_wise
from fupin.registry.importing import writer as import_writer
from fupin.registry.models import Household, IncomeRecord, Member
from tests import factories
from tests.registry.import_files import OTHER_COUNTY_PLACE, SIBLING_PLACE, household, write_csv, write_xlsx

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the bulk path is PostgreSQL's"),
]

SKIP = {"id", "household_id", "created_at", "updated_at", "recorded_at"}


def snapshot():
    """What the import wrote, keyed by ID numbers rather than ids; auto 户编号 compared as a set per
    village."""
    heads = dict(Member.objects.filter(relation="head").values_list("household_id", "id_number"))
    households = {}
    numbers = []
    for row in Household.objects.values():
        numbers.append(row["number"])
        households[heads.get(row["id"])] = {k: v for k, v in row.items() if k not in SKIP | {"number"}}
    members = {
        row["id_number"]: {k: v for k, v in row.items() if k not in SKIP}
        | {"head": heads.get(row["household_id"])}
        for row in Member.objects.values()
    }
    incomes = {
        (heads.get(row["household_id"]), row["year"]): {k: v for k, v in row.items() if k not in SKIP}
        for row in IncomeRecord.objects.values()
    }
    audit = sorted(
        (e.action, e.household.head_name if e.household else "", sorted(e.changes))
        for e in AuditEntry.objects.select_related("household")
    )
    return {
        "households": households,
        "numbers": sorted(numbers),
        "members": members,
        "incomes": incomes,
        "audit": audit,
    }


def both_paths(path, user, **kwargs):
    """(result, snapshot) of the row-wise path, then of the bulk path, each on the same starting registry."""
    outcomes = []
    for bulk in (False, True):
        with transaction.atomic():
            importer = imports.Importer(user=user, **kwargs)
            importer.bulk_min_rows = 0 if bulk else 10**9
            result = importer.run(path)
            # the bulk path must really take the file, not fall back
            assert importer.path == ("bulk" if bulk else "row-wise")
            outcomes.append((result, snapshot()))
            if bulk:
                both_paths.routed_rows = importer.routed_rows
            transaction.set_rollback(True)
    return outcomes


def errors(result):
    return sorted((e.row, e.column, e.value, e.reason) for e in result.errors)


def assert_same(outcomes):
    (rows_result, rows_data), (bulk_result, bulk_data) = outcomes
    assert errors(bulk_result) == errors(rows_result)
    for name in (
        "total_rows",
        "error_rows",
        "skipped_households",
        "skipped_rows",
        "households_created",
        "households_updated",
        "members_created",
        "members_updated",
        "unchanged_rows",
        "imported",
    ):
        assert getattr(bulk_result, name) == getattr(rows_result, name), name
    assert bulk_data == rows_data


def bad_households():
    """One household per rule, each broken the way a clerk would break it."""
    out = []

    def add(rows, **cells):
        for r in rows:
            r.update(cells)
        out.append(rows)

    h = household("甲一")
    h[1]["证件号码"] = h[1]["证件号码"][:17] + ("0" if h[1]["证件号码"][17] != "0" else "1")
    out.append(h)
    h = household("甲二")
    h[1]["性别"] = "女"
    out.append(h)
    add(household("甲三"), 贫困户属性="特别贫困户")
    h = household("甲四")
    h[1]["与户主关系"] = "户主"
    out.append(h)
    add(household("甲五"), 工资性收入="12.345")
    add(household("甲六"), **OTHER_COUNTY_PLACE)
    add(household("甲七"), 行政村="不存在村")
    add(household("甲八"), 主要致贫原因="")
    h = household("甲九")
    h[1]["务工时间（月）"] = "13"
    out.append(h)
    h = household("乙一")
    h[1]["识别年度"] = "2017"
    out.append(h)
    add(household("乙二"), 收入年度="")
    add(household("乙三"), 年人均纯收入="8450.00")
    add(household("乙四"), 家庭人口数="5")
    add(household("乙五"), 户状态="已脱贫")  # no 脱贫年度
    h = household("乙六")
    h[1]["姓名"] = ""
    out.append(h)
    h = household("乙七")
    h[1]["证件号码"] = "36072219990230001X"  # 30 February
    out.append(h)
    h = household("乙八")
    h[1]["残疾类别"] = "肢体残疾"  # without 残疾等级
    out.append(h)
    h = household(
        "乙九", members=[("乙小", "之子", timezone.localdate() - datetime.timedelta(days=800), "男")]
    )
    h[1]["在校生状况"] = "小学"  # two years old
    out.append(h)
    add(household("丙一"), 转移性收入="1")  # less than its parts (低保金 2400)
    add(household("丙二"), 户主姓名="别人")
    add(household("丙三"), **{"耕地面积（亩）": "-1"})
    add(household("丙四"), 联系电话="138-0013-8000x")
    h = household("丙五")
    h[1]["民族"] = "火星族"
    out.append(h)
    return out


def good_households(count, start=0):
    out = []
    for i in range(count):
        members = [
            ("成员" + str(i), "配偶", datetime.date(1970, 1, 1), "女"),
            ("小" + str(i), "之子", datetime.date(2001, 5, 6), "男"),
        ]
        out.append(
            household(
                "户主" + str(start + i),
                members=members[: 1 + i % 2],
                repeat=i % 3 != 0,
                **{
                    "耕地面积（亩）": f"{i % 7}.{i % 10}",
                    "工资性收入": str(1000 + i),
                    "生产经营性收入": f"{i}.5",
                },
            )
        )
    return out


def interleave(good, bad):
    rows = []
    for i, h in enumerate(good):
        rows += h
        if i < len(bad):
            rows += bad[i]
    for h in bad[len(good) :]:
        rows += h
    return rows


def test_a_good_file_writes_the_same_records(tmp_path, users):
    rows = [r for h in good_households(12) for r in h]
    outcomes = both_paths(write_csv(tmp_path / "good.csv", rows), users["county"])
    assert outcomes[1][0].imported and outcomes[1][0].households_created == 12
    assert both_paths.routed_rows == 0  # all written by the bulk path itself
    assert_same(outcomes)


def test_household_ids_not_in_one_run_still_pair_each_household_with_its_members(tmp_path, users):
    """The bulk path reserves each batch's household ids as a range, unless the sequence gave them apart
    (another writer's ids in between): a sequence stepping by 2 gives no run, so every id is fetched."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence('registry_household', 'id')")
        cursor.execute(f"ALTER SEQUENCE {cursor.fetchone()[0]} INCREMENT BY 2")  # rolled back with the test
    rows = [r for h in good_households(12) for r in h]
    path = write_csv(tmp_path / "gaps.csv", rows)
    outcomes = both_paths(path, users["county"])
    assert outcomes[1][0].households_created == 12 and both_paths.routed_rows == 0
    assert_same(outcomes)
    importer = imports.Importer(user=users["county"])
    importer.bulk_min_rows = 0
    assert importer.run(path).households_created == 12
    ids = sorted(Household.objects.values_list("id", flat=True))
    # each one the sequence gave, none taken past it (strict=False: each id with the next)
    assert {b - a for a, b in zip(ids, ids[1:], strict=False)} == {2}


def test_every_bad_row_is_reported_the_same_and_nothing_is_written(tmp_path, users):
    rows = interleave(good_households(10), bad_households())
    outcomes = both_paths(write_csv(tmp_path / "bad.csv", rows), users["county"])
    result = outcomes[1][0]
    assert not result.imported and result.error_rows >= len(bad_households())
    assert outcomes[1][1]["households"] == {}
    assert_same(outcomes)


def test_valid_rows_only_imports_the_same_households(tmp_path, users):
    rows = interleave(good_households(10), bad_households())
    outcomes = both_paths(write_csv(tmp_path / "bad.csv", rows), users["county"], only_valid_rows=True)
    assert outcomes[1][0].imported and outcomes[1][0].households_created == 10
    assert_same(outcomes)


def test_unusual_cells_take_the_row_wise_path_with_the_same_outcome(tmp_path, users):
    good = good_households(6)

    def household_cell(h, heading, value):
        for row in h:
            if row.get(heading):
                row[heading] = value

    household_cell(good[0], "户主姓名", " 户主0 ")  # spaces around a name: the converter strips them
    good[1][0]["姓名"] = "户主1\u3000"
    household_cell(good[2], "工资性收入", "1,200")  # a thousands separator
    good[3][0]["证件号码"] = good[3][0]["证件号码"].lower()
    household_cell(good[4], "耕地面积（亩）", "2.500")
    household_cell(good[5], "联系电话", " 13800138000")
    outcomes = both_paths(write_csv(tmp_path / "odd.csv", [r for h in good for r in h]), users["county"])
    assert outcomes[1][0].imported, errors(outcomes[1][0])
    assert_same(outcomes)


def test_duplicates_and_registered_people_are_reported_the_same(tmp_path, users):
    existing = factories.make_household(head="张三丰")
    taken = existing.members.get(relation="head").id_number
    good = good_households(5)
    good[1][1]["证件号码"] = good[0][0]["证件号码"]  # the same person twice in the file
    good[3][0]["证件号码"] = taken  # a person registered in another household
    outcomes = both_paths(
        write_csv(tmp_path / "dup.csv", [r for h in good for r in h]), users["county"], only_valid_rows=True
    )
    assert_same(outcomes)


@pytest.mark.parametrize("fetch_min", [0, 10**6])
def test_reimport_and_a_changed_cell_give_the_same_outcome(tmp_path, users, monkeypatch, fetch_min):
    from fupin.registry.importing import bulk as import_bulk

    monkeypatch.setattr(import_bulk, "REGISTRY_FETCH_MIN", fetch_min)  # one pass over the registry, or two
    rows = [r for h in good_households(8) for r in h]
    path = write_csv(tmp_path / "first.csv", rows)
    imports.import_file(path, user=users["county"])
    outcomes = both_paths(path, users["county"])
    assert (
        outcomes[1][0].unchanged_rows == 20 and both_paths.routed_rows == 0
    )  # found unchanged by the bulk path
    assert_same(outcomes)
    rows[2]["文化程度"] = "大专及以上"
    for row in rows[5:]:
        if row.get("户主证件号码") == rows[5]["户主证件号码"] and row.get("耕地面积（亩）"):
            row["耕地面积（亩）"] = "9.9"
    outcomes = both_paths(write_csv(tmp_path / "changed.csv", rows), users["county"])
    assert outcomes[1][0].members_updated == 1 and outcomes[1][0].households_updated == 2
    assert_same(outcomes)


def test_a_village_import_of_registered_households_is_reported_the_same(tmp_path, users):
    """A village may create households outside the registry only (issue 14, finding 1): the bulk path
    writes the applicants itself and routes the rest, which the row-wise path reports."""
    good = good_households(9)
    for h in good[::2]:
        for row in h:
            row.update(户状态="申请中", 识别年度="", 贫困户属性="")
    good[3][0].update(户状态="已脱贫", 脱贫年度="2020")
    outcomes = both_paths(
        write_csv(tmp_path / "village.csv", [r for h in good for r in h]),
        users["clerk"],
        only_valid_rows=True,
    )
    assert outcomes[1][0].households_created == 5 and outcomes[1][0].skipped_households == 4
    assert {e.column for e in outcomes[1][0].errors if e.reason.startswith("村、乡镇导入的新户")} == {
        "户状态",
        "贫困户属性",
        "识别年度",
        "脱贫年度",
    }
    assert_same(outcomes)


def test_other_county_and_xlsx(tmp_path, users):
    good = good_households(4)
    other = household("外县", place=OTHER_COUNTY_PLACE)
    rows = [r for h in good for r in h] + other
    assert_same(both_paths(write_csv(tmp_path / "c.csv", rows), users["county"], only_valid_rows=True))
    assert_same(
        both_paths(
            write_xlsx(tmp_path / "c.xlsx", rows, numbers=("工资性收入", "家庭人口数")),
            users["county"],
            only_valid_rows=True,
        )
    )


def test_parse_ids_agrees_with_idnumber_parse():
    import polars as pl
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from fupin.core import idnumber
    from fupin.registry.importing import columnar

    today = datetime.date(2026, 1, 1)

    def valid(day, n):
        first17 = f"360722{day:%Y%m%d}{n:03d}"
        return first17 + idnumber.check_character(first17)

    numbers = st.builds(
        valid, st.dates(datetime.date(1880, 1, 1), datetime.date(2030, 1, 1)), st.integers(0, 999)
    )

    @settings(max_examples=300, deadline=None)
    @given(
        st.lists(
            st.text(alphabet="0123456789Xx ", min_size=15, max_size=19)
            | numbers
            | numbers.map(lambda s: s[:17] + "0123456789X"[(int(s[17], 16) if s[17] != "X" else 10) - 1]),
            min_size=1,
            max_size=30,
        )
    )
    def check(values):
        parsed = columnar.parse_ids(pl.Series(values), today)
        for raw, ok, number, birth, sex in zip(
            values, parsed["ok"], parsed["number"], parsed["birth_date"], parsed["sex"], strict=True
        ):
            try:
                expected = idnumber.parse(raw, today=today)
            except idnumber.IdNumberError:
                assert not ok, raw
                continue
            assert ok or raw != raw.strip().upper(), (
                raw
            )  # a plain valid number is never left to the row-wise path
            if ok:
                assert (number, birth, sex) == (expected.number, expected.birth_date, expected.sex), raw

    check()


def test_households_of_agrees_with_grouping_the_rows():
    """Each household's values, agreement, heads and head row as a plain grouping of its rows gives them,
    whether a household column is repeated on every row, given on one row only, or given differently."""
    import polars as pl
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from fupin.registry.importing import bulk as import_bulk

    row = st.tuples(
        st.booleans(),
        st.sampled_from(["", "a", "b"]),
        st.sampled_from(["", "x"]),
        st.booleans(),
        st.booleans(),
    )

    @settings(max_examples=300, deadline=None)
    @given(st.lists(row, min_size=1, max_size=25))
    def check(rows):
        starts = [True] + [start for start, *_ in rows[1:]]
        cells = pl.DataFrame({"c1": [r[1] for r in rows], "c2": [r[2] for r in rows]})
        ok, head = pl.Series([r[3] for r in rows]), pl.Series([r[4] for r in rows])
        hh = import_bulk.households_of(cells, pl.Series(starts), ok, head)
        groups, current = [], None
        for i, start in enumerate(starts):
            if start:
                current = []
                groups.append(current)
            current.append(i)
        assert len(hh) == len(groups)
        for g, members in enumerate(groups):
            given_cells = {c: [rows[i][k] for i in members if rows[i][k]] for k, c in ((1, "c1"), (2, "c2"))}
            agree = all(len(set(v)) <= 1 for v in given_cells.values())
            heads = [i for i in members if rows[i][4]]
            assert hh["size"][g] == len(members)
            assert hh["fine"][g] == (agree and all(rows[i][3] for i in members))
            assert hh["heads"][g] == len(heads)
            assert hh["head_row"][g] == (heads[0] if heads else members[0])
            if agree:
                assert [hh["c1"][g], hh["c2"][g]] == [(v or [""])[0] for v in given_cells.values()]

    check()


# -- an import that owns its transaction: the writer's connection, and indexes rebuilt after a large load ---


def _schema():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = "
            "ANY("
            "'{registry_household,registry_member,registry_incomerecord}'::regclass[]) ORDER BY 1"
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = ANY("
            "'{registry_household,registry_member,registry_incomerecord}'::regclass[]) OR confrelid = ANY("
            "'{registry_household,registry_member,registry_incomerecord}'::regclass[]) ORDER BY 1"
        )
        return indexes, cursor.fetchall()


def _other_connections(expected=None):
    """Client connections to the test database besides this one (a closed one may take a moment to go)."""
    import time

    for _ in range(50):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
            )
            count = cursor.fetchone()[0]
        if expected is None or count == expected:
            return count
        time.sleep(0.1)
    return count


@pytest.mark.django_db(transaction=True)
def test_bulk_load_rebuilds_indexes_and_closes_its_connections(tmp_path, monkeypatch):
    factories.make_tree()
    loader = factories.make_user(
        "county", "county", factories.VILLAGE[:6]
    )  # 建档立卡 data is the county's to load
    monkeypatch.setattr(row_wise, "BULK_INDEX_MIN_ROWS", 1)
    monkeypatch.setattr(row_wise, "BULK_MIN_ROWS", 1)
    monkeypatch.setattr(row_wise, "BULK_CHUNK_ROWS", 7)  # several chunks: screening overlaps the writer
    before, connections = _schema(), _other_connections()
    dropped = []
    original = import_writer.Writer.drop_indexes
    monkeypatch.setattr(
        import_writer.Writer,
        "drop_indexes",
        lambda self, tables: (original(self, tables), dropped.append(len(self.rebuild))),
    )

    bad = [r for h in good_households(6) for r in h]
    bad[4]["性别"] = "女" if bad[4]["性别"] == "男" else "男"
    result = imports.import_file(write_csv(tmp_path / "bad.csv", bad), user=loader)
    assert not result.imported and Household.objects.count() == 0 and AuditEntry.objects.count() == 0
    assert _schema() == before

    rows = [r for h in good_households(9) for r in h]
    result = imports.import_file(write_csv(tmp_path / "good.csv", rows), user=loader)
    assert result.imported and result.households_created == 9 and Member.objects.count() == len(rows)
    assert dropped and dropped[-1] > 5  # the indexes, unique, primary and foreign keys went and came back
    assert _schema() == before
    assert AuditEntry.objects.filter(action="import_create").count() == 9
    assert _other_connections(connections) == connections

    # a person the registry gained while the file was being screened: the rebuilt unique index refuses the
    # load
    rows2 = [r for h in good_households(3, start=50) for r in h]
    path = write_csv(tmp_path / "late.csv", rows2)
    from django.db import IntegrityError

    from fupin.registry.importing import columnar, payloads

    real = payloads.batches

    # someone else's row with the same ID number as one of this load's members (read now: during the
    # load the writer holds the registry's tables)
    values = Member.objects.filter(id_number=rows[0]["证件号码"]).values(*import_columns.MEMBER_COLUMNS).get()
    values["id_number"] = rows2[0]["证件号码"]

    def sneak(screened, numbers, reserve, **kwargs):
        yield from real(screened, numbers, reserve, **kwargs)
        line = ",".join(columnar.copy_text(values[c]) for c in import_columns.MEMBER_COLUMNS) + "\n"
        yield payloads.Batch(0, [(Member._meta.db_table, import_columns.MEMBER_COLUMNS, line.encode())])

    monkeypatch.setattr(payloads, "batches", sneak)
    monkeypatch.setattr(row_wise, "estimated_rows", lambda model: 0)  # still a load "large" for the registry
    with pytest.raises(IntegrityError):
        imports.import_file(path, user=loader)
    assert Household.objects.count() == 9 and Member.objects.count() == len(rows)
    assert _schema() == before
    assert _other_connections(connections) == connections


def test_gbk_file_with_a_title_row(tmp_path, users):
    import csv

    rows = [r for h in good_households(5) for r in h]
    rows[3]["性别"] = "女" if rows[3]["性别"] == "男" else "男"
    path = tmp_path / "gbk.csv"
    with open(path, "w", encoding="gb18030", newline="") as fh:
        fh.write("贫困户信息采集表\n")
        writer = csv.writer(fh)
        writer.writerow(imports.HEADINGS)
        for row in rows:
            writer.writerow([row.get(h, "") for h in imports.HEADINGS])
    outcomes = both_paths(path, users["county"], only_valid_rows=True)
    assert outcomes[1][0].households_created == 4
    assert_same(outcomes)


def test_auto_numbers_skip_the_numbers_the_file_gives(tmp_path, users):
    good = good_households(4)
    for row in good[3]:
        row["户编号"] = factories.VILLAGE + "0001"  # what the first new household would be numbered
    path = write_csv(tmp_path / "n.csv", [r for h in good for r in h])
    importer = imports.Importer(user=users["county"])
    importer.bulk_min_rows = 0
    result = importer.run(path)
    assert result.imported and result.households_created == 4
    numbers = sorted(Household.objects.values_list("number", flat=True))
    assert numbers == [factories.VILLAGE + f"{n:04d}" for n in (1, 2, 3, 4)]


@pytest.mark.django_db(transaction=True)
def test_a_bulk_load_leaves_the_dashboard_figures_and_list_versions_right(tmp_path, monkeypatch, settings):
    """A load that rebuilds the indexes disables the list-version and rollup triggers for its duration and
    applies their effect once at its end: the figures still equal live counts and the villages' lists get new
    versions."""
    from fupin.reports import selectors as report_selectors
    from fupin.reports import services as report_services
    from fupin.reports.models import DirtyVillage, RegionStat, StatsState

    factories.make_tree()
    admin = factories.make_user("admin", superuser=True)
    county = factories.make_user("county", "county", factories.VILLAGE[:6])
    factories.make_household(factories.VILLAGE, members=2, income=None)
    factories.make_household(factories.OTHER_COUNTY_VILLAGE, members=3, income=None)
    settings.FUPIN_STATS_LIVE_LEVEL = 7  # every level read from the rollup (and the villages logged since)
    report_services.rebuild_stats()
    StatsState.objects.update(
        refresh_requested_at=timezone.now() + datetime.timedelta(days=1)
    )  # no refresh yet
    monkeypatch.setattr(row_wise, "BULK_INDEX_MIN_ROWS", 1)
    monkeypatch.setattr(row_wise, "BULK_MIN_ROWS", 1)
    monkeypatch.setattr(row_wise, "BULK_CHUNK_ROWS", 7)
    monkeypatch.setattr(row_wise, "estimated_rows", lambda model: 0)  # a load "large" for the registry
    disabled, planned = [], []
    original = import_writer.Writer.drop_indexes
    monkeypatch.setattr(
        import_writer.Writer,
        "drop_indexes",
        lambda self, tables: (original(self, tables), disabled.append(list(self.disabled))),
    )
    new_villages = import_plan.Plan.new_villages
    monkeypatch.setattr(
        import_plan.Plan, "new_villages", lambda self: planned.append(new_villages(self)) or planned[-1]
    )

    def versions():
        with connection.cursor() as cursor:
            cursor.execute("SELECT village_code, token FROM registry_listversion")
            return dict(cursor.fetchall())

    def triggers():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT tgname, tgenabled FROM pg_trigger WHERE NOT tgisinternal AND tgrelid = ANY("
                "'{registry_household,registry_member}'::regclass[]) ORDER BY 1"
            )
            return cursor.fetchall()

    def figures_equal_live_counts():
        for code in (
            "36",
            "3607",
            factories.VILLAGE[:6],
            factories.VILLAGE[:9],
            factories.VILLAGE,
            factories.SIBLING_VILLAGE,
            factories.OTHER_TOWNSHIP_VILLAGE[:9],
            factories.OTHER_TOWNSHIP_VILLAGE,
            factories.OTHER_COUNTY_VILLAGE[:6],
        ):
            settings.FUPIN_STATS_LIVE_LEVEL = 7
            rolled = report_selectors.region_figures(admin, code)
            settings.FUPIN_STATS_LIVE_LEVEL = 0
            live = report_selectors.region_figures(admin, code)
            assert rolled.source.startswith("rollup") and live.source == "live", code
            assert {k: v for k, v in rolled.total.items() if k[0] != "rural" and v[0]} == {
                k: v for k, v in live.total.items() if v[0]
            }, code

    from django.core.cache import cache
    from django.test import Client

    cache.clear()
    client = Client()
    client.force_login(county)
    listed = reverse("registry:household_list")
    assert (
        "户主20" not in client.get(listed, {"region": factories.SIBLING_VILLAGE}).content.decode()
    )  # now cached

    before_versions, before_triggers = versions(), triggers()
    assert all(enabled == "O" for _, enabled in before_triggers)
    rows = [r for h in good_households(8) for r in h] + [
        r | SIBLING_PLACE for h in good_households(5, start=20) for r in h
    ]
    # a household with an unusual cell (a space before an ID number) in a third village: the row-wise path
    # writes it
    routed = [r | {"乡（镇）": "大塘埠镇", "行政村": "大塘埠村"} for r in good_households(2, start=40)[1]]
    routed[-1]["证件号码"] = " " + routed[-1]["证件号码"]
    result = imports.import_file(write_csv(tmp_path / "three_villages.csv", rows + routed), user=county)
    assert result.imported and result.households_created == 14, result.errors[:3]
    assert [
        factories.OTHER_TOWNSHIP_VILLAGE
    ] in planned  # written by the row-wise path while the triggers were off
    assert disabled and {name for _, name in disabled[-1]} == {
        "registry_household_listversion_insert",
        "registry_member_listversion_insert",
        "reports_household_insert",
    }
    assert triggers() == before_triggers  # enabled again, in the load's own transaction

    after = versions()
    written = {factories.VILLAGE, factories.SIBLING_VILLAGE, factories.OTHER_TOWNSHIP_VILLAGE}
    changed = {code for code in after if after[code] != before_versions.get(code)}
    assert changed == written
    assert set(DirtyVillage.objects.values_list("village_code", flat=True)) == written
    figures_equal_live_counts()  # the rollup patched with the logged villages
    assert report_services.refresh_stats() == 3
    figures_equal_live_counts()  # and folded into it
    assert RegionStat.objects.filter(region_code=factories.SIBLING_VILLAGE).exists()

    # the village's list, cached before the load, is rendered afresh with the new households
    page = client.get(listed, {"region": factories.SIBLING_VILLAGE}).content.decode()
    assert "户主20" in page and "户主24" in page
    cache.clear()
