"""Background work of the registry, run by the task worker (`fupin worker`)."""

from django.tasks import task

from .importing import jobs
from .models import ImportJob, ImportStatus


@task
def run_import(job_id: int) -> str:
    """Import an uploaded file; the job page follows its progress."""
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    if job.status != ImportStatus.PENDING:  # cancelled (or settled) while it waited in the queue
        return job.status
    jobs.process_job(job)
    return job.status
