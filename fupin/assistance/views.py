"""Assistance pages: thin views over selectors and services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fupin.core import versions
from fupin.core.actions import perform
from fupin.core.downloads import download, file_view, stored_file_response
from fupin.core.lookup import get_in_scope
from fupin.core.pagination import first_rows, page_of
from fupin.core.params import int_param
from fupin.regions.models import Region, RegionLevel
from fupin.regions.selectors import home_region, path_for, regions_for
from fupin.registry import selectors as registry_selectors
from fupin.registry.models import Household

from . import exports, forms, handbook, permissions, roster, rules, selectors, services, tables, work
from .models import BatchKind, BatchStatus, VisitPhoto


def _household(request, pk) -> Household:
    return get_in_scope(
        registry_selectors.household_for,
        request.user,
        pk,
        message=gettext("没有找到该户，或不在您的帮扶范围内"),
    )


def _region_param(request) -> str:
    """The ?region= filter if it is a code inside the user's scope, else ""."""
    return tables.region_param(request.user, request.GET)


def _manager_regions(user):
    """Regions a manager may bind units and helpers to: county, township and village levels in scope."""
    return (
        regions_for(user)
        .filter(level__in=(RegionLevel.COUNTY, RegionLevel.TOWNSHIP, RegionLevel.VILLAGE))
        .only("code", "name", "level")[:3000]
    )


# ---------------------------------------------------------------- overview and lists


@login_required
@require_GET
def index(request):
    if permissions.is_helper(request.user):
        return redirect("assistance:my_households")
    region = _region_param(request) or (request.user.scope_prefix or "")
    coverage = selectors.coverage_by_region(request.user, region)
    current = Region.objects.filter(code=region).first() if region else None
    return render(
        request,
        "assistance/index.html",
        {
            "coverage": coverage,
            "region": current,
            "path": path_for(request.user, current),
            "home": home_region(request.user),
            "can_manage": permissions.can_manage(request.user),
            "can_configure": permissions.can_configure(request.user),
            "settings": selectors.settings_for(region) if len(region) >= 6 else None,
        },
    )


@login_required
@require_GET
def my_households(request):
    households = selectors.my_households(request.user)
    helper = selectors.helpers_for(request.user).filter(user=request.user).first()
    return render(
        request,
        "assistance/my_households.html",
        {"households": households, "helper": helper, "today": timezone.localdate()},
    )


@login_required
@require_GET
def unpaired(request):
    region = _region_param(request)
    page = page_of(request, tables.unpaired_query(request.user, request.GET))
    return render(
        request,
        "assistance/unpaired.html",
        {"page": page, "region": region, "can_manage": permissions.can_manage(request.user)},
    )


@login_required
@require_GET
def overdue(request):
    region = _region_param(request)
    today = timezone.localdate()
    page = page_of(request, tables.overdue_query(request.user, request.GET, today=today))
    for h in page:
        h.due = selectors.visit_due(h, today=today)
    return render(request, "assistance/overdue.html", {"page": page, "region": region})


# ---------------------------------------------------------------- one household


def _household_context(request, household, **forms_in) -> dict:
    user = request.user
    data = selectors.household_assistance(household)
    ctx = {
        "household": household,
        **data,
        "can_manage": permissions.can_manage(user),
        "can_plan": permissions.can_plan(user),
        "can_visit": permissions.can_visit(user),
        "needs_helper": household.status in rules.NEEDS_HELPER,
        "default_class": services.default_plan_class(household),
    }
    # a refused form is shown with its errors even where the page would not offer it afresh
    if forms_in.get("pair_form"):
        ctx["pair_form"] = forms_in["pair_form"]
    elif ctx["can_manage"] and household.status in rules.NEEDS_HELPER:
        helpers = selectors.candidate_helpers(user, household)
        form_class = forms.ReassignForm if data["current"] else forms.PairForm
        ctx["pair_form"] = form_class(helpers=helpers)
    if forms_in.get("end_form"):
        ctx["end_form"] = forms_in["end_form"]
    elif ctx["can_manage"] and data["current"] and household.status not in rules.NEEDS_HELPER:
        ctx["end_form"] = forms.EndPairingForm()
    if ctx["can_plan"]:
        plan = data["plan"]
        shown = _plan_initial(plan, ctx["default_class"])
        ctx["plan_form"] = forms_in.get("plan_form") or forms.PlanForm(initial=shown)
        ctx["plan_conflict"] = forms_in.get("plan_conflict")
        ctx["plan_based_on"] = forms_in.get("plan_based_on") or versions.form_token(plan, shown)
        ctx["measure_form"] = forms_in.get("measure_form") or forms.MeasureForm(
            catalogue=selectors.catalogue()
        )
    return ctx


