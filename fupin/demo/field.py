"""The field app's part of the demo (issue 21): the work team's phone signed in and synced once, with an edit
made on an old copy of a member whose phone the clerk changed on the web meanwhile, so the village and the
township find a conflict to review, and the county a device it may revoke."""

from __future__ import annotations

from django.utils import timezone

from fupin.accounts.models import User
from fupin.field import services as field
from fupin.field.models import Conflict
from fupin.field.sync import sync
from fupin.registry import codes
from fupin.registry import services as registry
from fupin.registry.models import Household


def field_work(users: dict[str, User], village: str, made: dict[str, int]) -> None:
    team, clerk = users["team"], users["clerk"]
    device, _token = field.issue_device(by=team, uid="demo-team-phone", name="驻村工作队的手机")
    household = (
        Household.objects.filter(village_id=village, status=codes.HouseholdStatus.POOR)
        .order_by("number")
        .first()
    )
    if household is None:
        return
    head = household.members.order_by("id").first()
    if head is None:
        return
    downloaded = {"version": head.version, "base": {"phone": head.phone or ""}}
    registry.update_member(head, by=clerk, phone="13900000001")  # on the web, while the phone was offline
    change = {
        "key": "demo-team-phone-1",
        "seq": 1,
        "kind": "member",
        "household": household.pk,
        "at": timezone.now().isoformat(),
        "data": {"member": head.pk, **downloaded, "changes": {"phone": "13900000002"}},
    }
    sync(device, by=team, changes=[change])
    made["field_conflicts"] = Conflict.objects.count()
