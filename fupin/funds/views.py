"""Pages for projects, funds and microloans: thin views over selectors and services.

A record outside the user's scope is a 404; a role that may read but not act gets a 403 with
the reason. The public disclosure views at the end need no login and show masked data only.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from fupin.core import versions
from fupin.core.downloads import download
from fupin.core.lookup import get_in_scope
from fupin.core.pagination import page_of
from fupin.core.params import int_param, request_year, this_year
from fupin.regions.models import in_region
from fupin.registry.selectors import households_for

from . import exports, forms, funding, interest, permissions, projects, reconciliation, selectors, tables
from .models import FundSource, ProjectCategory, ProjectStatus
from .services import FundsError

LIST_CAP = 10_000  # lists count up to here (core.pagination)


def requested_county(request):
    county = selectors.default_county(
        request.user, request.GET.get("county") or request.POST.get("county", "")
    )
    if county is None:
        raise Http404(gettext("没有可查看的县"))
    return county


def requested_period(request):
    today = timezone.localdate()
    year = request_year(request, today.year)
    quarter = int_param(request.GET.get("quarter"), interest.quarter_of(today)[1], lo=0, hi=4)
    return year, quarter


# --- overview ------------------------------------------------------------------------------------


@login_required
def index(request):
    """One county's figures; a reader over several counties opens on the total of them all (county="" in the
    query string or none given), with a row per county."""
    user = request.user
    counties = selectors.counties_for(user)
    whole = len(counties) > 1 and not request.GET.get("county")
    county = None if whole else requested_county(request)
    code = "" if whole else county.code
    year = request_year(request, this_year())
    context = {
        "county": county,
        "counties": counties,
        "year": year,
        "allow_total": len(counties) > 1,
        "scope_name": user.region.name if user.region else gettext("全国"),
        "funds": selectors.fund_totals(selectors.funds_for(user, county=code, year=year)),
        "by_county": selectors.fund_totals_by_county(user, year=year) if whole else None,
        "projects": [
            (ProjectStatus(row["status"]).label, row["n"], row["budget"])
            for row in selectors.projects_for(user, county=code, year=year)
            .values("status")
            .annotate(n=Count("pk"), budget=Sum("budget_fen"))
            .order_by("status")
        ],
        "loans": selectors.loan_statistics(user, county_code=code),
        "risk": selectors.risk_totals(user, code),
        "is_county_office": permissions.is_county_office(user),
    }
    return render(request, "funds/index.html", context)


# --- projects ------------------------------------------------------------------------------------


@login_required
def project_list(request):
    county = requested_county(request)
    year = request_year(request)
    filters = tables.project_filters(request.GET)
    qs = tables.project_query(request.user, request.GET, county=county, year=year)
    return render(
        request,
        "funds/project_list.html",
        {
            "county": county,
            "counties": selectors.counties_for(request.user),
            "page": page_of(request, qs, cap=LIST_CAP),
            "year": year,
            "filters": filters,
            "statuses": ProjectStatus.choices,
            "categories": ProjectCategory.choices,
            "is_county_office": permissions.is_county_office(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def project_create(request):
    county = requested_county(request)
    form = forms.ProjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            project = projects.create_project(
                by=request.user,
                county_code=county.code,
                year=d["year"],
                code=d["code"],
                name=d["name"],
                category=d["category"],
                budget_fen=d["budget"],
                region_code=d["region"] or None,
                content=d["content"],
                implementer=d["implementer"],
                manager=d["manager"],
                funding=form.funding(),
                village_codes=form.village_codes(),
            )
        except FundsError as e:
            form.add_service_errors(e, {"budget": "budget", "villages": "villages", "funding": None})
        else:
            messages.success(request, gettext("项目 %(code)s 已入库") % {"code": project.code})
            return redirect("funds:project_detail", project.pk)
    return render(
        request,
        "funds/form_page.html",
        {
            "form": form,
            "title": gettext("新增项目（%(name)s）") % {"name": county.name},
            "back": reverse("funds:project_list"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def project_edit(request, pk):
    project = get_in_scope(selectors.project_for, request.user, pk)
    initial = _project_initial(project)
    data = versions.merged(request.POST, initial) if request.method == "POST" else None
    form = forms.ProjectForm(data, initial=initial, editing=True)
    conflict = None
    if data is not None and form.is_valid():
        d = form.cleaned_data
        expected, base = versions.posted(data)
        try:
            projects.update_project(
                project,
                by=request.user,
                expected_version=expected,
                name=d["name"],
                category=d["category"],
                budget_fen=d["budget"],
                region_code=d["region"],
                content=d["content"],
                implementer=d["implementer"],
                manager=d["manager"],
                funding=form.funding(),
                village_codes=form.village_codes(),
            )
        except versions.VersionConflict as e:
            conflict = versions.form_conflict(e, form, _project_initial(e.record), base)
        except FundsError as e:
            form.add_service_errors(e, {"funding": None})
        else:
            messages.success(request, gettext("项目已保存"))
            return redirect("funds:project_detail", project.pk)
    return render(
        request,
        "funds/form_page.html",
        {
            "form": form,
            "title": gettext("修改项目 %(code)s") % {"code": project.code},
            "back": reverse("funds:project_detail", args=[project.pk]),
            "conflict": conflict,
            "based_on": versions.page_state(request, project, initial, conflict),
        },
    )


def _project_initial(project) -> dict:
    """What the edit form shows of a project (and what a concurrent edit is compared in)."""
    return {
        "name": project.name,
        "category": project.category,
        "region": project.region_id if project.region_id != project.county_id else "",
        "budget": interest.fen_to_yuan(project.budget_fen),
        "content": project.content,
        "implementer": project.implementer,
        "manager": project.manager,
        "villages": ",".join(v.code for v in project.villages.all()),
    } | {f"funding_{f.source}": interest.fen_to_yuan(f.amount_fen) for f in project.funding.all()}


def _progress_initial(project) -> dict:
    """What the progress form shows of a project (and what a concurrent edit is compared in)."""
    return {"status": project.status, "progress": project.progress}


def _project_context(request, project, conflict=None, **forms_):
    """The project's page; `conflict`: the progress form's save found another user's progress meanwhile."""
    user = request.user
    funds = selectors.funds_for(user, county=project.county_id).order_by("-year", "source", "pk")
    context = {
        "project": project,
        "allocations": selectors.project_allocations(project),
        "payments": selectors.project_payments(project),
        "beneficiaries": selectors.project_beneficiaries(project),
        "planned_fen": sum(f.amount_fen for f in project.funding.all()),
        "is_county_office": permissions.is_county_office(user),
        "balance_fen": project.allocated_fen - project.paid_fen,
        "progress_form": forms_.get("progress_form")
        or forms.ProgressForm(initial=_progress_initial(project)),
        "conflict": conflict,
        "based_on": (
            versions.page_state(request, project, _progress_initial(project), conflict)
            if "progress_form" in forms_
            else versions.form_token(project, _progress_initial(project))
        ),
        "accept_form": forms_.get("accept_form") or forms.AcceptForm(),
        "beneficiary_form": forms_.get("beneficiary_form") or forms.BeneficiaryForm(),
        "allocate_form": forms_.get("allocate_form") or forms.AllocateForm(funds=funds),
        "payment_form": forms_.get("payment_form")
        or forms.PaymentForm(allocations=selectors.open_allocations(project)),
    }
    return context


