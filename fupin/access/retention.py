"""Retention beyond the department lists (issue 17, item 4), run daily by `fupin purge-expired`: the access log
(fupin.audit.retention: expired in place, the chain kept verifiable) and the files backing decided change requests
(FUPIN_EVIDENCE_RETENTION_DAYS after the decision; unset keeps them: a county decides how long its archive law asks).
The change request, its history and each file's name, type and size stay; the file itself goes."""

import datetime
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from fupin.audit import services as audit
from fupin.audit.retention import expire_access_log
from fupin.changes.models import ChangeStatus, Evidence

__all__ = ["expire_access_log", "purge_change_evidence"]


def evidence_days() -> int | None:
    return getattr(settings, "FUPIN_EVIDENCE_RETENTION_DAYS", None)


@transaction.atomic
def purge_change_evidence(*, now: datetime.datetime | None = None, days: int | None = None) -> int:
    """Delete the files of change requests approved or withdrawn more than `days` ago; the number deleted."""
    days = evidence_days() if days is None else days
    if days is None:
        return 0
    before = (now or timezone.now()) - datetime.timedelta(days=days)
    old = (
        Evidence.objects.filter(
            change_request__status__in=[ChangeStatus.APPROVED, ChangeStatus.WITHDRAWN],
            change_request__decided_at__lt=before,
        )
        .exclude(file="")
        .select_related("change_request__household")
    )
    by_county: dict[str, list[int]] = defaultdict(list)
    count = 0
    for item in old:
        item.file.delete(save=False)
        Evidence.objects.filter(pk=item.pk).update(file="")
        household = item.change_request.household
        by_county[household.village_id if household else ""].append(item.pk)
        count += 1
    audit.record_many(
        [
            audit.entry(
                by=None,
                action="purge_change_evidence",
                target_type="retention",
                target_id=code[:6],
                target_label="变更申请佐证材料到期删除",
                scope_code=code,
                changes={"evidence": ids, "before": before.isoformat()},
            )
            for code, ids in sorted(by_county.items())
        ]
    )
    return count
