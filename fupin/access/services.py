"""What unusual reading raises: an item in the county's problem ledger (问题台账), opened by no user."""

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from fupin.audit.access import alert_bound
from fupin.audit.services import record
from fupin.monitoring.models import Problem, ProblemSource
from fupin.regions.models import RegionLevel
from fupin.subscriptions.events import raise_problem_event

COUNTY_DIGITS = 6
DAYS_TO_LOOK_INTO = 7


@transaction.atomic
def open_unusual_reading_problem(
    *, user: Any, scope_code: str, persons: int, since: datetime.datetime
) -> Problem | None:
    """Open a problem for the county of `scope_code`: `user` revealed `persons` persons since `since` (more
    than the bound). None when the reading is not within a county (an administrator across counties)."""
    county = (scope_code or getattr(user, "region_id", "") or "")[:COUNTY_DIGITS]
    if len(county) < COUNTY_DIGITS:
        return None
    who = getattr(user, "full_name", "") or getattr(user, "username", "")
    description = (
        f"用户 {who}（{getattr(user, 'username', '')}）"
        f"自 {timezone.localtime(since):%Y-%m-%d %H:%M} 起一小时内"
        f"查看了 {persons} 人的完整身份证号、电话或银行账号，超过 {alert_bound()} 人，"
        "请核实查看用途（见个人信息查看记录）"
    )
    problem = Problem.objects.create(
        source=ProblemSource.DATA_CHECK,
        region_code=county,
        description=description,
        responsible_level=RegionLevel.COUNTY,
        deadline=timezone.localdate() + datetime.timedelta(days=DAYS_TO_LOOK_INTO),
    )
    raise_problem_event(problem, closed=False)
    record(
        by=None,
        action="open_unusual_reading_problem",
        target=problem,
        scope_code=county,
        changes={"description": [None, description], "user": [None, getattr(user, "username", "")]},
    )
    return problem
