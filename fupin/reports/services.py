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
from fupin.registry.models import Household

from .models import DirtyVillage, RegionStat, StatsState
from .selectors import ROLLUP_METRICS

VILLAGE_LENGTH = CODE_LENGTHS[RegionLevel.VILLAGE]
ANCESTOR_LENGTHS = [CODE_LENGTHS[level] for level in (RegionLevel.TOWNSHIP, RegionLevel.COUNTY, RegionLevel.PREFECTURE,
                                                      RegionLevel.PROVINCE)]


def _insert_village_rows(households) -> None:
    """Insert the village rows of `households` with one INSERT … SELECT per metric, grouped in the database."""
    table = connection.ops.quote_name(RegionStat._meta.db_table)
    with connection.cursor() as cur:
        for metric, (condition, group_field) in ROLLUP_METRICS.items():
            grouped = (households.filter(condition).order_by().values("village_id", group_field)
                       .annotate(n=Count("pk"), p=Coalesce(Sum("size"), 0)))
            sql, params = grouped.query.sql_with_params()
            column = connection.ops.quote_name(group_field)
            cur.execute(
                f"INSERT INTO {table} (region_code, metric, key, households, persons) "
                f"SELECT s.village_id, %s, COALESCE(NULLIF(CAST(s.{column} AS TEXT), ''), 'none'), s.n, s.p FROM ({sql}) s",
                [metric, *params])


def _roll_up(prefixes: list[str] | None) -> None:
    """Recompute the rows of every township, county, prefecture and province (or only those
    that are ancestors of `prefixes`) as sums of their villages' rows."""
    table = connection.ops.quote_name(RegionStat._meta.db_table)
    with connection.cursor() as cur:
        for length in ANCESTOR_LENGTHS:
            if prefixes is None:
                cur.execute(f"DELETE FROM {table} WHERE length(region_code) = %s", [length])
                where, params = "", []
            else:
                codes = sorted({p[:length] for p in prefixes})
                if not codes:
                    continue
                marks = ", ".join(["%s"] * len(codes))
                cur.execute(f"DELETE FROM {table} WHERE region_code IN ({marks})", codes)
                where, params = f" AND substr(region_code, 1, {length}) IN ({marks})", codes
            cur.execute(
                f"INSERT INTO {table} (region_code, metric, key, households, persons) "
                f"SELECT substr(region_code, 1, {length}), metric, key, sum(households), sum(persons) FROM {table} "
                f"WHERE length(region_code) = {VILLAGE_LENGTH}{where} GROUP BY 1, 2, 3", params)


@transaction.atomic
def rebuild_stats(*, log=None) -> float:
    """Rebuild the whole rollup from the household table; seconds taken."""
    started = time.perf_counter()
    last = DirtyVillage.objects.order_by("-pk").values_list("pk", flat=True).first()
    RegionStat.objects.all().delete()  # a DELETE, not TRUNCATE: readers keep the old rows until commit
    _insert_village_rows(Household.objects.all())
    _roll_up(None)
    if last is not None:
        DirtyVillage.objects.filter(pk__lte=last).delete()
    seconds = time.perf_counter() - started
    now = timezone.now()
    StatsState.objects.update_or_create(pk=1, defaults={"built_at": now, "refreshed_at": now, "seconds": seconds})
    if log:
        log(f"统计汇总已重建：{RegionStat.objects.count():,} 行，用时 {seconds:.1f} 秒")
    return seconds


@transaction.atomic
def refresh_stats() -> int:
    """Fold the villages written since the last refresh into the rollup; the number of villages."""
    if not StatsState.objects.filter(built_at__isnull=False).exists():
        return 0
    last = DirtyVillage.objects.order_by("-pk").values_list("pk", flat=True).first()
    if last is None:
        return 0
    villages = sorted(set(DirtyVillage.objects.filter(pk__lte=last).values_list("village_code", flat=True)))
    RegionStat.objects.filter(region_code__in=villages).delete()
    _insert_village_rows(Household.objects.filter(village_id__in=villages))
    _roll_up(villages)
    DirtyVillage.objects.filter(pk__lte=last).delete()
    StatsState.objects.filter(pk=1).update(refreshed_at=timezone.now())
    return len(villages)
