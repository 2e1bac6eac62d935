"""Benchmark: import N persons from the national template (CSV) into PostgreSQL, against raw COPY.

    createdb -h 127.0.0.1 -U postgres fupin_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fupin_bench .venv/bin/python bench/bench_import.py
    [--persons 1000000]

It loads the division tree of 赣州市 (all its counties, townships and villages), writes a CSV
of N persons in households of 1–6 (household columns repeated on every row, as national
exports do), then in the same process:

  1. baseline: COPY of the same file into a plain table of text columns (no checks at all);
  2. the product: fupin.registry.importing.rows.Importer on the file — every cell validated, ID
     numbers checked, one person in one household, the household's region resolved and in
     scope — written into the registry's tables with their indexes, constraints and audit;
  3. the same file again: idempotency, nothing changes.

It prints rows per second for each and the ratio of the import's time to COPY's (target:
within 3.5x, the encryption of ID numbers, phones and bank accounts included) with the load average after
each, and the import's stages (reading, the registry reads, screening, the writer's COPY per table, the index
rebuild) and its process's CPU time. The machine is shared: `--rounds 3` alternates COPY and the import three
times (the registry emptied and the importer's caches dropped before each, so each is a first import) and
compares the medians. The database must be a scratch one: its name must contain "bench", and the
registry's tables in it are emptied first.
"""

import argparse
import csv
import datetime
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.settings")

PREFECTURE = "3607"  # 赣州市
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
    "于蒋蔡余杜叶程苏魏吕丁任沈姚卢钟廖赖邱温"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉梅金凤春生海燕文辉小龙云飞永福德胜"


def setup_django():
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit(
            "set DATABASE_URL to a PostgreSQL scratch database (e.g. "
            "postgres://postgres@127.0.0.1:5432/fupin_bench)"
        )
    if "bench" not in connection.settings_dict["NAME"]:
        sys.exit(
            f"refusing to empty {connection.settings_dict['NAME']!r}: "
            "use a database whose name contains 'bench'"
        )


def empty_registry():
    """The registry's tables emptied, and the importer's per-process caches too: each import is a first
    one."""
    from django.db import connection

    from fupin.registry.importing import initials, regions

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE audit_auditentry, audit_chainhead, audit_anchor, registry_incomerecord, "
            "registry_guaranteecheck, registry_member, registry_household, registry_importjob RESTART "
            "IDENTITY CASCADE"
        )
    regions.INITIALS.clear()
    initials._KNOWN_INITIALS[0] = initials._KNOWN_INITIALS[0].clear()


def prepare_database():
    from django.core.management import call_command

    from fupin.accounts.models import User
    from fupin.regions.models import Region, RegionLevel
    from fupin.regions.services import load_regions, read_divisions, select_divisions

    call_command("migrate", verbosity=0)
    if not Region.objects.filter(code__startswith=PREFECTURE, level=RegionLevel.VILLAGE).exists():
        load_regions(select_divisions(read_divisions(), under=[PREFECTURE], depth=RegionLevel.COUNTY))
    empty_registry()
    user = User.objects.filter(username="bench").first()
    if user is None:
        user = User(username="bench", is_superuser=True, is_staff=True, full_name="bench")
        user.set_unusable_password()
        user.save()
    return user


def villages():
    from fupin.regions.models import Region, RegionLevel

    names = dict(
        Region.objects.filter(code__startswith=PREFECTURE[:2], level__lt=RegionLevel.VILLAGE).values_list(
            "code", "name"
        )
    )
    out = []
    villages_ = Region.objects.filter(code__startswith=PREFECTURE, level=RegionLevel.VILLAGE).order_by("code")
    for code, name in villages_.values_list("code", "name"):
        out.append((names[code[:2]], names[code[:4]], names[code[:6]], names[code[:9]], name))
    return out


