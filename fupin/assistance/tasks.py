"""Background work of the assistance app (django.tasks): the handbook batch of a village."""

from django.tasks import task

from .handbook import build_batch


@task
def build_village_handbooks(batch_id: int) -> None:
    """Render every handbook of the batch's village into one ZIP; progress is kept on the HandbookBatch
    row."""
    build_batch(batch_id)
