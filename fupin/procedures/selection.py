"""The income survey, the ranking and the initial selection (`complete_survey`), and the democratic appraisal
(`record_appraisal`): stages of a batch, with the same checks, transaction and audit as services.py."""

import datetime
from decimal import Decimal

from django.core.files.base import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from fupin.accounts.models import User

from . import rules, selectors
from .models import (
    Appraisal,
    Batch,
    BatchHousehold,
    EntryState,
    Evidence,
    Procedure,
    Stage,
    StageRecord,
)
from .permissions import ensure_level
from .services import (
    ProcedureError,
    ensure_stage,
    incomes_and_guarantees,
    locked_batch,
    move_batch,
    now_unless_given,
)


def _complete_village_survey(batch: Batch, *, by: User, now: datetime.datetime) -> Batch:
    """A village procedure's survey: the village's own figures checked against its standard."""
    failing = [r for r in selectors.check_village(batch.village_id, batch.year, batch.kind) if not r["ok"]]
    if failing:
        raise ProcedureError(
            gettext("不符合")
            + batch.get_kind_display()
            + gettext("标准：")
            + "；".join(f"{r['label']}（{r['actual']}）" for r in failing)
        )
    return move_batch(
        batch,
        Stage.APPRAISAL,
        by=by,
        now=now,
        action=StageRecord.Action.COMPLETE,
        opinion="村级标准核验通过",
    )


def _ranked_entries(batch: Batch, exceptions: dict[int, tuple[str, str]]) -> list[BatchHousehold]:
    """The batch's entries with the year's income, size, exception and guarantees, ranked from the lowest
    per-capita net income; refused while an exception is unexplained or a household has no income for the
    year."""
    entries = list(
        batch.entries.filter(state__in=[EntryState.PROPOSED, EntryState.SELECTED, EntryState.NOT_SELECTED])
        .select_related("household")
        .order_by("id")
    )
    for kind, note in exceptions.values():
        if kind not in ("housing", "education", "health"):
            raise ProcedureError(gettext("例外情形只能是住房、教育或健康"))
        if not (note or "").strip():
            raise ProcedureError(gettext("例外情形须写明具体情况"))
    ids = [e.household_id for e in entries]
    incomes, guarantees = incomes_and_guarantees(ids, batch.year)
    missing = [e.household.head_name or e.household.number for e in entries if e.household_id not in incomes]
    if missing:
        raise ProcedureError(
            gettext(
                "还有 %(missing)s 户未录入%(year)s年收入：%(missing2)s%(else)s。表中“最近”一栏是以往年度的收"
                "入，不能代替。请村扶贫专干在该户页面点“录入年收入”，录入%(year)s年收入后再完成调查。"
            )
            % {
                "missing": len(missing),
                "year": batch.year,
                "missing2": "、".join(missing[:5]),
                "else": gettext("等") if len(missing) > 5 else "",
            }
        )
    for e in entries:
        e.per_capita_net_income = incomes[e.household_id]
        e.persons = e.household.size
        e.exception, e.exception_note = exceptions.get(e.pk, ("", ""))
        e.guarantees_met = rules.guarantees_met(guarantees.get(e.household_id))
    entries.sort(key=lambda e: (e.per_capita_net_income, e.household.number))
    for rank, e in enumerate(entries, 1):
        e.rank = rank
    return entries


def _select_exits(entries: list[BatchHousehold], line: Decimal, year: int) -> None:
    for e in entries:
        problems = rules.exit_problems(
            income=e.per_capita_net_income,
            line=line,
            guarantees_met=e.guarantees_met,
            helper_confirmed=bool(e.helper_confirmed_by),
            year=year,
        )
        e.state = EntryState.NOT_SELECTED if problems else EntryState.SELECTED
        e.reason = "；".join(problems)


def _select_in_rank_order(batch: Batch, entries: list[BatchHousehold], line: Decimal) -> None:
    """Identification and relapse: in rank order, at or below the line (and within the village's remaining
    quota for identification), or with a documented exception."""
    usage = (
        selectors.quota_usage(batch.village_id, batch.year, exclude_batch=batch)
        if batch.kind == Procedure.IDENTIFICATION
        else None
    )
    if usage is not None and usage["quota"] is None:
        raise ProcedureError(
            gettext(
                "%(name)s尚未下达%(year)s年贫困人口规模：须由县扶贫办在“识别与退出 › "
                "规模控制”下达%(year)s年规模并分解到村（乡镇扶贫办可在同一页调整到村），之后再完成调查"
            )
            % {"name": batch.village.name, "year": batch.year}
        )
    room = usage["left"] if usage is not None else None
    for e in entries:
        if batch.kind == Procedure.IDENTIFICATION and not e.primary_cause:
            e.primary_cause = e.household.primary_cause
        if e.exception:
            e.state, e.reason = (
                EntryState.SELECTED,
                f"例外纳入：{_exception_label(e.exception)}，{e.exception_note}",
            )
        elif e.per_capita_net_income is not None and e.per_capita_net_income > line:  # set by _ranked_entries
            e.state, e.reason = (
                EntryState.NOT_SELECTED,
                f"年人均纯收入 {e.per_capita_net_income} 元高于扶贫标准 {line} 元",
            )
        elif room is not None and e.persons > room:
            e.state, e.reason = EntryState.NOT_SELECTED, "超出本村贫困人口规模"
        else:
            e.state, e.reason = EntryState.SELECTED, ""
        if e.state == EntryState.SELECTED and room is not None:
            room = max(room - e.persons, 0)
    lacking = [
        e.household.head_name for e in entries if e.state == EntryState.SELECTED and not e.primary_cause
    ]
    if lacking:
        raise ProcedureError(
            gettext("入围户须填写主要致贫原因：%(lacking)s") % {"lacking": "、".join(lacking[:5])}
        )


