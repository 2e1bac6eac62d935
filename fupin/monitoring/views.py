"""Monitoring pages: thin views that parse input, call a selector or a service, and render.

A record outside the user's scope is a 404; a refused action shows the service's Chinese message.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from fupin.accounts.models import Role
from fupin.core import versions
from fupin.core.actions import perform
from fupin.core.downloads import file_view, stored_file_response
from fupin.core.lookup import get_in_scope
from fupin.core.pagination import first_rows, page_of
from fupin.core.params import request_year, this_year
from fupin.registry import consents
from fupin.registry import selectors as registry
from fupin.registry.models import Household

from . import cross_checks, forms, permissions, problems, selectors, services, sweeps, tables
from .matching import DepartmentFileError
from .models import (
    CHECK_ITEMS,
    CrossCheck,
    Decision,
    LookBackItem,
    MonitoringKind,
    MonitoringMeasure,
    MonitoringStage,
    Problem,
    ProblemSource,
    ProblemStatus,
    Severity,
    Sweep,
)

REFUSED = (services.MonitoringError, PermissionDenied, DepartmentFileError)


def _get(qs, pk):
    return get_in_scope(qs, pk=pk)


def _reader(user):
    if user.scope_prefix is None:
        raise PermissionDenied(gettext("您的角色不能查看监测信息"))


# ---------------------------------------------------------------- overview


@login_required
def index(request):
    user = request.user
    if permissions.is_liaison(user):
        return redirect("monitoring:check_list")
    _reader(user)
    today = timezone.localdate()
    return render(
        request,
        "monitoring/index.html",
        {
            "open_cases": selectors.cases_for(user)
            .filter(
                stage__in=[
                    MonitoringStage.REPORTED,
                    MonitoringStage.APPRAISED,
                    MonitoringStage.REVIEWED,
                    MonitoringStage.MEASURES,
                ]
            )
            .count(),
            "pending_findings": selectors.findings_for(user, decision=Decision.PENDING).count(),
            "open_problems": selectors.problems_for(user).exclude(status=ProblemStatus.CLOSED).count(),
            "overdue_problems": selectors.problems_for(user, overdue=True, today=today).count(),
        },
    )


# ---------------------------------------------------------------- signals and sweeps


@login_required
def signal_list(request):
    user = request.user
    _reader(user)
    year = request_year(request, this_year() - 1)
    candidates = selectors.candidates_for(user, year=year)
    return render(
        request,
        "monitoring/signal_list.html",
        {
            "year": year,
            "candidates": candidates,
            # the page shows the first households; say how many there are when they are more
            "total": selectors.candidate_count(user, year=year) if candidates else 0,
            "sweeps": selectors.sweeps_for(user)[:5],
            "form": forms.SweepForm(initial={"year": year}),
            "can_sweep": permissions.can_sweep(user),
        },
    )


@login_required
@require_POST
def sweep_start(request):
    form = forms.SweepForm(request.POST)
    kind = request.POST.get("kind", Sweep.Kind.SIGNALS)
    if not form.is_valid():
        messages.error(request, gettext("请填写正确的年度"))
        return redirect("monitoring:signal_list")
    try:
        sweep = sweeps.start_sweep(by=request.user, kind=kind, year=form.cleaned_data["year"])
    except REFUSED as e:
        messages.error(request, str(e))
        return redirect("monitoring:signal_list")
    return redirect("monitoring:sweep_detail", sweep.pk)


@login_required
def sweep_detail(request, pk):
    _reader(request.user)
    sweep = _get(selectors.sweeps_for(request.user), pk)
    template = "monitoring/sweep_detail.html#progress" if request.htmx else "monitoring/sweep_detail.html"
    return render(request, template, {"sweep": sweep})


@login_required
@require_POST
def candidate_dismiss(request, household_pk):
    household = _household(request.user, household_pk)
    form = forms.ReasonForm(request.POST)
    year = request_year(request, this_year() - 1)
    if form.is_valid():
        try:
            sweeps.dismiss_candidate(
                household, by=request.user, year=year, reason=form.cleaned_data["reason"]
            )
            messages.success(request, gettext("已排除该户的预警"))
        except REFUSED as e:
            messages.error(request, str(e))
    else:
        messages.error(request, gettext("请填写排除理由"))
    return redirect(reverse("monitoring:signal_list") + f"?year={year}")


def _household(user, pk) -> Household:
    return get_in_scope(registry.household_for, user, pk, message=gettext("户不存在或不在您的管辖范围内"))


@login_required
def risk_event_create(request, household_pk):
    household = _household(request.user, household_pk)
    form = forms.RiskEventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_risk_event(household, by=request.user, **form.cleaned_data)
            messages.success(request, gettext("已登记风险事件"))
            return redirect("registry:household_detail", household.pk)
        except REFUSED as e:
            form.add_error(None, str(e))
    return render(
        request,
        "monitoring/form.html",
        {"form": form, "title": gettext("登记风险事件：%(household)s") % {"household": household}},
    )


# ---------------------------------------------------------------- monitored households


@login_required
def case_list(request):
    _reader(request.user)
    stage = request.GET.get("stage", "")
    kind = request.GET.get("kind", "")
    region = request.GET.get("region", "")[:15]
    cases = selectors.cases_for(
        request.user,
        stage=stage if stage in MonitoringStage.values else "",
        kind=kind if kind in MonitoringKind.values else "",
        region=region,
    )
    return render(
        request,
        "monitoring/case_list.html",
        {"page": page_of(request, cases), "stages": MonitoringStage.choices, "stage": stage},
    )


@login_required
def case_create(request, household_pk):
    household = _household(request.user, household_pk)
    form = forms.ReportForm(request.POST or None, initial={"year": timezone.localdate().year})
    if request.method == "POST" and form.is_valid():
        try:
            case = services.report_monitored(household, by=request.user, **form.cleaned_data)
            return redirect("monitoring:case_detail", case.pk)
        except REFUSED as e:
            form.add_error(None, str(e))
    return render(
        request,
        "monitoring/form.html",
        {"form": form, "title": gettext("纳入监测申报：%(household)s") % {"household": household}},
    )


@login_required
def case_detail(request, pk):
    _reader(request.user)
    case = _get(selectors.cases_for(request.user), pk)
    return render(
        request,
        "monitoring/case_detail.html",
        {
            "case": case,
            "steps": case.steps.all(),
            "measures": case.measures.all(),
            "note_form": forms.NoteForm(),
            "measure_form": forms.MeasureForm(),
            "eliminate_form": forms.EliminateForm(),
            "reason_form": forms.ReasonForm(),
            # the household's authorisation for checking its economic situation (电子授权书), asked for at
            # entry
            "missing_consent": bool(consents.households_without_consent([case.household_id])),
        },
    )


@file_view
def case_evidence(request, pk):
    """The risk elimination's evidence, to whoever may read the case."""
    _reader(request.user)
    case = _get(selectors.cases_for(request.user), pk)
    return stored_file_response(
        case.elimination_evidence, filename=f"风险消除佐证_{case.pk}", attachment=True
    )


