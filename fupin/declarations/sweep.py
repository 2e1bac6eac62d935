"""The deadline sweep (`fupin declaration_deadlines`, and the task of the same name): a step that ran past its
deadline opens one problem-ledger item (问题台账) for the level that owns the step, on the first day after the
deadline; the item is closed when the step is done. Running it twice changes nothing the second time."""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from fupin.core.workdays import add_workdays
from fupin.monitoring import problems as monitoring_problems
from fupin.regions.models import RegionLevel

from .models import STEP_OF, Declaration, Overdue, Step

RESPONSIBLE = {
    Step.VERIFY: RegionLevel.VILLAGE,
    Step.REVIEW: RegionLevel.TOWNSHIP,
    Step.DECIDE: RegionLevel.COUNTY,
}
CODE_LENGTH = {RegionLevel.VILLAGE: 12, RegionLevel.TOWNSHIP: 9, RegionLevel.COUNTY: 6}


def _open(declaration: Declaration, step: str, today: datetime.date) -> bool:
    with transaction.atomic():
        declaration = Declaration.objects.select_for_update().select_related("village").get(pk=declaration.pk)
        if (
            STEP_OF.get(declaration.status) != step
            or declaration.due_on is None
            or declaration.due_on >= today
        ):
            return False
        level = RESPONSIBLE[step]
        problem = monitoring_problems.open_deadline_problem(
            region_code=declaration.village_id[: CODE_LENGTH[level]],
            household=declaration.household,
            responsible_level=level,
            deadline=add_workdays(today, 1),
            description=f"申报{declaration.receipt}（{declaration.village.name}）“{Step(step).label}”"
            f"超过办理时限{declaration.due_on:%Y-%m-%d}，尚未办结",
        )
        try:
            with transaction.atomic():
                Overdue.objects.create(
                    declaration=declaration,
                    step=step,
                    due_on=declaration.due_on,
                    problem=problem,
                    opened_on=today,
                )
        except IntegrityError:  # another sweep opened it first: undo ours
            transaction.set_rollback(True)
            return False
    return True


def settle_done_steps(declaration: Declaration, today: datetime.date | None = None) -> int:
    """Close the problems of this declaration's overdue steps that are now done; how many were closed."""
    today = today or timezone.localdate()
    current = STEP_OF.get(declaration.status)
    settled = 0
    for overdue in (
        declaration.overdue_steps.filter(closed_on__isnull=True)
        .exclude(step=current or "")
        .select_related("problem")
    ):
        monitoring_problems.settle_deadline_problem(
            overdue.problem, note=f"“{Step(overdue.step).label}”已于{today:%Y-%m-%d}办结（超期）"
        )
        overdue.closed_on = today
        overdue.save(update_fields=["closed_on"])
        settled += 1
    return settled


def sweep(today: datetime.date | None = None) -> dict[str, int]:
    """Open the problems of steps overdue on `today` and settle those whose steps are done."""
    today = today or timezone.localdate()
    opened = 0
    for status, step in STEP_OF.items():
        late = (
            Declaration.objects.filter(status=status, due_on__lt=today)
            .exclude(overdue_steps__step=step)
            .only("pk")
            .order_by("pk")
        )
        opened += sum(_open(d, step, today) for d in late.iterator())
    settled = 0
    pending = Declaration.objects.filter(overdue_steps__closed_on__isnull=True).distinct().order_by("pk")
    for declaration in pending.iterator():
        with transaction.atomic():
            settled += settle_done_steps(
                Declaration.objects.select_for_update().get(pk=declaration.pk), today
            )
    return {"opened": opened, "settled": settled}