@transaction.atomic
def complete_survey(
    batch: Batch,
    *,
    by: User,
    exceptions: dict[int, tuple[str, str]] | None = None,
    now: datetime.datetime | None = None,
) -> Batch:
    """Close the income survey: rank from the lowest per-capita net income and select.

    Identification selects in rank order within the village's remaining quota and at or below
    the line; a household out of that order is selected only with a documented housing,
    education or health exception (seed 000 三(一)3: 以农户收入为基本依据，综合考虑住房、教育、
    健康). Relapse selects at or below the line, or with an exception. Exit keeps households
    above the line with all guarantees met and the helper's confirmation.
    """
    now = now_unless_given(now)
    batch = locked_batch(batch)
    ensure_level(by, batch.village_id, "village")
    ensure_stage(batch, Stage.SURVEY)
    if batch.is_village_procedure:
        return _complete_village_survey(batch, by=by, now=now)
    entries = _ranked_entries(batch, exceptions or {})
    line = selectors.poverty_line(batch.year, batch.village_id)
    if batch.kind == Procedure.EXIT:
        _select_exits(entries, line, batch.year)
    else:
        _select_in_rank_order(batch, entries, line)
    BatchHousehold.objects.bulk_update(
        entries,
        [
            "per_capita_net_income",
            "persons",
            "exception",
            "exception_note",
            "guarantees_met",
            "rank",
            "state",
            "reason",
            "primary_cause",
        ],
        batch_size=2000,
    )
    selected = sum(1 for e in entries if e.state == EntryState.SELECTED)
    return move_batch(
        batch,
        Stage.APPRAISAL,
        by=by,
        now=now,
        action=StageRecord.Action.COMPLETE,
        opinion=(
            f"调查 {len(entries)} 户，按年人均纯收入从低到高排序，初选 {selected} 户（扶贫标准 {line} 元）"
        ),
    )


def _exception_label(kind: str) -> str:
    return {"housing": "住房困难", "education": "因学负担", "health": "因病因残"}.get(kind, kind)


# ---------------------------------------------------------------- appraisal


@transaction.atomic
def record_appraisal(
    batch: Batch,
    *,
    by: User,
    held_on: datetime.date,
    representatives: int,
    present: int,
    votes: dict,
    minutes: File | None,
    chaired_by: str = "",
    now: datetime.datetime | None = None,
) -> Appraisal:
    """Record the villagers' representative meeting (民主评议) and its vote.

    The meeting needs two thirds of the representatives present and a household passes with
    more than half of those present (村民委员会组织法 第二十六条). `votes` maps entry id to
    (for, against); for a village procedure it has the single key None.
    """
    now = now_unless_given(now)
    batch = locked_batch(batch)
    ensure_level(by, batch.village_id, "village")
    ensure_stage(batch, Stage.APPRAISAL)
    if not minutes:
        raise ProcedureError(gettext("请上传民主评议会议记录（扫描件或照片）"))
    if representatives < 1 or present < 0 or present > representatives:
        raise ProcedureError(gettext("实到代表人数不能超过应到人数"))
    if present * 3 < representatives * 2:
        raise ProcedureError(
            gettext("实到 %(present)s 人，不足应到 %(representatives)s 人的三分之二，会议无效")
            % {"present": present, "representatives": representatives}
        )
    if held_on > timezone.localdate(now):
        raise ProcedureError(gettext("会议日期不能晚于今天"))
    for yes, no in votes.values():
        if yes < 0 or no < 0 or yes + no > present:
            raise ProcedureError(gettext("赞成票与反对票之和不能超过实到人数"))
    appraisal = Appraisal(
        batch=batch,
        held_on=held_on,
        representatives=representatives,
        present=present,
        chaired_by=chaired_by,
        recorded_by=by if by.pk else None,
    )
    if batch.is_village_procedure:
        if None not in votes:
            raise ProcedureError(gettext("请录入表决结果"))
        appraisal.votes_for, appraisal.votes_against = votes[None]
        if appraisal.votes_for * 2 <= present:
            raise ProcedureError(gettext("未获到会代表过半数同意，不能进入公示"))
        passed = 1
    else:
        entries = list(batch.entries.filter(state=EntryState.SELECTED))
        missing = [e for e in entries if e.pk not in votes]
        if missing:
            raise ProcedureError(gettext("还有 %(missing)s 户未录入表决结果") % {"missing": len(missing)})
        for e in entries:
            e.votes_for, e.votes_against = votes[e.pk]
            if e.votes_for * 2 <= present:
                e.state, e.reason = EntryState.NOT_SELECTED, "民主评议未获到会代表过半数同意"
        BatchHousehold.objects.bulk_update(
            entries, ["votes_for", "votes_against", "state", "reason"], batch_size=2000
        )
        passed = sum(1 for e in entries if e.state == EntryState.SELECTED)
    appraisal.save()
    move_batch(
        batch,
        Stage.FIRST_NOTICE,
        by=by,
        now=now,
        action=StageRecord.Action.COMPLETE,
        opinion=(
            f"{held_on:%Y-%m-%d} 村民代表会议，应到 {representatives} 人，实到 {present} 人，"
            f"通过 {passed} {'村' if batch.is_village_procedure else '户'}"
        ),
        evidence=[(Evidence.Kind.MINUTES, minutes, "民主评议会议记录")],
    )
    return appraisal
