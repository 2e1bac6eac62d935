"""Background work of the registry, run by the task worker (`fupin db_worker`)."""
from django.tasks import task

from . import imports
from .models import ImportJob


@task
def run_import(job_id: int) -> str:
    """Import an uploaded file; the job page follows its progress."""
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    imports.process_job(job)
    return job.status