def _case_measure(request, case):
    form = forms.MeasureForm(request.POST)
    if not form.is_valid():
        raise services.MonitoringError(gettext("请完整填写帮扶措施"))
    services.add_measure(case, by=request.user, **form.cleaned_data)
    return gettext("已保存")


def _case_step(step, field="note"):
    """An action that moves the case on with one text field from the form."""

    def handler(request, case):
        step(case, by=request.user, **{field: request.POST.get(field, "")})
        return gettext("已保存")

    return handler


def _case_eliminate(request, case):
    services.eliminate_risk(
        case, by=request.user, note=request.POST.get("note", ""), evidence=request.FILES.get("evidence")
    )
    return gettext("已保存")


# The actions on a monitored household (monitoring:case_action), each returning its message
# (fupin.core.actions).
CASE_ACTIONS = {
    "measure": _case_measure,
    "appraise": _case_step(services.appraise_monitored),
    "review": _case_step(services.review_monitored),
    "include": _case_step(services.include_monitored),
    "reject": _case_step(services.reject_monitored, "reason"),
    "eliminate": _case_eliminate,
}


@login_required
@require_POST
def case_action(request, pk, action):
    _reader(request.user)
    case = _get(selectors.cases_for(request.user), pk)
    perform(request, CASE_ACTIONS, action, case, refusals=REFUSED)
    return redirect("monitoring:case_detail", case.pk)


