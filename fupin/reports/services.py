"""Keeping the statistics rollup: a full rebuild, and the refresh that folds in the villages written since.

Both run in one transaction, so a reader sees either the old rollup with its dirty-village log or
the new one with what remains of the log — never a half-built state (selectors._from_rollup).
"""
import time

from django.db import connection, transaction
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from fupin.regions.models import CODE_LENGTHS, RegionLevel
from fupin.procedures.models import VillageProfile
from fupin.registry.models import Household

from .models import DirtyVillage, RegionStat, StatsState
from .selectors import ROLLUP_METRICS

LOCK_KEY = 7_460_001  # pg_advisory_xact_lock key of the rollup's writers
VILLAGE_LENGTH = CODE_LENGTHS[RegionLevel.VILLAGE]
ANCESTOR_LENGTHS = [CODE_LENGTHS[level] for level in (RegionLevel.TOWNSHIP, RegionLevel.COUNTY, RegionLevel.PREFECTURE,
                                                      RegionLevel.PROVINCE)]


def _insert_village_rows(households, profiles) -> None:
    """Insert the village rows of `households` with one INSERT … SELECT per metric, grouped in the database,
    and each village's agricultural population per year (metric "rural") from its `profiles`."""
    table = connection.ops.quote_name(RegionStat._meta.db_table)
    with connection.cursor() as cur:
        sql, params = profiles.order_by().values("village_id", "year", "rural_population").query.sql_with_params()
        cur.execute(f"INSERT INTO {table} (region_code, metric, key, households, persons) "
                    f"SELECT s.village_id, 'rural', CAST(s.year AS TEXT), 0, s.rural_population FROM ({sql}) s", params)
        for metric, (condition, group_field) in ROLLUP_METRICS.items():
            grouped = (households.filter(condition).order_by().values("village_id", group_field)
                       .annotate(n=Count("pk"), p=Coalesce(Sum("size"), 0)))
            sql, params = grouped.query.sql_with_params()
            column = connection.ops.quote_name(group_field)
            cur.execute(
                f"INSERT INTO {table} (region_code, metric, key, households, persons) "
                f"SELECT s.village_id, %s, COALESCE(NULLIF(CAST(s.{column} AS TEXT), ''), 'none'), s.n, s.p FROM ({sql}) s",
                [metric, *params])


def _roll_up() -> None:
    """Every township, county, prefecture and province row as the sum of its villages' rows."""
    table = connection.ops.quote_name(RegionStat._meta.db_table)
    with connection.cursor() as cur:
        for length in ANCESTOR_LENGTHS:
            cur.execute(
                f"INSERT INTO {table} (region_code, metric, key, households, persons) "
                f"SELECT substr(region_code, 1, {length}), metric, key, sum(households), sum(persons) FROM {table} "
                f"WHERE length(region_code) = {VILLAGE_LENGTH} GROUP BY 1, 2, 3")


@transaction.atomic
def rebuild_stats(*, log=None) -> float:
    """Rebuild the whole rollup from the household table; seconds taken."""
    _lock()
    started = time.perf_counter()
    last = DirtyVillage.objects.order_by("-pk").values_list("pk", flat=True).first()
    RegionStat.objects.all().delete()  # a DELETE, not TRUNCATE: readers keep the old rows until commit
    _insert_village_rows(Household.objects.all(), VillageProfile.objects.all())
    _roll_up()
    if last is not None:
        DirtyVillage.objects.filter(pk__lte=last).delete()
    seconds = time.perf_counter() - started
    now = timezone.now()
    StatsState.objects.update_or_create(pk=1, defaults={"built_at": now, "refreshed_at": now, "seconds": seconds})
    if log:
        log(f"统计汇总已重建：{RegionStat.objects.count():,} 行，用时 {seconds:.1f} 秒")
    return seconds


def _lock() -> None:
    """One rebuild or refresh at a time (PostgreSQL; SQLite's IMMEDIATE transactions already serialise writers)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def _rows(codes) -> dict[tuple[str, str, str], list[int]]:
    return {(r.region_code, r.metric, r.key): [r.households, r.persons] for r in RegionStat.objects.filter(region_code__in=codes)}


@transaction.atomic
def refresh_stats() -> int:
    """Fold the villages written since the last refresh into the rollup; the number of villages.

    The villages' rows are recounted; their ancestors' rows change by the difference, so a refresh
    costs in proportion to the villages written, not to the province.
    """
    _lock()
    if not StatsState.objects.filter(built_at__isnull=False).exists():
        return 0
    last = DirtyVillage.objects.order_by("-pk").values_list("pk", flat=True).first()
    if last is None:
        return 0
    villages = sorted(set(DirtyVillage.objects.filter(pk__lte=last).values_list("village_code", flat=True)))
    before = _rows(villages)
    RegionStat.objects.filter(region_code__in=villages).delete()
    _insert_village_rows(Household.objects.filter(village_id__in=villages), VillageProfile.objects.filter(village_id__in=villages))
    after = _rows(villages)
    delta: dict[tuple[str, str, str], list[int]] = {}
    for sign, rows in ((-1, before), (1, after)):
        for (village, metric, key), (h, p) in rows.items():
            for length in ANCESTOR_LENGTHS:
                cell = delta.setdefault((village[:length], metric, key), [0, 0])
                cell[0] += sign * h
                cell[1] += sign * p
    delta = {k: v for k, v in delta.items() if v != [0, 0]}
    ancestors = {r.region_code + "\0" + r.metric + "\0" + r.key: r
                 for r in RegionStat.objects.filter(region_code__in={k[0] for k in delta})}
    changed, created, emptied = [], [], []
    for (code, metric, key), (h, p) in delta.items():
        row = ancestors.get(code + "\0" + metric + "\0" + key)
        if row is None:
            created.append(RegionStat(region_code=code, metric=metric, key=key, households=h, persons=p))
            continue
        row.households += h
        row.persons += p
        (emptied if row.households == 0 and row.persons == 0 else changed).append(row)
    RegionStat.objects.bulk_update(changed, ["households", "persons"], batch_size=1000)
    RegionStat.objects.bulk_create(created, batch_size=1000)
    RegionStat.objects.filter(pk__in=[r.pk for r in emptied]).delete()
    DirtyVillage.objects.filter(pk__lte=last).delete()
    StatsState.objects.filter(pk=1).update(refreshed_at=timezone.now())
    return len(villages)
