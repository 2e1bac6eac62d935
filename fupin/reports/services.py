"""Keeping the statistics rollups (RegionStat, CaseworkStat): a full rebuild, and the refresh that folds in
the villages written since. The rebuild also recounts LoanStat and ProblemStat, which their triggers otherwise
keep.

Both run in one transaction, so a reader sees either the old rollup with its dirty-village log or
the new one with what remains of the log — never a half-built state (selectors._from_rollup).
"""

import time
from collections.abc import Callable
from importlib import import_module
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from fupin.procedures.models import VillageProfile
from fupin.regions.models import CODE_LENGTHS, RegionLevel
from fupin.registry.models import Household

from .casework_figures import casework_groups, villages_where
from .models import CaseworkStat, DirtyVillage, LoanStat, ProblemStat, RegionStat, StatsState
from .selectors import ROLLUP_METRICS

LOCK_KEY = 7_460_001  # pg_advisory_xact_lock key of the rollup's writers
VILLAGE_LENGTH = CODE_LENGTHS[RegionLevel.VILLAGE]
ANCESTOR_LENGTHS = [
    CODE_LENGTHS[level]
    for level in (RegionLevel.TOWNSHIP, RegionLevel.COUNTY, RegionLevel.PREFECTURE, RegionLevel.PROVINCE)
]


def _insert_village_rows(households: QuerySet, profiles: QuerySet) -> None:
    """Insert the village rows of `households` with one INSERT … SELECT per metric, grouped in the database,
    and each village's agricultural population per year (metric "rural") from its `profiles`."""
    table = connection.ops.quote_name(RegionStat._meta.db_table)
    with connection.cursor() as cur:
        sql, params = (
            profiles.order_by().values("village_id", "year", "rural_population").query.sql_with_params()
        )
        cur.execute(
            f"INSERT INTO {table} (region_code, metric, key, households, persons) "
            f"SELECT s.village_id, 'rural', CAST(s.year AS TEXT), 0, s.rural_population FROM ({sql}) s",
            params,
        )
        for metric, (condition, group_field) in ROLLUP_METRICS.items():
            grouped = (
                households.filter(condition)
                .order_by()
                .values("village_id", group_field)
                .annotate(n=Count("pk"), p=Coalesce(Sum("size"), 0))
            )
            sql, params = grouped.query.sql_with_params()
            column = connection.ops.quote_name(group_field)
            cur.execute(
                f"INSERT INTO {table} (region_code, metric, key, households, persons) "
                f"SELECT s.village_id, %s, COALESCE(NULLIF(CAST(s.{column} AS TEXT), ''), 'none'), s.n, s.p "
                f"FROM ({sql}) s",
                [metric, *params],
            )


def _insert_casework_village_rows(villages: list[str] | None) -> None:
    """Insert the case-work village rows (of `villages`, None: all) with one INSERT … SELECT per figure."""
    table = connection.ops.quote_name(CaseworkStat._meta.db_table)
    with connection.cursor() as cur:
        for metric, grouped in casework_groups(villages_where(villages), VILLAGE_LENGTH):
            sql, params = grouped.query.sql_with_params()
            cur.execute(
                f"INSERT INTO {table} (region_code, metric, year, key, households) "
                f"SELECT s.area, %s, s.grp_year, COALESCE(CAST(s.grp_key AS TEXT), ''), s.n FROM ({sql}) s",
                [metric, *params],
            )


# each rollup table: its model, the fields that key a row besides the region, and the counted fields
TABLES = {
    "households": (RegionStat, ("metric", "key"), ("households", "persons")),
    "casework": (CaseworkStat, ("metric", "year", "key"), ("households",)),
}


def _roll_up(model: Any = RegionStat) -> None:
    """Every township, county, prefecture and province row as the sum of its villages' rows."""
    _, keys, values = next(t for t in TABLES.values() if t[0] is model)
    table = connection.ops.quote_name(model._meta.db_table)
    key_columns = ", ".join(connection.ops.quote_name(k) for k in keys)
    sums = ", ".join(f"sum({v})" for v in values)
    group = ", ".join(str(i) for i in range(1, len(keys) + 2))
    with connection.cursor() as cur:
        for length in ANCESTOR_LENGTHS:
            cur.execute(
                f"INSERT INTO {table} (region_code, {key_columns}, {', '.join(values)}) "
                f"SELECT substr(region_code, 1, {length}), {key_columns}, {sums} FROM {table} "
                f"WHERE length(region_code) = {VILLAGE_LENGTH} GROUP BY {group}"
            )


