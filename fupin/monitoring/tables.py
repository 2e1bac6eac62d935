"""The monitored households' list to Excel (fupin.core.table_exports): its columns, scoped and filtered as the
page."""

import datetime

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fupin.core.table_exports import Column, Table

from . import selectors
from .models import MonitoringKind, MonitoringStage


def _cases(user, params):
    if user.scope_prefix is None:
        raise PermissionDenied(_("您的角色不能查看监测信息"))
    stage, kind = params.get("stage", ""), params.get("kind", "")
    return selectors.cases_for(
        user,
        stage=stage if stage in MonitoringStage.values else "",
        kind=kind if kind in MonitoringKind.values else "",
        region=params.get("region", "")[:15],
    ).select_related("household__village")


def _day(value):
    return timezone.localtime(value).date() if isinstance(value, datetime.datetime) else value


def _row(c, revealed: bool) -> list:
    return [
        c.household.number,
        c.household.head_name,
        c.household.village.name,
        c.get_kind_display(),
        c.get_source_display(),
        c.get_stage_display(),
        _day(c.reported_at),
    ]


CASES = Table(
    name="monitoring.cases",
    title=_("监测户"),
    columns=[
        Column(_("户编号")),
        Column(_("户主")),
        Column(_("村")),
        Column(_("类别")),
        Column(_("发现途径")),
        Column(_("当前环节")),
        Column(_("申报时间"), number=True),
    ],
    query=_cases,
    row=_row,
)
