"""Procedure pages: thin views that parse input, call a selector or a service, and render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms.models import model_to_dict
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from fupin.accounts.scope import ScopeError, region_filter
from fupin.core import versions
from fupin.core.actions import handler_for, perform
from fupin.core.downloads import file_view, stored_file_response
from fupin.core.lookup import get_in_scope
from fupin.core.pagination import first_rows
from fupin.core.params import int_param, request_year, this_year
from fupin.regions.models import Region, RegionLevel
from fupin.regions.selectors import path_for, region_for

from . import (
    forms,
    notices,
    permissions,
    policy,
    quotas,
    selection,
    selectors,
    services,
    tables,
    village_profiles,
)
from .models import AllocationBasis, BatchHousehold, EntryState, Evidence, Procedure, Stage, VillageCriteria
from .services import ProcedureError


def _form_errors(form) -> str:
    return "；".join(
        f"{form.fields[f].label if f in form.fields else ''}：{'、'.join(e)}".lstrip("：")
        for f, e in form.errors.items()
    )


BATCHES_SHOWN = 500  # the batches on the page; its export holds them all


@login_required
def batch_list(request):
    year = request_year(request, this_year())
    kind, stage = request.GET.get("kind", ""), request.GET.get("stage", "")
    # the first BATCHES_SHOWN; its export holds them all
    batches, total = first_rows(tables.batch_query(request.user, request.GET), BATCHES_SHOWN)
    village = (
        request.user.region
        if request.user.region and request.user.region.level == RegionLevel.VILLAGE
        else None
    )
    return render(
        request,
        "procedures/batch_list.html",
        {
            "batches": batches,
            "total": total,
            "shown": BATCHES_SHOWN,
            "year": year,
            "kind": kind,
            "stage": stage,
            "kinds": Procedure.choices,
            "stages": Stage.choices,
            "open_form": forms.OpenBatchForm(initial={"year": year}),
            "village": village,
            "counts": selectors.stage_counts(request.user, year),
            "late_exits": [r for r in selectors.exit_progress(request.user, year) if r["late"]],
        },
    )


@login_required
@require_POST
def batch_open(request):
    form = forms.OpenBatchForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("procedures:batch_list")
    code = form.cleaned_data["village"] or (request.user.region_id or "")
    try:
        batch = services.open_batch(
            by=request.user, village_code=code, kind=form.cleaned_data["kind"], year=form.cleaned_data["year"]
        )
    except (ProcedureError, ScopeError) as e:
        messages.error(request, str(e))
        return redirect("procedures:batch_list")
    messages.success(request, gettext("已发起：%(batch)s") % {"batch": batch})
    return redirect("procedures:batch_detail", pk=batch.pk)


@login_required
def batch_detail(request, pk):
    batch = get_in_scope(selectors.batch_for, request.user, pk)
    entries = list(selectors.batch_entries(batch))
    survey_incomes = selectors.incomes_of_year([e.household_id for e in entries], batch.year)
    for e in entries:  # the survey's year, never a later or earlier year's figure under its heading
        e.survey_income = survey_incomes.get(e.household_id)
    now = timezone.now()
    notice = selectors.running_notice(batch)
    eligible = []
    if batch.stage == Stage.APPLICATION and not batch.is_village_procedure:
        eligible = list(selectors.eligible_households(request.user, batch)[:300])
    context = {
        "batch": batch,
        "entries": entries,
        "records": batch.records.prefetch_related("evidence").order_by("at", "id"),
        "notices": selectors.notices_of(batch).order_by("posted_at"),
        "running_notice": notice,
        "notice_over": bool(notice and now >= notice.ends_at),
        "notice_photographed": bool(notice and selectors.notice_photographed(batch, notice)),
        "objections": batch.objections.select_related("entry__household").order_by("id"),
        "can_act": permissions.can_act(request.user, batch),
        "can_object": request.user.can_edit_registry,
        "eligible": eligible,
        "selected": [e for e in entries if e.state == EntryState.SELECTED],
        "open_objections": selectors.open_objections(batch),
        "today": timezone.localdate(),
        "usage": selectors.quota_usage(batch.village_id, batch.year)
        if batch.kind == Procedure.IDENTIFICATION
        else None,
        "criteria": selectors.check_village(batch.village_id, batch.year, batch.kind)
        if batch.is_village_procedure
        else None,
        "causes": forms.AddHouseholdsForm.base_fields["primary_cause"].choices,
        "types": forms.AddHouseholdsForm.base_fields["proposed_type"].choices,
        "exceptions": [
            ("housing", gettext("住房困难")),
            ("education", gettext("因学负担")),
            ("health", gettext("因病因残")),
        ],
        "resolve_form": forms.ResolveForm(),
        "objection_form": forms.ObjectionForm(),
    }
    try:
        context["line"] = selectors.poverty_line(batch.year, batch.village_id)
    except ProcedureError:
        context["line"] = None
    return render(request, "procedures/batch_detail.html", context)


def _entry(batch, raw) -> BatchHousehold | None:
    pk = int_param(raw)
    if pk is None:
        return None
    found = batch.entries.filter(pk=pk).select_related("household", "batch").first()
    if found is None:
        raise ProcedureError(gettext("所选的户不在本批次中"))
    return found


def parse_exceptions(post, batch) -> dict:
    out = {}
    for e in batch.entries.all():
        kind = post.get(f"exception_{e.pk}", "")
        if kind:
            out[e.pk] = (kind, post.get(f"exception_note_{e.pk}", ""))
    return out


def parse_votes(post, batch) -> dict:
    if batch.is_village_procedure:
        return {None: (int_param(post.get("votes_for"), -1), int_param(post.get("votes_against"), 0))}
    votes = {}
    for e in batch.entries.filter(state=EntryState.SELECTED):
        yes, no = int_param(post.get(f"for_{e.pk}")), int_param(post.get(f"against_{e.pk}"), 0)
        if yes is None:
            raise ProcedureError(
                gettext("请填写 %(head_name)s 的赞成票数") % {"head_name": e.household.head_name}
            )
        votes[e.pk] = (yes, no)
    return votes


def _add(request, batch):
    user = request.user
    form = forms.AddHouseholdsForm(
        request.POST,
        request.FILES,
        household_choices=[(h.pk, h.pk) for h in selectors.eligible_households(user, batch)],
    )
    if not form.is_valid():
        raise ProcedureError(_form_errors(form))
    d = form.cleaned_data
    entries = services.add_households(
        batch,
        by=user,
        household_ids=d["households"],
        source=d["source"] or "self",
        applied_on=d["applied_on"],
        statement=d["statement"],
        proposed_type=d["proposed_type"],
        primary_cause=d["primary_cause"],
        form=d["form"],
    )
    return gettext("已录入 %(entries)s 户") % {"entries": len(entries)}


def _withdraw(request, batch):
    services.withdraw_entry(
        _entry(batch, request.POST.get("entry")) or _missing(),
        by=request.user,
        reason=request.POST.get("reason", ""),
    )
    return gettext("已撤回")


def _propose_exit(request, batch):
    return gettext("已从收入更新中拟定 %(user)s 户") % {
        "user": services.propose_exit_candidates(batch, by=request.user)
    }


def _helper_confirm(request, batch):
    ids = [int_param(v) for v in request.POST.getlist("entries")]
    entries = list(batch.entries.filter(pk__in=[i for i in ids if i]).select_related("batch"))
    if not entries:
        raise ProcedureError(gettext("请勾选帮扶责任人已确认的户"))
    confirmed = services.confirm_by_helper(
        entries, by=request.user, helper_name=request.POST.get("helper_name", "")
    )
    return gettext("已记录 %(confirmed)s 户的帮扶责任人确认") % {"confirmed": confirmed}


def _complete_application(request, batch):
    services.complete_application(batch, by=request.user)
    return gettext("申请环节已完成，进入调查与初选")


def _complete_survey(request, batch):
    selection.complete_survey(batch, by=request.user, exceptions=parse_exceptions(request.POST, batch))
    return gettext("已完成调查、排序和初选")


def _appraisal(request, batch):
    form = forms.AppraisalForm(request.POST, request.FILES)
    if not form.is_valid():
        raise ProcedureError(_form_errors(form))
    d = form.cleaned_data
    selection.record_appraisal(
        batch,
        by=request.user,
        held_on=d["held_on"],
        representatives=d["representatives"],
        present=d["present"],
        chaired_by=d["chaired_by"],
        votes=parse_votes(request.POST, batch),
        minutes=d["minutes"],
    )
    return gettext("民主评议结果已录入")


def _post_notice(request, batch):
    notices.post_notice(batch, by=request.user, photo=request.FILES.get("photo"))
    return gettext("公示已生成，公示期开始：请打印张贴，并上传张贴现场照片")


def _notice_photo(request, batch):
    notices.add_notice_photo(batch, by=request.user, photo=request.FILES.get("photo"))
    return gettext("公示张贴照片已上传")


def _close_notice(request, batch):
    notices.close_notice(batch, by=request.user)
    return gettext("公示期满，已进入审核")


def _objection(request, batch):
    form = forms.ObjectionForm(request.POST)
    if not form.is_valid():
        raise ProcedureError(_form_errors(form))
    d = form.cleaned_data
    notices.record_objection(
        batch,
        by=request.user,
        entry=_entry(batch, d["entry"]),
        objector=d["objector"],
        content=d["content"],
        raised_on=d["raised_on"],
    )
    return gettext("异议已登记")


def _resolve(request, batch):
    form = forms.ResolveForm(request.POST)
    if not form.is_valid():
        raise ProcedureError(_form_errors(form))
    objection = batch.objections.filter(pk=int_param(request.POST.get("objection"))).first()
    if objection is None:
        raise ProcedureError(gettext("异议不存在"))
    notices.resolve_objection(
        objection,
        by=request.user,
        upheld=form.cleaned_data["decision"] == "upheld",
        resolution=form.cleaned_data["resolution"],
    )
    return gettext("异议已处理")


def _approve(request, batch):
    services.approve_review(
        batch,
        by=request.user,
        opinion=request.POST.get("opinion", ""),
        evidence=request.FILES.get("evidence"),
    )
    return gettext("审核通过，进入乡镇公示")


def _send_back(request, batch):
    services.send_back(batch, by=request.user, reason=request.POST.get("reason", ""))
    return gettext("已退回")


def _return_household(request, batch):
    services.return_household(
        _entry(batch, request.POST.get("entry")) or _missing(),
        by=request.user,
        reason=request.POST.get("reason", ""),
    )
    return gettext("已退回该户")


def _announce(request, batch):
    services.announce(batch, by=request.user, opinion=request.POST.get("opinion", ""))
    return gettext("复审通过，已公告")


# The actions on a batch (procedures:batch_action), each returning its message (fupin.core.actions).
BATCH_ACTIONS = {
    "add": _add,
    "withdraw": _withdraw,
    "propose_exit": _propose_exit,
    "helper_confirm": _helper_confirm,
    "complete_application": _complete_application,
    "complete_survey": _complete_survey,
    "appraisal": _appraisal,
    "post_notice": _post_notice,
    "notice_photo": _notice_photo,
    "close_notice": _close_notice,
    "objection": _objection,
    "resolve": _resolve,
    "approve": _approve,
    "send_back": _send_back,
    "return_household": _return_household,
    "announce": _announce,
}


def _missing():
    raise ProcedureError(gettext("请选择户"))


@login_required
@require_POST
def batch_action(request, pk, action):
    batch = get_in_scope(selectors.batch_for, request.user, pk)
    perform(request, BATCH_ACTIONS, action, batch)
    return redirect("procedures:batch_detail", pk=batch.pk)


def _set_allocation(request, which: str, year: int, data) -> None:
    form = forms.AllocationForm(data)
    if not form.is_valid():
        raise ProcedureError(_form_errors(form))
    expected, base = versions.posted(data)
    quotas.set_county_allocation(
        by=request.user,
        county_code=data.get("region", ""),
        year=year,
        which=which,
        expected_version=expected,
        seen=base,
        **form.cleaned_data,
    )


def _adjust_allocation(request, which: str, year: int, data) -> None:
    values = {k[6:]: int_param(v, -1) for k, v in data.items() if k.startswith("child_")}
    expected, base = versions.posted(data)
    seen = {k.removeprefix("child_"): v for k, v in (base or {}).items() if k.startswith("child_")}
    quotas.adjust_allocation(
        by=request.user,
        parent_code=data.get("region", ""),
        year=year,
        values=values,
        which=which,
        expected_version=expected,
        seen=seen if base is not None else None,
    )


def _allocation_shown(data: dict, form_name: str) -> dict:
    """What a form of the allocations page shows, as its version token compares it."""
    if form_name == "set":
        own = data["own"]
        return {"persons": own.persons, "basis": own.basis} if own else {}
    return {f"child_{c['region'].code}": c["persons"] for c in data["children"]}


ALLOCATION_FORMS = {"set": _set_allocation, "adjust": _adjust_allocation}


@login_required
def allocations(request, which="quota"):
    """A county's allocation set from its basis, or a region's children adjusted by hand; each form carries
    the version it was based on, and a save on top of another user's change shows what changed (merge)
    instead."""
    if which not in selectors.ALLOCATION_MODELS:
        raise Http404
    year = request_year(request, this_year())
    parent = None
    if request.GET.get("region"):
        parent = get_in_scope(region_for, request.user, request.GET["region"])
    # the page's two forms: the county's own figure set from its basis ("set"), or its children adjusted
    form_name = "set" if request.POST.get("action") == "set" else "adjust"
    conflict, setting = None, form_name == "set"
    if request.method == "POST":
        current = selectors.allocation_rows(request.user, year, which=which, parent=parent)
        data = versions.merged(request.POST, _allocation_shown(current, form_name))
        try:
            handler_for(ALLOCATION_FORMS, form_name)(request, which, year, data)
            messages.success(request, gettext("已保存，下级分解已同步更新"))
            return redirect(f"{request.path}?year={year}&region={request.POST.get('region', '')}")
        except versions.VersionConflict as e:
            conflict = e
            if not setting:
                e.current = {f"child_{code}": persons for code, persons in e.current.items()}
        except (ProcedureError, ScopeError, ValueError) as e:
            messages.error(request, str(e))
            return redirect(f"{request.path}?year={year}&region={request.POST.get('region', '')}")
    data = selectors.allocation_rows(request.user, year, which=which, parent=parent)
    region = data["region"]
    own = data["own"]
    posted = request.POST if conflict is not None else None
    if posted is not None and not setting:  # the merge form shows the user's own figures again
        for c in data["children"]:
            c["persons"] = int_param(posted.get(f"child_{c['region'].code}"), c["persons"] or 0)
    return render(
        request,
        "procedures/allocations.html",
        {
            "which": which,
            "title": quotas.ALLOCATION_NAMES[which],
            "year": year,
            **data,
            "form": forms.AllocationForm(posted if setting else None, initial=_set_initial(own)),
            "can_set": permissions.can_set_allocation(request.user, region),
            "can_adjust": own is not None and permissions.can_adjust_allocation(request.user, region),
            "path": path_for(request.user, region),
            "set_based_on": versions.conflict_token(conflict)
            if conflict is not None and setting
            else versions.form_token(own, _allocation_shown(data, "set")),
            "adjust_based_on": versions.conflict_token(conflict)
            if conflict is not None and not setting
            else versions.form_token(own, _allocation_shown(data, "adjust")),
            "set_conflict": conflict if setting else None,
            "adjust_conflict": None if setting else conflict,
        },
    )


def _set_initial(own) -> dict:
    if own is None:
        return {"basis": AllocationBasis.ESTIMATED_POOR}
    return {"persons": own.persons, "basis": own.basis}


VILLAGES_SHOWN = 500


@login_required
def villages(request):
    year = request_year(request, this_year())
    # the first VILLAGES_SHOWN, each with the exit conditions it misses; its export holds them all
    profiles, total = first_rows(tables.village_query(request.user, request.GET), VILLAGES_SHOWN)
    for p in profiles:
        tables.with_exit_check(p, year)
    return render(
        request,
        "procedures/villages.html",
        {
            "year": year,
            "profiles": profiles,
            "shown": VILLAGES_SHOWN,
            "total": total,
            "criteria": {
                k: selectors.criteria_for(request.user.region_id or "", k)
                for k in VillageCriteria.Kind.values
            },
        },
    )


@login_required
def village_edit(request, code):
    year = request_year(request, this_year())
    village = get_in_scope(region_for, request.user, code)
    if village.level != RegionLevel.VILLAGE:
        raise Http404
    profile = selectors.village_profiles_for(request.user, year).filter(village=village).first()
    fields = forms.VillageProfileForm.Meta.fields
    shown = model_to_dict(profile, fields=fields) if profile else {}
    data = versions.merged(request.POST, shown) if request.method == "POST" else None
    form = forms.VillageProfileForm(data, instance=profile)
    conflict = None
    if data is not None and form.is_valid():
        expected, base = versions.posted(data)
        try:
            village_profiles.save_village_profile(
                by=request.user,
                village_code=village.code,
                year=year,
                expected_version=expected,
                **{k: form.cleaned_data[k] for k in fields},
            )
            messages.success(request, gettext("村情登记已保存"))
            return redirect(f"{request.path}?year={year}")
        except versions.VersionConflict as e:
            conflict = versions.form_conflict(e, form, model_to_dict(e.record, fields=fields), base)
            profile = e.record
        except (ProcedureError, ScopeError) as e:
            messages.error(request, str(e))
    return render(
        request,
        "procedures/village_form.html",
        {
            "village": village,
            "year": year,
            "form": form,
            "conflict": conflict,
            "based_on": versions.page_state(request, profile, shown, conflict),
            "checks": {
                kind: selectors.check_village(village.code, year, kind)
                for kind in (Procedure.VILLAGE_IDENTIFICATION, Procedure.VILLAGE_EXIT)
            },
        },
    )


@login_required
def yearly_update(request):
    year = request_year(request, this_year())
    data = selectors.yearly_update_progress(request.user, year, region=request.GET.get("region", ""))
    today = timezone.localdate()
    return render(
        request,
        "procedures/yearly.html",
        {
            "year": year,
            **data,
            "today": today,
            "only_missing": request.GET.get("missing") == "1",
            "exits": selectors.exit_progress(request.user, year, today=today),
        },
    )


@login_required
def procedure_settings(request):
    user = request.user
    code = (user.region_id or "")[:6] if permissions.is_county_office(user) else ""
    if len(code) != 6:
        raise Http404
    cfg = selectors.settings_for(code)
    initial = _settings_initial(cfg)
    data = versions.merged(request.POST, initial) if request.method == "POST" else None
    form = forms.SettingsForm(data, initial=initial)
    conflict = None
    if data is not None and form.is_valid():
        d = dict(form.cleaned_data)
        d["holidays"] = [x for x in d["holidays"].split() if x]
        d["extra_workdays"] = [x for x in d["extra_workdays"].split() if x]
        expected, base = versions.posted(data)
        try:
            policy.save_settings(by=user, county_code=code, expected_version=expected, **d)
            messages.success(request, gettext("程序设置已保存"))
            return redirect("procedures:settings")
        except versions.VersionConflict as e:
            conflict = versions.form_conflict(e, form, _settings_initial(e.record), base)
        except (ProcedureError, ScopeError) as e:
            messages.error(request, str(e))
    sample = services.notice_ends_at(
        timezone.now(),
        days=cfg.notice_days,
        rule=cfg.day_rule,
        holidays=cfg.holidays,
        workdays=cfg.extra_workdays,
    )
    return render(
        request,
        "procedures/settings.html",
        {
            "form": form,
            "county": Region.objects.filter(code=code).first(),
            "sample_end": sample,
            "line": _line_or_none(code),
            "conflict": conflict,
            "based_on": versions.page_state(request, cfg if cfg.pk else None, initial, conflict),
        },
    )


def _settings_initial(cfg) -> dict:
    """What the settings form shows of a county's settings (and what a concurrent edit is compared in)."""
    return {
        "notice_days": cfg.notice_days,
        "day_rule": cfg.day_rule,
        "holidays": "\n".join(cfg.holidays),
        "extra_workdays": "\n".join(cfg.extra_workdays),
        "survey_deadline": cfg.survey_deadline,
        "update_deadline": cfg.update_deadline,
        "supervision_phone": cfg.supervision_phone,
    }


def _line_or_none(code):
    try:
        return selectors.poverty_line(timezone.localdate().year, code)
    except ProcedureError:
        return None


@file_view
def evidence(request, pk):
    """One evidence file of a stage, only within the user's scope."""

    scope = region_filter(request.user, "record__batch__village_id")
    found = Evidence.objects.filter(scope, pk=pk).first() if scope is not None else None
    if found is None:
        raise Http404
    return stored_file_response(
        found.file, filename=f"{found.get_kind_display()}_{found.pk}", attachment=True
    )