@transaction.atomic
def rebuild_stats(*, log: Callable[[str], object] | None = None) -> float:
    """Rebuild the whole rollup from the household table; seconds taken."""
    _lock()
    started = time.perf_counter()
    last = DirtyVillage.objects.order_by("-pk").values_list("pk", flat=True).first()
    RegionStat.objects.all().delete()  # a DELETE, not TRUNCATE: readers keep the old rows until commit
    _insert_village_rows(Household.objects.all(), VillageProfile.objects.all())
    _roll_up(RegionStat)
    CaseworkStat.objects.all().delete()
    _insert_casework_village_rows(None)
    _roll_up(CaseworkStat)
    if last is not None:
        DirtyVillage.objects.filter(pk__lte=last).delete()
    if connection.vendor == "postgresql":  # the tables were refilled: plan their reads on fresh statistics
        _recount_trigger_kept()
        with connection.cursor() as cur:
            tables = (RegionStat, CaseworkStat, LoanStat, ProblemStat, DirtyVillage)
            cur.execute("ANALYZE " + ", ".join(m._meta.db_table for m in tables))
    seconds = time.perf_counter() - started
    now = timezone.now()
    StatsState.objects.update_or_create(
        pk=1, defaults={"built_at": now, "casework_built_at": now, "refreshed_at": now, "seconds": seconds}
    )
    if log:
        log(
            f"统计汇总已重建：{RegionStat.objects.count():,} 行户数人数、"
            f"{CaseworkStat.objects.count():,} 行帮扶监测，"
            f"用时 {seconds:.1f} 秒"
        )
    return seconds


def _recount_trigger_kept() -> None:
    """LoanStat and ProblemStat from their tables (their triggers keep them; a rebuild recounts them all the
    same), PostgreSQL only, with the triggers' own definition of a row's share."""
    loans, problems = (
        import_module(f"fupin.reports.migrations.{name}") for name in ("0007_loan_stat", "0009_problem_stat")
    )
    LoanStat.objects.all().delete()
    ProblemStat.objects.all().delete()
    with connection.cursor() as cur:
        cur.execute(loans.UPSERT.format(deltas=loans.loan_rows("funds_loan", 1)))
        cur.execute(problems.UPSERT.format(deltas=problems.problem_rows("monitoring_problem", 1)))


def _lock() -> None:
    """One rebuild or refresh at a time (PostgreSQL; SQLite's IMMEDIATE transactions already serialise
    writers)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def _rows(
    model: Any, keys: tuple[str, ...], values: tuple[str, ...], codes: list[str]
) -> dict[tuple, list[int]]:
    return {
        tuple(r[: len(keys) + 1]): list(r[len(keys) + 1 :])
        for r in model.objects.filter(region_code__in=codes).values_list("region_code", *keys, *values)
    }


@transaction.atomic
def refresh_stats() -> int:
    """Fold the villages written since the last refresh into the rollups; the number of villages.

    The villages' rows are recounted; their ancestors' rows change by the difference, so a refresh
    costs in proportion to the villages written, not to the province.
    """
    _lock()
    state = StatsState.objects.filter(built_at__isnull=False).first()
    if state is None:
        return 0
    last = DirtyVillage.objects.order_by("-pk").values_list("pk", flat=True).first()
    if last is None:
        return 0
    villages = sorted(set(DirtyVillage.objects.filter(pk__lte=last).values_list("village_code", flat=True)))
    recount = {
        "households": lambda: _insert_village_rows(
            Household.objects.filter(village_id__in=villages),
            VillageProfile.objects.filter(village_id__in=villages),
        )
    }
    if state.casework_built_at is not None:  # else not built yet: the first rebuild builds it
        recount["casework"] = lambda: _insert_casework_village_rows(villages)
    for name, insert in recount.items():
        _fold(*TABLES[name], villages, insert)
    DirtyVillage.objects.filter(pk__lte=last).delete()
    StatsState.objects.filter(pk=1).update(refreshed_at=timezone.now())
    return len(villages)


def _fold(
    model: Any,
    keys: tuple[str, ...],
    values: tuple[str, ...],
    villages: list[str],
    insert: Callable[[], object],
) -> None:
    """Recount the villages' rows of one rollup table and change their ancestors' rows by the difference."""
    before = _rows(model, keys, values, villages)
    model.objects.filter(region_code__in=villages).delete()
    insert()
    after = _rows(model, keys, values, villages)
    delta: dict[tuple, list[int]] = {}
    for sign, rows in ((-1, before), (1, after)):
        for (village, *key), counted in rows.items():
            for length in ANCESTOR_LENGTHS:
                cell = delta.setdefault((village[:length], *key), [0] * len(values))
                for i, n in enumerate(counted):
                    cell[i] += sign * n
    delta = {k: v for k, v in delta.items() if any(v)}
    ancestors = {
        (r.region_code, *(getattr(r, k) for k in keys)): r
        for r in model.objects.filter(region_code__in={k[0] for k in delta})
    }
    changed: list[Any] = []
    created: list[Any] = []
    emptied: list[Any] = []
    for (code, *key), counted in delta.items():
        row = ancestors.get((code, *key))
        if row is None:
            created.append(
                model(
                    region_code=code,
                    **dict(zip(keys, key, strict=True)),
                    **dict(zip(values, counted, strict=True)),
                )
            )
            continue
        for field_name, n in zip(values, counted, strict=True):
            setattr(row, field_name, getattr(row, field_name) + n)
        (emptied if not any(getattr(row, v) for v in values) else changed).append(row)
    model.objects.bulk_update(changed, list(values), batch_size=1000)
    model.objects.bulk_create(created, batch_size=1000)
    model.objects.filter(pk__in=[r.pk for r in emptied]).delete()
