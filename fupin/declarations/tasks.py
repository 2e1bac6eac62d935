"""Background work of declarations (django.tasks): the daily deadline sweep and poster batches."""

from django.tasks import task

from .sweep import sweep


@task
def sweep_deadlines() -> dict:
    return sweep()