@login_required
@require_POST
def measure_done(request, pk):
    _reader(request.user)
    measure = _get(MonitoringMeasure.objects.filter(case__in=selectors.cases_for(request.user)), pk)
    try:
        services.complete_measure(measure, by=request.user, done_on=timezone.localdate())
        messages.success(request, gettext("已标记落实"))
    except REFUSED as e:
        messages.error(request, str(e))
    return redirect("monitoring:case_detail", measure.case_id)


# ---------------------------------------------------------------- look-back campaigns


@login_required
def lookback_list(request):
    _reader(request.user)
    form = forms.LookBackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.open_lookback(
                by=request.user, region_code=request.user.region_id or "", **form.cleaned_data
            )
            return redirect("monitoring:lookback_detail", campaign.pk)
        except REFUSED as e:
            form.add_error(None, str(e))
    return render(
        request,
        "monitoring/lookback_list.html",
        {
            "campaigns": selectors.lookbacks_for(request.user),
            "form": form,
            "can_open": permissions.can_decide_cases(request.user),
        },
    )


@login_required
def lookback_detail(request, pk):
    _reader(request.user)
    campaign = _get(selectors.lookbacks_for(request.user).select_related("region"), pk)
    village = request.GET.get("village", "")
    items = selectors.lookback_items_for(request.user, campaign, village or None) if village else None
    return render(
        request,
        "monitoring/lookback_detail.html",
        {
            "campaign": campaign,
            "progress": selectors.lookback_progress(request.user, campaign),
            "village": village,
            "items": page_of(request, items) if items is not None else None,
        },
    )


def _lookback_item(user, pk) -> LookBackItem:
    _reader(user)
    item = _get(
        LookBackItem.objects.filter(campaign__in=selectors.lookbacks_for(user))
        .filter(pk__in=LookBackItem.objects.filter(pk=pk).values("pk"))
        .select_related("campaign", "household"),
        pk,
    )
    if not user.in_scope(item.village_code):
        raise Http404(gettext("记录不存在或不在您的管辖范围内"))
    return item


@login_required
def lookback_item(request, pk):
    item = _lookback_item(request.user, pk)
    initial = _lookback_initial(item)
    data = versions.merged(request.POST, initial) if request.method == "POST" else None
    form = forms.LookBackItemForm(data, request.FILES or None, initial=initial)
    conflict = None
    if data is not None and form.is_valid():
        results, notes = form.results()
        expected, base = versions.posted(data)
        try:
            problems = services.record_lookback_item(
                item,
                by=request.user,
                results=results,
                notes=notes,
                checked_on=form.cleaned_data["checked_on"],
                evidence=form.cleaned_data.get("evidence"),
                responsible_person=form.cleaned_data.get("responsible_person", ""),
                expected_version=expected,
            )
            messages.success(
                request,
                gettext("已保存，登记问题 %(problems)s 个") % {"problems": len(problems)}
                if problems
                else gettext("已保存"),
            )
            return redirect(
                reverse("monitoring:lookback_detail", args=[item.campaign_id])
                + f"?village={item.village_code}"
            )
        except versions.VersionConflict as e:
            conflict = versions.form_conflict(e, form, _lookback_initial(e.record), base)
        except REFUSED as e:
            form.add_error(None, str(e))
    return render(
        request,
        "monitoring/lookback_item.html",
        {
            "item": item,
            "form": form,
            "items": CHECK_ITEMS,
            "conflict": conflict,
            "based_on": versions.page_state(request, item, initial, conflict),
        },
    )