@login_required
def project_detail(request, pk):
    project = get_in_scope(selectors.project_for, request.user, pk)
    return render(request, "funds/project_detail.html", _project_context(request, project))


def _project_action(request, pk, form_name, build, act, done):
    project = get_in_scope(selectors.project_for, request.user, pk)
    form = build(request, project)
    if form.is_valid():
        try:
            act(project, form.cleaned_data)
        except FundsError as e:
            form.add_service_errors(e)
        else:
            messages.success(request, done)
            return redirect("funds:project_detail", project.pk)
    return render(
        request,
        "funds/project_detail.html",
        _project_context(request, project, **{form_name: form}),
        status=400,
    )


@login_required
@require_POST
def project_progress(request, pk):
    project = get_in_scope(selectors.project_for, request.user, pk)
    data = versions.merged(request.POST, _progress_initial(project))
    form = forms.ProgressForm(data)
    conflict = None
    if form.is_valid():
        d = form.cleaned_data
        expected, base = versions.posted(data)
        try:
            projects.record_progress(
                project,
                by=request.user,
                status=d["status"],
                progress=d["progress"],
                on=d["on"],
                note=d["note"],
                expected_version=expected,
            )
        except versions.VersionConflict as e:
            conflict = versions.form_conflict(e, form, _progress_initial(e.record), base)
        except FundsError as e:
            form.add_service_errors(e)
        else:
            messages.success(request, gettext("实施进度已更新"))
            return redirect("funds:project_detail", project.pk)
    return render(
        request,
        "funds/project_detail.html",
        _project_context(request, project, conflict, progress_form=form),
        status=200 if conflict is not None else 400,
    )