@login_required
@require_GET
def household(request, pk):
    household = _household(request, pk)
    return render(request, "assistance/household.html", _household_context(request, household))


@login_required
@require_POST
def pair(request, pk):
    household = _household(request, pk)
    if not permissions.can_manage(request.user):
        raise PermissionDenied(gettext("只有乡镇、县扶贫办可以安排结对帮扶"))
    current = household.pairings.filter(ended_on__isnull=True).exists()
    helpers = selectors.candidate_helpers(request.user, household)
    form = (forms.ReassignForm if current else forms.PairForm)(request.POST, helpers=helpers)
    if form.is_valid():
        helper = next((h for h in helpers if h.pk == form.cleaned_data["helper"]), None)
        try:
            if helper is None:
                raise services.AssistanceError({"helper": gettext("请选择在该村工作的帮扶责任人")})
            if current:
                services.reassign_household(
                    household,
                    helper,
                    by=request.user,
                    on=form.cleaned_data["started_on"],
                    reason=form.cleaned_data["reason"],
                    expected_pairing=int_param(request.POST.get("pairing"), 0),
                )
                messages.success(request, gettext("已将该户调整给%(name)s帮扶") % {"name": helper.name})
            else:
                services.pair_household(
                    household,
                    helper,
                    by=request.user,
                    started_on=form.cleaned_data["started_on"],
                    reason=form.cleaned_data["reason"],
                )
                messages.success(request, gettext("已安排%(name)s结对帮扶该户") % {"name": helper.name})
            return redirect("assistance:household", pk=household.pk)
        except services.AssistanceError as e:
            form.add_service_errors(e.errors, field_map={"on": "started_on", "household": None})
    return render(
        request,
        "assistance/household.html",
        _household_context(request, household, pair_form=form),
        status=400,
    )


@login_required
@require_POST
def end_pairing(request, pk):
    household = _household(request, pk)
    form = forms.EndPairingForm(request.POST)
    if form.is_valid():
        try:
            services.end_pairing(
                household,
                by=request.user,
                on=form.cleaned_data["on"],
                reason=form.cleaned_data["reason"],
                expected_pairing=int_param(request.POST.get("pairing"), 0),
            )
            messages.success(request, gettext("已解除结对帮扶"))
            return redirect("assistance:household", pk=household.pk)
        except services.AssistanceError as e:
            form.add_service_errors(e.errors, field_map={"household": None})
    return render(
        request,
        "assistance/household.html",
        _household_context(request, household, end_form=form),
        status=400,
    )


@login_required
@require_POST
def save_plan(request, pk):
    household = _household(request, pk)
    default_class = services.default_plan_class(household)
    shown = _plan_initial(selectors.plan_of(household), default_class)
    data = versions.merged(request.POST, shown)
    form = forms.PlanForm(data)
    conflict = None
    if form.is_valid():
        expected, base = versions.posted(data)
        try:
            services.save_plan(household, by=request.user, expected_version=expected, **form.cleaned_data)
            messages.success(request, gettext("帮扶计划已保存"))
            return redirect("assistance:household", pk=household.pk)
        except versions.VersionConflict as e:
            conflict = versions.form_conflict(e, form, _plan_initial(e.record, default_class), base)
        except services.AssistanceError as e:
            form.add_service_errors(e.errors)
    based_on = versions.page_state(request, None, shown, conflict)
    return render(
        request,
        "assistance/household.html",
        _household_context(
            request, household, plan_form=form, plan_conflict=conflict, plan_based_on=based_on
        ),
        status=409 if conflict else 400,
    )