def _lookback_initial(item) -> dict:
    """What the checklist form shows of a household's look-back item (and what a concurrent edit is compared
    in): each item met ("1"), not met ("0") or unanswered (""), its note, the check's date."""
    initial: dict = {i: {True: "1", False: "0"}.get(getattr(item, i), "") for i in CHECK_ITEMS}
    initial |= {f"note_{i}": item.notes.get(i, "") for i in CHECK_ITEMS}
    return initial | {"checked_on": item.checked_on or timezone.localdate()}


@file_view
def lookback_item_evidence(request, pk):
    """A look-back check's evidence, to whoever may read the household's check."""
    item = _lookback_item(request.user, pk)
    return stored_file_response(item.evidence, filename=f"回头看佐证_{item.pk}", attachment=True)


# ---------------------------------------------------------------- cross-checks


def _check_user(user):
    if not permissions.is_liaison(user):
        _reader(user)


CHECKS_SHOWN = 100  # the lists on the cross-checks page; its export holds them all


@login_required
def check_list(request):
    user = request.user
    _check_user(user)
    can_upload = permissions.can_upload_lists(user)
    form = forms.UploadForm(request.POST or None, request.FILES or None) if can_upload else None
    if form is not None and permissions.holds(user, Role.COUNTY):
        del form.fields["county"]  # a county office's lists are its own
    if request.method == "POST":
        if not can_upload:
            raise PermissionDenied(gettext("只有部门联络员和县扶贫办可以上传比对名单"))
        if form.is_valid():
            try:
                check = cross_checks.upload_cross_check(
                    by=user,
                    department=form.cleaned_data["department"],
                    upload=form.cleaned_data["file"],
                    county=form.cleaned_data.get("county", ""),
                )
                messages.success(
                    request,
                    gettext("已上传 %(rows)s 行，名单保留至 %(retain_until)s")
                    % {"rows": check.rows, "retain_until": check.retain_until},
                )
                return redirect("monitoring:check_detail", check.pk)
            except REFUSED as e:
                form.add_error("county" if isinstance(e, services.AddresseeError) else "file", str(e))
    checks, total = first_rows(tables.check_query(user, request.GET), CHECKS_SHOWN)  # its export: all
    return render(
        request,
        "monitoring/check_list.html",
        {
            "checks": checks,
            "shown": CHECKS_SHOWN,
            "total": total,
            "form": form,
        },
    )


@login_required
def check_detail(request, pk):
    user = request.user
    _check_user(user)
    check = _get(selectors.cross_checks_for(user), pk)
    context = {
        "check": check,
        "can_run": permissions.can_run_check(user, check)
        and check.status in (CrossCheck.Status.UPLOADED, CrossCheck.Status.FAILED)
        and not check.purged_at,
    }
    if not permissions.is_liaison(user):
        context["findings"] = page_of(request, selectors.findings_for(user, cross_check=check.pk))
    if request.htmx and request.GET.get("progress"):
        return render(request, "monitoring/check_detail.html#progress", context)
    return render(request, "monitoring/check_detail.html", context)


@login_required
@require_POST
def check_run(request, pk):
    user = request.user
    _check_user(user)
    check = _get(selectors.cross_checks_for(user), pk)
    try:
        cross_checks.start_cross_check(check, by=user)
        messages.success(request, gettext("已开始比对"))
    except REFUSED as e:
        messages.error(request, str(e))
    return redirect("monitoring:check_detail", check.pk)


@login_required
def finding_list(request):
    _reader(request.user)
    decision = request.GET.get("decision", Decision.PENDING)
    severity = request.GET.get("severity", "")
    qs = selectors.findings_for(request.user, **tables.finding_filters(request.GET))
    return render(
        request,
        "monitoring/finding_list.html",
        {
            "page": page_of(request, qs),
            "decision": decision,
            "decisions": Decision.choices,
            "severities": Severity.choices,
            "severity": severity,
        },
    )