@login_required
@require_POST
def project_accept(request, pk):
    return _project_action(
        request,
        pk,
        "accept_form",
        lambda r, p: forms.AcceptForm(r.POST),
        lambda p, d: projects.accept_project(
            p, by=request.user, accepted_on=d["accepted_on"], note=d["note"]
        ),
        gettext("项目已验收"),
    )


@login_required
@require_POST
def project_publish(request, pk):
    project = get_in_scope(selectors.project_for, request.user, pk)
    try:
        projects.publish_project(project, by=request.user)
    except FundsError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, gettext("项目已公告，公众可在公示页查看"))
    return redirect("funds:project_detail", project.pk)


@login_required
@require_POST
def project_beneficiary_add(request, pk):
    def act(project, d):
        household = (
            households_for(request.user)
            .filter(in_region("village_id", project.county_id), number=d["household"].strip())
            .first()
        )
        if household is None:
            raise FundsError(
                {
                    "household": gettext("户编号 %(household)s 不存在或不在您的范围内")
                    % {"household": d["household"]}
                }
            )
        projects.add_beneficiary(
            project, by=request.user, household=household, benefit=d["benefit"], amount_fen=d["amount"] or 0
        )

    return _project_action(
        request,
        pk,
        "beneficiary_form",
        lambda r, p: forms.BeneficiaryForm(r.POST),
        act,
        gettext("受益户已添加"),
    )


@login_required
@require_POST
def project_beneficiary_remove(request, pk, beneficiary_pk):
    project = get_in_scope(selectors.project_for, request.user, pk)
    beneficiary = get_in_scope(project.beneficiaries.select_related("household").get, pk=beneficiary_pk)
    projects.remove_beneficiary(beneficiary, by=request.user)
    messages.success(request, gettext("受益户已移除"))
    return redirect("funds:project_detail", project.pk)


@login_required
@require_POST
def project_allocate(request, pk):
    return _project_action(
        request,
        pk,
        "allocate_form",
        lambda r, p: forms.AllocateForm(r.POST, funds=selectors.funds_for(request.user, county=p.county_id)),
        lambda p, d: funding.allocate(
            by=request.user, fund=d["fund"], project=p, amount_fen=d["amount"], allocated_on=d["allocated_on"]
        ),
        gettext("资金已安排到项目"),
    )


@login_required
@require_POST
def project_pay(request, pk):
    return _project_action(
        request,
        pk,
        "payment_form",
        lambda r, p: forms.PaymentForm(r.POST, allocations=selectors.open_allocations(p)),
        lambda p, d: funding.record_payment(
            by=request.user,
            allocation=d["allocation"],
            amount_fen=d["amount"],
            paid_on=d["paid_on"],
            payee=d["payee"],
            voucher_no=d["voucher_no"],
        ),
        gettext("拨付已登记"),
    )


