"""The statistics' side of a bulk load: what the household triggers (migration 0002) would log, logged once.

A bulk import that rebuilds the registry's indexes disables the statement trigger that logs the
villages an insert touches (capturing every inserted row in a transition table costs the load more
than the log is worth) and, in the same transaction, calls `log_villages` with the villages it wrote
(ReportsConfig.ready registers both with the registry's writer, register_village_triggers):
the rollups then see exactly what the trigger would have shown them (selectors read the logged
villages live until the next refresh).
"""

# table → the insert triggers whose whole effect is log_villages of the inserted rows' villages
INSERT_TRIGGERS = {"registry_household": ("reports_household_insert",)}


def log_villages(cursor, villages) -> None:
    """Log these villages as changed (reports_dirtyvillage), as the household triggers do for a write."""
    cursor.execute(
        "INSERT INTO reports_dirtyvillage (village_code, at) "
        "SELECT code, now() FROM unnest(%s::text[]) AS code ORDER BY code",
        [sorted(set(villages))],
    )