def _plan_initial(plan, default_class: str) -> dict:
    """What the plan form shows (a new plan's class from the household)."""
    return {
        "plan_class": plan.plan_class if plan else default_class,
        "target_exit_year": plan.target_exit_year if plan else timezone.localdate().year,
        "goals": plan.goals if plan else "",
    }


@login_required
@require_POST
def add_measure(request, pk):
    household = _household(request, pk)
    form = forms.MeasureForm(request.POST, catalogue=selectors.catalogue())
    if form.is_valid():
        try:
            services.add_measure(household, by=request.user, **form.cleaned_data)
            messages.success(request, gettext("已添加帮扶措施"))
            return redirect(reverse("assistance:household", args=[household.pk]) + "#measures")
        except services.AssistanceError as e:
            form.add_service_errors(e.errors)
    return render(
        request,
        "assistance/household.html",
        _household_context(request, household, measure_form=form),
        status=400,
    )


@login_required
@require_http_methods(["GET", "POST"])
def measure(request, pk):
    item = get_in_scope(selectors.measure_for, request.user, pk, message=gettext("没有找到该措施"))
    fields = ("status", "actual_amount", "income_increase", "completed_on", "result", "deadline")
    shown = {f: getattr(item, f) for f in fields}
    conflict = None
    if request.method == "POST":
        data = versions.merged(request.POST, shown)
        form = forms.MeasureProgressForm(data)
        if form.is_valid():
            expected, base = versions.posted(data)
            try:
                services.update_measure(item, by=request.user, expected_version=expected, **form.cleaned_data)
                messages.success(request, gettext("已更新措施“%(name)s”") % {"name": item.catalogue.name})
                return redirect(reverse("assistance:household", args=[item.plan.household_id]) + "#measures")
            except versions.VersionConflict as e:
                now = {f: getattr(e.record, f) for f in fields}
                conflict = versions.form_conflict(e, form, now, base)
            except services.AssistanceError as e:
                form.add_service_errors(e.errors)
    else:
        form = forms.MeasureProgressForm(initial=shown)
    return render(
        request,
        "assistance/measure.html",
        {
            "measure": item,
            "form": form,
            "household": item.plan.household,
            "can_plan": permissions.can_plan(request.user),
            "conflict": conflict,
            "based_on": versions.page_state(request, item, shown, conflict),
        },
        status=(409 if conflict else 400) if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def add_visit(request, pk):
    household = _household(request, pk)
    if not permissions.can_visit(request.user):
        raise PermissionDenied(gettext("您的角色不能录入走访记录"))
    helpers = (
        None if permissions.is_helper(request.user) else selectors.candidate_helpers(request.user, household)
    )
    if request.method == "POST":
        form = forms.VisitForm(request.POST, request.FILES, helpers=helpers)
        if form.is_valid():
            items, notes = form.guarantees()
            helper = next((h for h in helpers or [] if h.pk == form.cleaned_data.get("helper")), None)
            try:
                services.record_visit(
                    household,
                    by=request.user,
                    visited_on=form.cleaned_data["visited_on"],
                    kind=form.cleaned_data["kind"],
                    helper=helper,
                    findings=form.cleaned_data["findings"],
                    problems=form.cleaned_data["problems"],
                    guarantees=items,
                    guarantee_notes=notes,
                    photos=form.cleaned_data["photos"],
                )
                messages.success(request, gettext("走访记录已保存"))
                return redirect(reverse("assistance:household", args=[household.pk]) + "#visits")
            except services.AssistanceError as e:
                form.add_service_errors(e.errors)
    else:
        form = forms.VisitForm(helpers=helpers)
    return render(
        request,
        "assistance/visit_form.html",
        {"household": household, "form": form},
        status=400 if form.is_bound else 200,
    )


@file_view
def visit_photo(request, pk):
    """A visit photo, served only to users who may read the household."""
    photo = VisitPhoto.objects.filter(pk=pk).select_related("visit").first()
    if photo is None:
        raise Http404
    selectors.visit_for(request.user, photo.visit_id)  # out of scope: a 404 (file_view)
    return stored_file_response(photo.image)


@login_required
@require_GET
def handbook_pdf(request, pk):
    household = _household(request, pk)
    pdf = handbook.render_handbook_pdf(household, base_url=request.build_absolute_uri("/"))
    return download(pdf, handbook.handbook_filename(household), inline=not request.GET.get("download"))


@login_required
@require_POST
def renew_handbook_code(request, pk):
    """End the QR codes of every handbook printed so far for this household, before printing it again."""
    household = _household(request, pk)
    try:
        handbook.renew_public_code(household, by=request.user)
    except services.AssistanceError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, gettext("旧扶贫手册的二维码已作废，请重新打印扶贫手册"))
    return redirect("assistance:household", pk=household.pk)