@login_required
def finding_detail(request, pk):
    _reader(request.user)
    finding = _get(selectors.findings_for(request.user), pk)
    form = forms.DecideForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                cross_checks.decide_finding(finding, by=request.user, **form.cleaned_data)
                messages.success(request, gettext("已核实处理，结果已记入问题台账"))
                return redirect("monitoring:finding_detail", finding.pk)
            except REFUSED as e:
                form.add_error(None, str(e))
    can_decide = permissions.can_decide_cases(request.user)
    return render(
        request,
        "monitoring/finding_detail.html",
        {
            "finding": finding,
            "form": form,
            "can_decide": can_decide,
            "problem": Problem.objects.filter(finding=finding).first(),
        },
    )


# ---------------------------------------------------------------- problem ledger


@login_required
def problem_list(request):
    user = request.user
    _reader(user)
    status = request.GET.get("status", "")
    source = request.GET.get("source", "")
    overdue = request.GET.get("overdue") == "1"
    qs = selectors.problems_for(
        user,
        status=status if status in ProblemStatus.values else "",
        source=source if source in ProblemSource.values else "",
        overdue=overdue,
        region=request.GET.get("region", "")[:15],
    )
    length = {2: 4, 4: 6, 6: 9}.get(len(user.scope_prefix or ""), 12)
    return render(
        request,
        "monitoring/problem_list.html",
        {
            "page": page_of(request, qs),
            "status": status,
            "source": source,
            "overdue": overdue,
            "statuses": ProblemStatus.choices,
            "sources": ProblemSource.choices,
            "today": timezone.localdate(),
            "by_region": selectors.overdue_by_region(user, length=length),
        },
    )


@login_required
def problem_create(request):
    _reader(request.user)
    form = forms.ProblemForm(request.POST or None, initial={"region_code": request.user.region_id})
    if request.method == "POST" and form.is_valid():
        try:
            problem = problems.create_problem(by=request.user, **form.cleaned_data)
            return redirect("monitoring:problem_detail", problem.pk)
        except REFUSED as e:
            form.add_error(None, str(e))
        except ValueError:
            form.add_error("region_code", gettext("区划代码不正确"))
    return render(request, "monitoring/form.html", {"form": form, "title": gettext("登记问题")})


@login_required
def problem_detail(request, pk):
    _reader(request.user)
    problem = _get(
        selectors.problems_for(request.user).select_related("rectified_by", "closed_by", "finding"), pk
    )
    return render(
        request,
        "monitoring/problem_detail.html",
        {
            "problem": problem,
            "rectify_form": forms.RectifyForm(),
            "close_form": forms.CloseForm(),
            "can_close": permissions.can_close(request.user, problem),
            "overdue": problem.is_overdue(),
        },
    )


@file_view
def problem_evidence(request, pk):
    """A problem's rectification evidence, to whoever may read the problem."""
    _reader(request.user)
    problem = _get(selectors.problems_for(request.user), pk)
    return stored_file_response(problem.evidence, filename=f"整改佐证_{problem.pk}", attachment=True)


def _problem_rectify(request, problem):
    form = forms.RectifyForm(request.POST, request.FILES)
    if not form.is_valid():
        raise services.MonitoringError(gettext("请填写整改情况"))
    problems.rectify_problem(
        problem,
        by=request.user,
        rectification=form.cleaned_data["rectification"],
        evidence=form.cleaned_data.get("evidence"),
    )
    return gettext("已保存")


def _problem_decision(decide, field):
    """Close-out (销号) or return: the level above's opinion is required."""

    def handler(request, problem):
        form = forms.CloseForm(request.POST)
        if not form.is_valid():
            raise services.MonitoringError(gettext("请填写意见"))
        decide(problem, by=request.user, **{field: form.cleaned_data["note"]})
        return gettext("已保存")

    return handler


# The actions on a problem (monitoring:problem_action), each returning its message (fupin.core.actions).
PROBLEM_ACTIONS = {
    "rectify": _problem_rectify,
    "close": _problem_decision(problems.close_problem, "note"),
    "return": _problem_decision(problems.return_problem, "reason"),
}


@login_required
@require_POST
def problem_action(request, pk, action):
    _reader(request.user)
    problem = _get(selectors.problems_for(request.user), pk)
    perform(request, PROBLEM_ACTIONS, action, problem, refusals=REFUSED)
    return redirect("monitoring:problem_detail", problem.pk)
