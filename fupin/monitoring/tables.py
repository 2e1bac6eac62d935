"""The monitored households' list to Excel (fupin.core.table_exports): its columns, scoped and filtered as the
page."""

import datetime

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fupin.accounts.permissions import is_liaison
from fupin.core import idnumber
from fupin.core.lookup import get_in_scope
from fupin.core.params import this_year, year_param
from fupin.core.table_exports import Column, Table, moment

from . import selectors
from .models import Decision, MonitoringKind, MonitoringStage, ProblemSource, ProblemStatus


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


def _problems(user, params):
    if user.scope_prefix is None:
        raise PermissionDenied(_("您的角色不能查看监测信息"))
    status, source = params.get("status", ""), params.get("source", "")
    return selectors.problems_for(
        user,
        status=status if status in ProblemStatus.values else "",
        source=source if source in ProblemSource.values else "",
        overdue=params.get("overdue") == "1",
        region=params.get("region", "")[:15],
    ).select_related("household")


def _problem_row(p, revealed: bool) -> list:
    return [
        p.get_source_display(),
        p.household.head_name if p.household_id else "",
        idnumber.mask_text(
            p.description or ""
        ),  # free text: an ID number typed into it is masked as on the pages
        p.responsible_person or "",
        p.deadline,
        p.get_status_display(),
    ]


PROBLEMS = Table(
    name="monitoring.problems",
    title=_("问题台账"),
    columns=[
        Column(_("来源")),
        Column(_("户")),
        Column(_("问题"), width=50),
        Column(_("责任人")),
        Column(_("时限"), number=True),
        Column(_("状态")),
    ],
    query=_problems,
    row=_problem_row,
)


def _signals(user, params):
    """The open risk signals (预警) of the year the signals page shows, one row per signal: the page groups
    the same signals by household."""
    if user.scope_prefix is None:
        raise PermissionDenied(_("您的角色不能查看监测信息"))
    year = year_param(params.get("year"), this_year() - 1)
    return selectors.signals_for(user, year=year).order_by("village_code", "household_id", "kind")


def _signal_row(s, revealed: bool) -> list:
    return [
        s.household.number,
        s.household.head_name,
        s.household.village.name,
        s.household.get_status_display(),
        s.get_kind_display(),
        idnumber.mask_text(s.explanation or ""),
    ]


SIGNALS = Table(
    name="monitoring.signals",
    title=_("风险预警"),
    columns=[
        Column(_("户编号")),
        Column(_("户主")),
        Column(_("村")),
        Column(_("状态")),
        Column(_("预警")),
        Column(_("触发记录"), width=50),
    ],
    query=_signals,
    row=_signal_row,
)


def _lookbacks(user, params):
    if user.scope_prefix is None:
        raise PermissionDenied(_("您的角色不能查看监测信息"))
    return selectors.lookbacks_for(user).select_related("region")


LOOKBACKS = Table(
    name="monitoring.lookbacks",
    title=_("回头看"),
    columns=[
        Column(_("名称"), width=30),
        Column(_("范围")),
        Column(_("开始日期"), number=True),
        Column(_("结束日期"), number=True),
        Column(_("排查线"), number=True),
        Column(_("状态")),
    ],
    query=_lookbacks,
    row=lambda c, revealed: [
        c.name,
        c.region.name,
        c.starts_on,
        c.ends_on,
        c.income_line,
        c.get_status_display(),
    ],
)


def finding_filters(params) -> dict:
    """The findings page's filters: the decision (pending when none is given, as the page opens), severity."""
    decision, severity = params.get("decision", Decision.PENDING), params.get("severity", "")
    return {
        "decision": decision if decision in Decision.values else "",
        "severity": int(severity) if severity in ("1", "2", "3") else None,
    }


class _Findings:
    """The findings listed for one user: their detail is masked for that user as the page masks it."""

    def __init__(self, user, rows):
        self.user, self.rows = user, rows

    def __len__(self) -> int:
        return self.rows.count()


def _findings(user, params):
    if user.scope_prefix is None:
        raise PermissionDenied(_("您的角色不能查看监测信息"))
    return _Findings(
        user, selectors.findings_for(user, **finding_filters(params)).select_related("household")
    )