def generate(path: Path, persons: int, places: list, seed: int = 20240601) -> int:
    """Write the CSV; returns the number of households. Valid, unique ID numbers throughout."""
    from fupin.core.idnumber import check_character
    from fupin.registry.imports import HEADINGS

    rng = random.Random(seed)
    index = {h: i for i, h in enumerate(HEADINGS)}
    member_phone_at = len(HEADINGS) - 1
    serial = 0
    households = 0
    written = 0
    types = ["一般贫困户"] * 6 + ["低保贫困户"] * 3 + ["特困供养贫困户"]
    causes = ["因病", "因残", "因学", "因灾", "缺土地", "缺技术", "缺劳力", "缺资金", "自身发展动力不足"]

    def new_id(year: int, male: bool) -> tuple[str, datetime.date]:
        """A unique number: the serial fixes the area code, the sequence and the day of the year."""
        nonlocal serial
        serial += 1
        area = 360700 + serial % 6 + 10 * (serial // 1_095_000)
        seq = (serial // 6) % 500 * 2 + (1 if male else 0)
        birth = datetime.date(year, 1, 1) + datetime.timedelta(days=(serial // 3000) % 365)
        first17 = f"{area:06d}{birth:%Y%m%d}{seq:03d}"
        return first17 + check_character(first17), birth

    def name() -> str:
        return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))

    sizes = (1, 2, 3, 3, 4, 4, 4, 5, 5, 6)
    expected_households = persons * len(sizes) / sum(sizes)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADINGS)
        while written < persons:
            size = min(rng.choice(sizes), persons - written)
            # a county's file lists its villages in turn, as the national system exports them
            place = places[min(int(households * len(places) / expected_households), len(places) - 1)]
            households += 1
            head_id, head_birth = new_id(1940 + rng.randrange(45), True)
            head_name = name()
            status = "已脱贫" if households % 5 == 0 else "贫困户"
            wages = rng.randrange(0, 30000, 100)
            base = [""] * len(HEADINGS)
            for heading, value in {
                "省": place[0],
                "市": place[1],
                "县": place[2],
                "乡（镇）": place[3],
                "行政村": place[4],
                "户主姓名": head_name,
                "户主证件号码": head_id,
                "联系电话": f"139{rng.randrange(10**8):08d}",
                "开户银行": "农村信用合作联社",
                "银行账号": f"6217{rng.randrange(10**15):015d}",
                "识别标准": "国家",
                "贫困户属性": rng.choice(types),
                "主要致贫原因": rng.choice(causes),
                "其他致贫原因": "缺技术、缺资金",
                "家庭人口数": str(size),
                "是否军烈属": "否",
                "是否独生子女户": "否",
                "是否双女户": "否",
                "耕地面积（亩）": f"{rng.randrange(0, 80) / 10}",
                "有效灌溉面积（亩）": "1.5",
                "林地面积（亩）": str(rng.randrange(30)),
                "退耕还林面积（亩）": "0",
                "牧草地面积（亩）": "0",
                "水面面积（亩）": "0",
                "住房面积（㎡）": str(rng.randrange(40, 160)),
                "是否危房户": "否",
                "与村主干路距离（公里）": f"{rng.randrange(0, 50) / 10}",
                "入户路类型": "水泥路",
                "是否通生活用电": "是",
                "是否通广播电视": "是",
                "饮水是否困难": "否",
                "饮水是否安全": "是",
                "主要燃料类型": rng.choice(("柴草", "燃气", "电")),
                "有无卫生厕所": rng.choice(("有", "无")),
                "是否加入农民专业合作社": "否",
                "识别年度": str(rng.choice((2014, 2015, 2016))),
                "脱贫年度": "2019" if status == "已脱贫" else "",
                "户状态": status,
                "收入年度": "2023",
                "工资性收入": str(wages),
                "生产经营性收入": f"{rng.randrange(0, 500000) / 100:.2f}",
                "财产性收入": "0",
                "转移性收入": "",
                "计划生育金": "0",
                "低保金": str(rng.choice((0, 0, 2400, 3600))),
                "特困供养金": "0",
                "养老保险金": "1320",
                "生态补偿金": "0",
                "其他转移性收入": "0",
                "生产经营性支出": str(rng.randrange(0, 3000)),
            }.items():
                base[index[heading]] = value
            for m in range(size):
                row = list(base)
                if m == 0:
                    number, relation, birth, male, member_name = head_id, "户主", head_birth, True, head_name
                else:
                    relation = (
                        rng.choice(("配偶", "之子", "之女", "之孙子", "之孙女", "之母")) if m > 1 else "配偶"
                    )
                    male = relation in ("之子", "之孙子")
                    number, birth = new_id(1950 + rng.randrange(70), male)
                    member_name = name()
                age = 2024 - birth.year
                working = 18 <= age < 60
                for heading, value in (
                    ("姓名", member_name),
                    ("性别", "男" if male else "女"),
                    ("证件号码", number),
                    ("与户主关系", relation),
                    ("民族", "汉族"),
                    ("政治面貌", "群众"),
                    ("文化程度", rng.choice(("小学", "初中", "高中"))),
                    ("在校生状况", "非在校生"),
                    ("健康状况", rng.choice(("健康", "健康", "健康", "长期慢性病"))),
                    ("劳动技能", "普通劳动力" if working else "无劳动力"),
                    ("务工状况", "省外务工" if working else "未务工"),
                    ("务工时间（月）", str(rng.randrange(1, 13)) if working else "0"),
                    ("是否参加城乡居民基本医疗保险", "是"),
                    ("是否参加大病保险", "是"),
                    ("是否参加城乡居民基本养老保险", "是" if age >= 16 else "否"),
                    ("是否享受人身意外保险补贴", "否"),
                    ("是否现役军人", "否"),
                    ("残疾类别", ""),
                    ("残疾等级", ""),
                ):
                    row[index[heading]] = value
                row[member_phone_at] = f"138{rng.randrange(10**8):08d}" if working else ""
                writer.writerow(row)
                written += 1
    return households


def raw_copy(path: Path) -> float:
    """COPY the file as it is into a plain table of text columns; seconds."""
    from django.db import connection

    from fupin.registry.imports import HEADINGS

    columns = ", ".join(f"c{i} text" for i in range(len(HEADINGS)))
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_raw_copy")
        cursor.execute(f"CREATE TABLE bench_raw_copy ({columns})")
    started = time.perf_counter()
    with connection.cursor() as cursor, open(path, "rb") as fh:
        with cursor.cursor.copy("COPY bench_raw_copy FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
            while block := fh.read(1 << 20):
                copy.write(block)
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_raw_copy")
    return elapsed


REGISTRY_TABLES = ["registry_household", "registry_member", "registry_incomerecord", "audit_auditentry"]


def registry_copy() -> tuple[float, int]:
    """COPY the rows the import wrote back into the emptied registry tables (their indexes, constraints
    and foreign keys, one transaction): the database's own share of the import. Seconds, bytes."""
    import io

    from django.db import connection, transaction

    dumps = {}
    with connection.cursor() as cursor:
        for table in REGISTRY_TABLES:
            buffer = io.BytesIO()
            with cursor.cursor.copy(f'COPY "{table}" TO STDOUT') as copy:
                for data in copy:
                    buffer.write(data)
            dumps[table] = buffer.getvalue()
        cursor.execute("TRUNCATE " + ", ".join(REGISTRY_TABLES) + " CASCADE")
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for table in REGISTRY_TABLES:
            with cursor.cursor.copy(f'COPY "{table}" FROM STDIN') as copy:
                data = dumps[table]
                for i in range(0, len(data), 1 << 20):
                    copy.write(data[i : i + (1 << 20)])
    return time.perf_counter() - started, sum(map(len, dumps.values()))


def product_import(path: Path, user) -> tuple[float, object]:
    from fupin.registry.imports import Importer

    last = [0.0]

    def progress(stage, done, total):
        now = time.perf_counter()
        if now - last[0] > 2 or done == total:
            last[0] = now
            print(f"\r  {stage} {done:,}/{total:,}", end="", file=sys.stderr, flush=True)

    started, cpu = time.perf_counter(), time.process_time()
    importer = Importer(user=user, scope_code=PREFECTURE, progress=progress)
    result = importer.run(path)
    elapsed = time.perf_counter() - started
    print(file=sys.stderr)
    print(
        "  CPU of this process (every thread; the database's is not counted): "
        f"{time.process_time() - cpu:.1f} s",
        file=sys.stderr,
    )
    timings = getattr(importer, "timings", {})
    if timings:
        print(
            "  stages: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items() if isinstance(v, float)),
            file=sys.stderr,
        )
        if timings.get("rebuild each"):
            print(
                "  rebuilt: " + ", ".join(f"{name.strip()} {t} s" for t, name in timings["rebuild each"]),
                file=sys.stderr,
            )
    if not result.imported:
        sys.exit(f"the import refused the generated file: {result.errors[:5]}")
    return elapsed, result


def load_average() -> str:
    return "load " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument(
        "--csv",
        type=Path,
        default=ROOT / "var" / "bench_import.csv",
        help="where the generated file goes (reused when it has the right size)",
    )
    parser.add_argument("--profile", type=Path, help="write a cProfile of the import to this file")
    parser.add_argument("--skip-reimport", action="store_true")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help=(
            "COPY and import alternated this many times (the registry emptied before each), medians compared"
        ),
    )
    args = parser.parse_args()
    setup_django()
    user = prepare_database()
    marker = args.csv.with_suffix(".persons")
    if not (args.csv.exists() and marker.exists() and marker.read_text() == str(args.persons)):
        print(f"generating {args.persons:,} persons → {args.csv}", file=sys.stderr)
        households = generate(args.csv, args.persons, villages())
        marker.write_text(str(args.persons))
        print(f"  {households:,} households, {args.csv.stat().st_size / 1e6:,.0f} MB", file=sys.stderr)
    persons = args.persons

    copies, imports_ = [], []
    for round_ in range(args.rounds):
        if round_:
            empty_registry()
            print(f"round {round_ + 1}:", file=sys.stderr)
        copy_seconds = raw_copy(args.csv)
        print(
            f"raw COPY:        {copy_seconds:7.2f} s  {persons / copy_seconds:>10,.0f} rows/s  "
            f"({load_average()})"
        )
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        import_seconds, result = product_import(args.csv, user)
        if args.profile:
            profiler.disable()
            profiler.dump_stats(args.profile)
        print(
            f"fupin import:    {import_seconds:7.2f} s  {persons / import_seconds:>10,.0f} rows/s  "
            f"({result.households_created:,} households, {result.members_created:,} persons created; "
            f"{load_average()})"
        )
        print(
            f"ratio import/COPY: {import_seconds / copy_seconds:.2f}x  (target ≤ 3.5x, encryption included)"
        )
        copies.append(copy_seconds)
        imports_.append(import_seconds)
    if args.rounds > 1:
        import statistics

        copy_seconds, import_seconds = statistics.median(copies), statistics.median(imports_)
        print(
            f"medians of {args.rounds} rounds: raw COPY {copy_seconds:.2f} s, import {import_seconds:.2f} s, "
            f"ratio {import_seconds / copy_seconds:.2f}x  (target ≤ 3.5x, encryption included)"
        )
    if not args.skip_reimport:
        again_seconds, again = product_import(args.csv, user)
        print(
            f"re-import (no change): {again_seconds:7.2f} s  {persons / again_seconds:>10,.0f} rows/s  "
            f"({again.unchanged_rows:,} rows unchanged, {again.households_updated} households updated)"
        )
    table_seconds, size = registry_copy()
    print(
        "COPY of the imported rows into the registry's tables (indexes, constraints, FKs): "
        f"{table_seconds:7.2f} s "
        f"({size / 1e6:,.0f} MB) — the database's share; import/this = {import_seconds / table_seconds:.2f}x"
    )


if __name__ == "__main__":
    main()
