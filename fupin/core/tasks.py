"""Background work of core (django.tasks): the large table exports (fupin.core.export_files)."""

from django.tasks import task

from . import export_files


@task
def write_export(export_id: int) -> str:
    """Write a queued table export; its page follows the progress."""
    return export_files.write(export_id)


@task
def purge_exports() -> int:
    """Delete the table exports that have expired, with their files."""
    return export_files.purge_expired()