def _finding_cells(found: _Findings, revealed: bool):
    plain = getattr(found.user, "sees_identifiers", False)
    for f in found.rows.iterator(chunk_size=2000):
        yield [
            f.get_severity_display(),
            f.get_department_display(),
            f.household.head_name or f.household.number,
            f.rule_label,
            f.detail if plain or not f.detail else idnumber.mask_text(str(f.detail), dates=True),
            f.get_decision_display(),
        ]


FINDINGS = Table(
    name="monitoring.findings",
    title=_("疑点数据"),
    columns=[
        Column(_("严重程度")),
        Column(_("部门")),
        Column(_("户")),
        Column(_("规则")),
        Column(_("情况"), width=50),
        Column(_("核实结论")),
    ],
    query=_findings,
    row=None,
    cells=_finding_cells,
)


def check_query(user, params):
    """The cross-checks page's lists (部门比对): a liaison's own uploads, else the region's; newest first."""
    if not is_liaison(user) and user.scope_prefix is None:
        raise PermissionDenied(_("您的角色不能查看监测信息"))
    return selectors.cross_checks_for(user).order_by("-uploaded_at", "-pk")


def _check_row(c, revealed: bool) -> list:
    return [
        c.get_department_display(),
        c.original_name,
        c.rows,
        c.get_status_display(),
        c.findings_count,
        moment(c.uploaded_at),
        gettext("已删除") if c.purged_at else c.retain_until,
    ]


CHECKS = Table(
    name="monitoring.checks",
    title=_("部门比对"),
    columns=[
        Column(_("部门")),
        Column(_("文件"), width=30),
        Column(_("行数"), number=True),
        Column(_("状态")),
        Column(_("疑点"), number=True),
        Column(_("上传时间")),
        Column(_("名单保留至"), number=True),
    ],
    query=check_query,
    row=_check_row,
)


def lookback_items_query(user, params):
    """A look-back campaign's households to check (?lookback=<pk>, 404 outside the user's campaigns), those of
    ?village= when given (the page lists one village's at a time; the export may hold them all)."""
    if user.scope_prefix is None:
        raise PermissionDenied(_("您的角色不能查看监测信息"))
    campaign = get_in_scope(selectors.lookbacks_for(user), pk=params.get("lookback") or "")
    village = (params.get("village") or "").strip()
    items = selectors.lookback_items_for(user, campaign, village or None)
    return items.select_related("household__village").order_by("village_code", "household_id")


def _lookback_item_row(i, revealed: bool) -> list:
    return [
        i.household.village.name,
        i.household.head_name or i.household.number,
        i.get_group_display(),
        i.checked_on if i.done else gettext("未排查"),
        len(i.unmet) if i.done else None,
    ]


LOOKBACK_ITEMS = Table(
    name="monitoring.lookback_items",
    title=_("本村排查对象"),
    columns=[
        Column(_("村")),
        Column(_("户")),
        Column(_("对象")),
        Column(_("排查"), number=True),
        Column(_("未达标项"), number=True),
    ],
    query=lookback_items_query,
    row=_lookback_item_row,
)


def check_findings_query(user, params):
    """One department list's findings (?check=<pk>, 404 outside the user's lists), as its page shows them: a
    liaison, who uploads lists, reads none of the findings (403)."""
    if is_liaison(user) or user.scope_prefix is None:
        raise PermissionDenied(_("您的角色不能查看监测信息"))
    check = get_in_scope(selectors.cross_checks_for(user), pk=params.get("check") or "")
    return _Findings(user, selectors.findings_for(user, cross_check=check.pk).select_related("household"))


def _check_finding_cells(found: _Findings, revealed: bool):
    for line in _finding_cells(found, revealed):
        yield [line[0], *line[2:]]  # the page's columns: its department is the list's


CHECK_FINDINGS = Table(
    name="monitoring.check_findings",
    title=_("疑点"),
    columns=[
        Column(_("严重程度")),
        Column(_("户")),
        Column(_("规则")),
        Column(_("情况"), width=50),
        Column(_("核实结论")),
    ],
    query=check_findings_query,
    row=None,
    cells=_check_finding_cells,
)