# ---------------------------------------------------------------- units and helpers


@login_required
@require_http_methods(["GET", "POST"])
def helpers(request):
    user = request.user
    form = None
    if permissions.can_manage(user):
        form = forms.HelperForm(
            request.POST or None,
            units=selectors.units_for(user).order_by("name"),
            regions=_manager_regions(user),
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                helper = roster.create_helper(
                    by=user,
                    unit=data["unit"],
                    name=data["name"],
                    kind=data["kind"],
                    position=data["position"],
                    phone=data["phone"],
                    region_code=data["region"],
                )
                messages.success(request, gettext("已登记帮扶责任人%(name)s") % {"name": helper.name})
                return redirect("assistance:helper", pk=helper.pk)
            except services.AssistanceError as e:
                form.add_service_errors(e.errors)
    elif request.method == "POST":
        raise PermissionDenied(gettext("只有乡镇、县扶贫办可以登记帮扶责任人"))
    qs = tables.helpers_query(user, request.GET).rows
    return render(
        request,
        "assistance/helpers.html",
        {"page": page_of(request, qs), "form": form, "q": request.GET.get("q", "")},
        status=400 if form is not None and form.is_bound else 200,
    )


def _helper_on_duty(active):
    def handler(request, item):
        roster.update_helper(item, by=request.user, active=active)
        return gettext("已更新在岗状态")

    return handler


# The buttons on a helper's page (their `action` field) other than opening a login, which re-renders its form.
HELPER_ACTIONS = {"activate": _helper_on_duty(True), "deactivate": _helper_on_duty(False)}


@login_required
@require_http_methods(["GET", "POST"])
def helper(request, pk):
    item = get_in_scope(selectors.helper_for, request.user, pk, message=gettext("没有找到该帮扶责任人"))
    login_form = forms.HelperLoginForm(request.POST if request.POST.get("action") == "login" else None)
    if request.method == "POST" and not login_form.is_bound:
        perform(
            request,
            HELPER_ACTIONS,
            request.POST.get("action", ""),
            item,
            refusals=(services.AssistanceError,),
        )
        return redirect("assistance:helper", pk=item.pk)
    if login_form.is_bound and login_form.is_valid():
        try:
            roster.give_helper_login(item, by=request.user, **login_form.cleaned_data)
            messages.success(request, gettext("已为%(name)s开通登录账号") % {"name": item.name})
            return redirect("assistance:helper", pk=item.pk)
        except services.AssistanceError as e:
            login_form.add_service_errors(e.errors)
    return render(
        request,
        "assistance/helper.html",
        {
            "helper": item,
            "households": selectors.helper_households(request.user, item),
            "history": selectors.pairing_history_of_helper(request.user, item)[:200],
            "login_form": login_form,
            "can_manage": permissions.can_manage(request.user),
            "cap": selectors.settings_for(item.region_id).load_cap,
        },
        status=400 if login_form.is_bound else 200,
    )


UNITS_SHOWN = 500


@login_required
@require_http_methods(["GET", "POST"])
def units(request):
    user = request.user
    form = None
    if permissions.can_manage(user):
        form = forms.UnitForm(request.POST or None, regions=_manager_regions(user))
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                unit = roster.create_unit(
                    by=user,
                    name=data["name"],
                    kind=data["kind"],
                    region_code=data["region"],
                    contact_person=data["contact_person"],
                    contact_phone=data["contact_phone"],
                    address=data["address"],
                )
                messages.success(request, gettext("已登记帮扶单位%(name)s") % {"name": unit.name})
                return redirect("assistance:units")
            except services.AssistanceError as e:
                form.add_service_errors(e.errors)
    elif request.method == "POST":
        raise PermissionDenied(gettext("只有乡镇、县扶贫办可以登记帮扶单位"))
    units, total = first_rows(tables.units_query(user, request.GET), UNITS_SHOWN)  # its export: all of them
    return render(
        request,
        "assistance/units.html",
        {"units": units, "shown": UNITS_SHOWN, "total": total, "form": form},
        status=400 if form is not None and form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_helpers(request):
    if not permissions.can_manage(request.user):
        raise PermissionDenied(gettext("只有乡镇、县扶贫办可以导入帮扶责任人"))
    result = None
    form = forms.HelperImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            rows = roster.read_helper_sheet(form.cleaned_data["file"])
            result = roster.import_helpers(by=request.user, rows=rows)
            if not result.errors:
                messages.success(
                    request,
                    gettext(
                        "导入完成：新增帮扶单位%(units_created)s个、帮扶责任人%(helpers_created)s名，%(helpers_unchanged)s名已存在未改动"
                    )
                    % {
                        "units_created": result.units_created,
                        "helpers_created": result.helpers_created,
                        "helpers_unchanged": result.helpers_unchanged,
                    },
                )
        except services.AssistanceError as e:
            form.add_service_errors(e.errors)
    return render(
        request,
        "assistance/import_helpers.html",
        {"form": form, "result": result},
        status=400 if (form.is_bound and (form.errors or (result and result.errors))) else 200,
    )


@login_required
@require_GET
def helper_template(request):
    return download(exports.helper_template_xlsx(), gettext("帮扶责任人导入模板.xlsx"))


@login_required
@require_http_methods(["GET", "POST"])
def county_settings(request):
    user = request.user
    if not permissions.can_configure(user):
        raise PermissionDenied(gettext("只有县扶贫办可以设置帮扶参数"))
    county = (request.GET.get("county") or request.POST.get("county") or user.scope_prefix or "")[:6]
    region = Region.objects.filter(code=county, level=RegionLevel.COUNTY).first()
    if region is None or not user.in_scope(region.code):
        raise Http404(gettext("请选择本辖区的县"))
    current = selectors.settings_for(region.code)
    shown = _settings_initial(current)
    data = versions.merged(request.POST, shown) if request.method == "POST" else None
    form = forms.SettingsForm(data, initial=shown)
    conflict = None
    if data is not None and form.is_valid():
        expected, base = versions.posted(data)
        try:
            saved = services.update_settings(
                by=user, county_code=region.code, expected_version=expected, **form.cleaned_data
            )
            messages.success(
                request,
                gettext("帮扶参数已保存")
                + (
                    gettext("；注意：有%(helpers_over_cap)s名帮扶责任人结对户数已超过新上限")
                    % {"helpers_over_cap": saved.helpers_over_cap}
                    if saved.helpers_over_cap
                    else ""
                ),
            )
            return redirect(reverse("assistance:settings") + f"?county={region.code}")
        except versions.VersionConflict as e:
            conflict = versions.form_conflict(e, form, _settings_initial(e.record), base)
        except services.AssistanceError as e:
            form.add_service_errors(e.errors)
    return render(
        request,
        "assistance/settings.html",
        {
            "form": form,
            "county": region,
            "conflict": conflict,
            "based_on": versions.page_state(request, current if current.pk else None, shown, conflict),
        },
        status=200 if conflict is not None else 400 if form.is_bound else 200,
    )


def _settings_initial(current) -> dict:
    """What the parameters form shows of a county's settings (and what a concurrent edit is compared in)."""
    return {"load_cap": current.load_cap, "visit_interval_days": current.visit_interval_days}


# ---------------------------------------------------------------- monitoring and demand lists


def _period(request) -> tuple[int, int]:
    raw = request.GET.get("period") or request.POST.get("period") or ""
    try:
        year, month = (int(p) for p in raw.split("-"))
        if month in (6, 12) and 2014 <= year <= timezone.localdate().year + 1:
            return year, month
    except ValueError:
        pass
    today = timezone.localdate()
    return (today.year, 12) if today.month > 6 else (today.year, 6)


@login_required
@require_GET
def monitoring(request):
    year, month = _period(request)
    region = _region_param(request)
    report = selectors.helper_monitoring(request.user, year=year, month=month, region=region)
    if request.GET.get("format") == "xlsx":
        return download(
            exports.monitoring_xlsx(report),
            gettext("帮扶监测_%(year)s年%(month)s月.xlsx") % {"year": year, "month": month},
        )
    return render(
        request,
        "assistance/monitoring.html",
        {
            "report": report,
            "period": f"{year}-{month:02d}",
            "periods": forms.period_choices(),
            "region": region,
            "reports": selectors.monitoring_reports_for(request.user)[:20],
            "can_submit": permissions.can_report_monitoring(request.user),
        },
    )


@login_required
@require_POST
def submit_monitoring(request):
    year, month = _period(request)
    region = _region_param(request) or request.user.scope_prefix or ""
    try:
        services.submit_monitoring(by=request.user, region_code=region, year=year, month=month)
        messages.success(
            request, gettext("%(year)s年%(month)s月帮扶监测结果已上报") % {"year": year, "month": month}
        )
    except services.AssistanceError as e:
        messages.error(request, str(e))
    return redirect(reverse("assistance:monitoring") + f"?period={year}-{month:02d}")


@login_required
@require_GET
def demand(request):
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    year = min(max(year, 2014), timezone.localdate().year + 10)
    region = _region_param(request)
    data = selectors.demand_list(request.user, year=year, region=region)
    if request.GET.get("format") == "xlsx":
        return download(exports.demand_xlsx(data), gettext("需求清单_%(year)s年.xlsx") % {"year": year})
    return render(
        request,
        "assistance/demand.html",
        {
            "data": data,
            "year": year,
            "region": region,
            "years": range(timezone.localdate().year + 1, 2013, -1),
        },
    )


# ---------------------------------------------------------------- handbook batches


HANDBOOK_BATCHES_SHOWN = 30


@login_required
@require_http_methods(["GET", "POST"])
def batches(request):
    user = request.user
    # 403 to a helper; the page shows the latest, its export all of them
    batches, total = first_rows(tables.handbook_batches_query(user, request.GET), HANDBOOK_BATCHES_SHOWN)
    form = forms.BatchForm(request.POST or None, villages=selectors.villages_for(user)[:3000])
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.start_handbook_batch(
                by=user, village_code=form.cleaned_data["village"], kind=form.cleaned_data["kind"]
            )
            return redirect("assistance:batch", pk=batch.pk)
        except services.AssistanceError as e:
            form.add_service_errors(e.errors)
    return render(
        request,
        "assistance/batches.html",
        {"form": form, "batches": batches, "shown": HANDBOOK_BATCHES_SHOWN, "total": total},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_GET
def batch(request, pk):
    item = get_in_scope(selectors.handbook_batch_for, request.user, pk)
    if item.status == BatchStatus.RUNNING and work.settle(item.pk):  # its process had died
        item.refresh_from_db()
    template = "assistance/_batch_progress.html" if request.htmx else "assistance/batch.html"
    return render(
        request,
        template,
        {"batch": item, "running": item.status in (BatchStatus.PENDING, BatchStatus.RUNNING)},
    )


@file_view
def batch_download(request, pk):
    item = selectors.handbook_batch_for(request.user, pk)  # out of scope: a 404 (file_view)
    if item.status != BatchStatus.DONE or not item.file:
        raise Http404(gettext("手册尚未生成完成"))
    what = "贫困户登记表" if item.kind == BatchKind.REGISTRATION_FORM else "扶贫手册"
    return stored_file_response(item.file, filename=f"{what}_{item.village.name}_{item.village_id}.zip")


# ---------------------------------------------------------------- the public summary behind the QR code


@require_GET
def public_summary(request, token):
    try:
        household = handbook.household_from_token(token)
    except handbook.PublicCodeInvalid:
        raise Http404(gettext("二维码无效")) from None
    except handbook.PublicCodeExpired:
        return render(request, "assistance/public_code_expired.html", status=410)
    return render(request, "assistance/public_summary.html", {"summary": selectors.public_summary(household)})
