"""Background work of the reports app (django.tasks): keeping the statistics rollup."""

from django.tasks import task

from . import services


@task
def rebuild_stats() -> float:
    """Rebuild the statistics rollup from the household table (`fupin rebuild-stats`)."""
    return services.rebuild_stats()


@task
def refresh_stats() -> int:
    """Fold the villages written since the last refresh into the rollup."""
    return services.refresh_stats()
