"""Background work: sweeps and cross-checks, with their progress on the Sweep / CrossCheck rows."""

from django.tasks import task

from .cross_checks import purge_cross_checks, run_cross_check
from .models import CrossCheck, Sweep
from .sweeps import run_sweep


@task
def run_sweep_task(sweep_id: int) -> int:
    return run_sweep(Sweep.objects.select_related("started_by").get(pk=sweep_id)).results


@task
def run_cross_check_task(check_id: int) -> int:
    return run_cross_check(CrossCheck.objects.select_related("run_by").get(pk=check_id)).findings_count


@task
def purge_expired_lists() -> int:
    """Delete department lists past their retention date (daily, fupin.core.schedule)."""
    return purge_cross_checks()