# --- funds ---------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def fund_list(request):
    county = requested_county(request)
    year = request_year(request)
    source = request.GET.get("source", "")
    if source not in FundSource.values:
        source = ""
    funds = tables.fund_query(request.user, request.GET, county=county)  # its export's rows too
    form = forms.FundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            fund = funding.create_fund(
                by=request.user,
                county_code=county.code,
                year=d["year"],
                source=d["source"],
                name=d["name"],
                amount_fen=d["amount"],
                document_no=d["document_no"],
                received_on=d["received_on"],
            )
        except FundsError as e:
            form.add_service_errors(e)
        else:
            messages.success(request, gettext("资金“%(name)s”已登记") % {"name": fund.name})
            return redirect(f"{reverse('funds:fund_list')}?county={county.code}")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "funds/fund_list.html",
        {
            "county": county,
            "counties": selectors.counties_for(request.user),
            "funds": funds,
            "totals": selectors.fund_totals(funds),
            "form": form,
            "year": year,
            "source": source,
            "sources": FundSource.choices,
            "is_county_office": permissions.is_county_office(request.user),
        },
        status=status,
    )


@login_required
def fund_detail(request, pk):
    fund = get_in_scope(selectors.fund_for, request.user, pk)
    return render(
        request, "funds/fund_detail.html", {"fund": fund, "allocations": selectors.fund_allocations(fund)}
    )


# --- reconciliation ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def reconciliation_index(request):
    county = requested_county(request)
    form = forms.LedgerForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            rows = reconciliation.parse_ledger(upload.read())
            ledger = funding.import_ledger(
                by=request.user,
                county_code=county.code,
                year=form.cleaned_data["year"],
                rows=rows,
                original_name=upload.name,
            )
        except reconciliation.LedgerFileError as e:
            for message in e.errors[:20]:
                form.add_error("file", message)
        except FundsError as e:
            form.add_service_errors(e)
        else:
            return redirect("funds:reconciliation_detail", ledger.pk)
    ledgers = selectors.ledger_imports_for(request.user).filter(county=county)[:20]
    return render(
        request,
        "funds/reconciliation_index.html",
        {
            "county": county,
            "form": form,
            "ledgers": ledgers,
            "is_county_office": permissions.is_county_office(request.user),
        },
        status=400 if request.method == "POST" else 200,
    )


def _mismatches(ledger):
    return selectors.ledger_mismatches(ledger)


@login_required
def reconciliation_detail(request, pk):
    ledger = get_in_scope(selectors.ledger_imports_for(request.user).get, pk=pk)
    return render(
        request, "funds/reconciliation_detail.html", {"ledger": ledger, "mismatches": _mismatches(ledger)}
    )


@login_required
def reconciliation_export(request, pk):
    ledger = get_in_scope(selectors.ledger_imports_for(request.user).get, pk=pk)
    return download(
        exports.mismatches_xlsx(ledger, _mismatches(ledger)),
        f"reconciliation-{ledger.county_id}-{ledger.year}.xlsx",
    )


@login_required
def reconciliation_template(request):
    return download(exports.ledger_template_xlsx(), "ledger-template.xlsx")


# --- public disclosure (no login) ----------------------------------------------------------------


def public_projects(request):
    counties = selectors.published_counties()
    county = request.GET.get("county", "")
    year = request_year(request)
    projects = tables.public_project_query(request.user, request.GET)  # its export's rows too
    totals = projects.aggregate(budget=Sum("budget_fen"))
    page = page_of(request, projects, cap=LIST_CAP)
    return render(
        request,
        "funds/public/project_list.html",
        {
            "counties": counties,
            "county": county,
            "year": year,
            "page": page,
            "budget_fen": totals["budget"] or 0,
        },
    )


def public_project(request, pk):
    project = get_in_scope(selectors.published_project, pk)
    return render(
        request,
        "funds/public/project_detail.html",
        {
            "project": project,
            "funding": project.funding.all(),
            "beneficiaries": project.beneficiaries.select_related("household__village").order_by(
                "household__village_id", "household__number"
            ),
            "allocations": selectors.project_allocations(project),
            "payments": selectors.project_payments(project),
        },
    )
