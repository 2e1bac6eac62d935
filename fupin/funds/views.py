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
from django.views.decorators.http import require_http_methods, require_POST

from fupin.core.actions import handler_for
from fupin.core.downloads import download
from fupin.core.lookup import get_in_scope
from fupin.core.pagination import page_of
from fupin.core.params import int_param, request_year, this_year
from fupin.regions.models import in_region
from fupin.registry.selectors import households_for

from . import exports, forms, funding, interest, permissions, projects, reconciliation, selectors, services
from .models import FundSource, LoanStatus, ProjectCategory, ProjectStatus
from .services import FundsError

LIST_CAP = 10_000  # lists count up to here (core.pagination)


def _found(fn, *args, **kwargs):
    return get_in_scope(fn, *args, **kwargs)


def _county(request):
    county = selectors.default_county(
        request.user, request.GET.get("county") or request.POST.get("county", "")
    )
    if county is None:
        raise Http404("没有可查看的县")
    return county


def _period(request):
    today = timezone.localdate()
    year = request_year(request, today.year)
    quarter = int_param(request.GET.get("quarter"), interest.quarter_of(today)[1], lo=0, hi=4)
    return year, quarter


def _refused(form, error: FundsError, field_map=None):
    """Put a service's {field: message} on the form's matching fields, the rest at the top."""
    field_map = field_map or {}
    for field, message in error.errors.items():
        name = field_map.get(field, field)
        form.add_error(name if name in form.fields else None, message)


# --- overview ------------------------------------------------------------------------------------


@login_required
def index(request):
    """One county's figures; a reader over several counties opens on the total of them all (county="" in the query
    string or none given), with a row per county."""
    user = request.user
    counties = selectors.counties_for(user)
    whole = len(counties) > 1 and not request.GET.get("county")
    county = None if whole else _county(request)
    code = "" if whole else county.code
    year = request_year(request, this_year())
    context = {
        "county": county,
        "counties": counties,
        "year": year,
        "allow_total": len(counties) > 1,
        "scope_name": user.region.name if user.region else "全国",
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
    county = _county(request)
    year = request_year(request)
    filters = {
        "status": request.GET.get("status", ""),
        "category": request.GET.get("category", ""),
        "q": request.GET.get("q", ""),
    }
    if filters["status"] not in ProjectStatus.values:
        filters["status"] = ""
    if filters["category"] not in ProjectCategory.values:
        filters["category"] = ""
    qs = selectors.projects_for(request.user, county=county.code, year=year, **filters)
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
    county = _county(request)
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
            _refused(form, e, {"budget": "budget", "villages": "villages", "funding": None})
        else:
            messages.success(request, f"项目 {project.code} 已入库")
            return redirect("funds:project_detail", project.pk)
    return render(
        request,
        "funds/form_page.html",
        {"form": form, "title": f"新增项目（{county.name}）", "back": reverse("funds:project_list")},
    )


@login_required
@require_http_methods(["GET", "POST"])
def project_edit(request, pk):
    project = _found(selectors.project_for, request.user, pk)
    initial = {
        "name": project.name,
        "category": project.category,
        "region": project.region_id if project.region_id != project.county_id else "",
        "budget": interest.fen_to_yuan(project.budget_fen),
        "content": project.content,
        "implementer": project.implementer,
        "manager": project.manager,
        "villages": ",".join(v.code for v in project.villages.all()),
    } | {f"funding_{f.source}": interest.fen_to_yuan(f.amount_fen) for f in project.funding.all()}
    form = forms.ProjectForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            projects.update_project(
                project,
                by=request.user,
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
        except FundsError as e:
            _refused(form, e, {"funding": None})
        else:
            messages.success(request, "项目已保存")
            return redirect("funds:project_detail", project.pk)
    return render(
        request,
        "funds/form_page.html",
        {
            "form": form,
            "title": f"修改项目 {project.code}",
            "back": reverse("funds:project_detail", args=[project.pk]),
        },
    )


def _project_context(request, project, **forms_):
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
        or forms.ProgressForm(initial={"status": project.status, "progress": project.progress}),
        "accept_form": forms_.get("accept_form") or forms.AcceptForm(),
        "beneficiary_form": forms_.get("beneficiary_form") or forms.BeneficiaryForm(),
        "allocate_form": forms_.get("allocate_form") or forms.AllocateForm(funds=funds),
        "payment_form": forms_.get("payment_form")
        or forms.PaymentForm(allocations=selectors.open_allocations(project)),
    }
    return context


@login_required
def project_detail(request, pk):
    project = _found(selectors.project_for, request.user, pk)
    return render(request, "funds/project_detail.html", _project_context(request, project))


def _project_action(request, pk, form_name, build, act, done):
    project = _found(selectors.project_for, request.user, pk)
    form = build(request, project)
    if form.is_valid():
        try:
            act(project, form.cleaned_data)
        except FundsError as e:
            _refused(form, e)
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
    return _project_action(
        request,
        pk,
        "progress_form",
        lambda r, p: forms.ProgressForm(r.POST),
        lambda p, d: projects.record_progress(
            p, by=request.user, status=d["status"], progress=d["progress"], on=d["on"], note=d["note"]
        ),
        "实施进度已更新",
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
        "项目已验收",
    )


@login_required
@require_POST
def project_publish(request, pk):
    project = _found(selectors.project_for, request.user, pk)
    try:
        projects.publish_project(project, by=request.user)
    except FundsError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, "项目已公告，公众可在公示页查看")
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
            raise FundsError({"household": f"户编号 {d['household']} 不存在或不在您的范围内"})
        projects.add_beneficiary(
            project, by=request.user, household=household, benefit=d["benefit"], amount_fen=d["amount"] or 0
        )

    return _project_action(
        request, pk, "beneficiary_form", lambda r, p: forms.BeneficiaryForm(r.POST), act, "受益户已添加"
    )


@login_required
@require_POST
def project_beneficiary_remove(request, pk, beneficiary_pk):
    project = _found(selectors.project_for, request.user, pk)
    beneficiary = _found(project.beneficiaries.select_related("household").get, pk=beneficiary_pk)
    projects.remove_beneficiary(beneficiary, by=request.user)
    messages.success(request, "受益户已移除")
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
        "资金已安排到项目",
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
        "拨付已登记",
    )


# --- funds ---------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def fund_list(request):
    county = _county(request)
    year = request_year(request)
    source = request.GET.get("source", "")
    if source not in FundSource.values:
        source = ""
    funds = selectors.funds_for(request.user, county=county.code, year=year, source=source)
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
            _refused(form, e)
        else:
            messages.success(request, f"资金“{fund.name}”已登记")
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
    fund = _found(selectors.fund_for, request.user, pk)
    return render(
        request, "funds/fund_detail.html", {"fund": fund, "allocations": selectors.fund_allocations(fund)}
    )


# --- reconciliation ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def reconciliation_index(request):
    county = _county(request)
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
            _refused(form, e)
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
    return reconciliation.reconcile(
        year=ledger.year,
        library=reconciliation.library_of(ledger.county_id),
        ledger=reconciliation.ledger_rows(ledger.rows),
    )


@login_required
def reconciliation_detail(request, pk):
    ledger = _found(selectors.ledger_imports_for(request.user).get, pk=pk)
    return render(
        request, "funds/reconciliation_detail.html", {"ledger": ledger, "mismatches": _mismatches(ledger)}
    )


@login_required
def reconciliation_export(request, pk):
    ledger = _found(selectors.ledger_imports_for(request.user).get, pk=pk)
    return download(
        exports.mismatches_xlsx(ledger, _mismatches(ledger)),
        f"reconciliation-{ledger.county_id}-{ledger.year}.xlsx",
    )


@login_required
def reconciliation_template(request):
    return download(exports.ledger_template_xlsx(), "ledger-template.xlsx")


# --- loans ---------------------------------------------------------------------------------------


@login_required
def loan_list(request):
    county = _county(request)
    status = request.GET.get("status", "")
    if status not in LoanStatus.values:
        status = ""
    kind = request.GET.get("kind", "") if request.GET.get("kind") in ("household", "enterprise") else ""
    qs = selectors.loans_for(
        request.user, county=county.code, status=status, kind=kind, q=request.GET.get("q", "")
    )
    return render(
        request,
        "funds/loan_list.html",
        {
            "county": county,
            "counties": selectors.counties_for(request.user),
            "page": page_of(request, qs, cap=LIST_CAP),
            "status": status,
            "kind": kind,
            "q": request.GET.get("q", ""),
            "statuses": LoanStatus.choices,
            "stats": selectors.loan_statistics(request.user, county_code=county.code),
            "is_county_office": permissions.is_county_office(request.user),
            "can_apply": permissions.can_apply(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def loan_apply(request, household_pk):
    household = _found(households_for(request.user).select_related("village").get, pk=household_pk)
    form = forms.HouseholdLoanForm(request.POST or None, household=household)
    policy = selectors.policy_for(household.village_id)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            loan = services.apply_for_household_loan(
                by=request.user,
                household=household,
                borrower=d["borrower"],
                amount_fen=d["amount"],
                term_months=d["term_months"],
                industry=d["industry"],
                purpose=d["purpose"],
                bank=d["bank"],
                village_opinion=d["village_opinion"],
                capacity_confirmed=d["capacity_confirmed"],
                applied_on=d["applied_on"],
            )
        except FundsError as e:
            _refused(form, e, {"household": None})
        else:
            messages.success(request, "贷款申请已登记")
            return redirect("funds:loan_detail", loan.pk)
    return render(
        request,
        "funds/loan_apply.html",
        {
            "form": form,
            "household": household,
            "policy": policy,
            "banks": selectors.banks_in(household.village_id[:6]),
            "room_fen": selectors.household_loan_room(household, policy),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def loan_apply_enterprise(request):
    county = _county(request)
    form = forms.EnterpriseLoanForm(request.POST or None, initial={"region": county.code})
    if request.method == "POST" and form.is_valid():
        numbers = [
            line.replace("，", ",").split(",")[0].replace(" ", "")
            for line in form.cleaned_data["links"].splitlines()
        ]
        households = {
            h.number: h for h in households_for(request.user).filter(number__in=[n for n in numbers if n])
        }
        links = form.parse_links(households)
        if form.is_valid():
            d = form.cleaned_data
            try:
                loan = services.apply_for_enterprise_loan(
                    by=request.user,
                    region_code=d["region"].strip(),
                    borrower_kind=d["borrower_kind"],
                    name=d["name"],
                    credit_code=d["credit_code"],
                    amount_fen=d["amount"],
                    term_months=d["term_months"],
                    industry=d["industry"],
                    purpose=d["purpose"],
                    bank=d["bank"],
                    links=links,
                    village_opinion=d["village_opinion"],
                    applied_on=d["applied_on"],
                )
            except FundsError as e:
                _refused(form, e, {"county": "region"})
            else:
                messages.success(request, "贷款申请已登记")
                return redirect("funds:loan_detail", loan.pk)
    return render(
        request,
        "funds/loan_apply.html",
        {"form": form, "county": county, "banks": selectors.banks_in(county.code)},
        status=400 if request.method == "POST" else 200,
    )


# The actions on a loan (funds:loan_action): each its form and the service call its cleaned data makes.
# A refusal re-renders the page with the bound form, so the table is looked up with fupin.core.actions.handler_for.
LOAN_ACTIONS = {
    "approve": (
        forms.ApproveForm,
        lambda loan, by, d: services.approve_loan(
            loan,
            by=by,
            amount_fen=d["amount"],
            interest_rate=d["interest_rate"],
            benchmark_rate=d["benchmark_rate"],
            decided_on=d["decided_on"],
        ),
    ),
    "reject": (
        forms.RejectForm,
        lambda loan, by, d: services.reject_loan(loan, by=by, reason=d["reason"], decided_on=d["decided_on"]),
    ),
    "disburse": (
        forms.DisburseForm,
        lambda loan, by, d: services.disburse_loan(
            loan, by=by, disbursed_on=d["disbursed_on"], contract_no=d["contract_no"]
        ),
    ),
    "repay": (
        forms.RepaymentForm,
        lambda loan, by, d: services.record_repayment(
            loan, by=by, repaid_on=d["repaid_on"], principal_fen=d["principal"]
        ),
    ),
    "interest": (
        forms.InterestPaymentForm,
        lambda loan, by, d: services.record_interest_payment(
            loan, by=by, year=d["year"], quarter=d["quarter"], amount_fen=d["amount"], paid_on=d["paid_on"]
        ),
    ),
    "default": (
        forms.DefaultForm,
        lambda loan, by, d: services.record_default(
            loan,
            by=by,
            defaulted_on=d["defaulted_on"],
            loss_principal_fen=d["loss_principal"],
            loss_interest_fen=d["loss_interest"] or 0,
            note=d["note"],
        ),
    ),
    "recover": (
        forms.RecoveryForm,
        lambda loan, by, d: services.record_recovery(
            loan, by=by, recovered_on=d["recovered_on"], amount_fen=d["amount"], note=d["note"]
        ),
    ),
}
LOAN_FORMS = {name: form for name, (form, _) in LOAN_ACTIONS.items()}


def _loan_context(request, loan, bound=None):
    available = {
        LoanStatus.APPLIED: ["approve", "reject"],
        LoanStatus.APPROVED: ["disburse", "reject"],
        LoanStatus.DISBURSED: ["interest", "repay", "default"],
        LoanStatus.DEFAULTED: ["recover"],
    }.get(LoanStatus(loan.status), [])
    initial = {
        "approve": {
            "amount": interest.fen_to_yuan(loan.amount_requested_fen),
            "interest_rate": selectors.policy_for(loan.county_id).benchmark_rate,
        }
    }
    action_forms = {}
    if permissions.is_county_office(request.user):
        for name in available:
            action_forms[name] = (
                bound
                if bound is not None and bound.prefix == name
                else LOAN_FORMS[name](prefix=name, initial=initial.get(name))
            )
    paid_out, recovered = selectors.recovered_so_far(loan)
    return {
        "loan": loan,
        "schedule": selectors.loan_schedule(loan),
        "repayments": loan.repayments.all(),
        "outstanding_fen": selectors.outstanding_fen(loan),
        "links": loan.links.select_related("household"),
        "risk_entries": loan.risk_entries.all(),
        "paid_out_fen": paid_out,
        "recovered_fen": recovered,
        "action_forms": action_forms,
        "policy": selectors.policy_for(loan.county_id),
    }


@login_required
def loan_detail(request, pk):
    loan = _found(selectors.loan_for, request.user, pk)
    return render(request, "funds/loan_detail.html", _loan_context(request, loan))


@login_required
@require_POST
def loan_action(request, pk, action):
    form_class, call = handler_for(LOAN_ACTIONS, action)
    loan = _found(selectors.loan_for, request.user, pk)
    form = form_class(request.POST, prefix=action)
    if form.is_valid():
        try:
            call(loan, request.user, form.cleaned_data)
        except FundsError as e:
            _refused(form, e, {"principal": "principal", "loss_principal": "loss_principal", "status": None})
        else:
            messages.success(request, "已保存")
            return redirect("funds:loan_detail", loan.pk)
    return render(request, "funds/loan_detail.html", _loan_context(request, loan, bound=form), status=400)


@login_required
def household_loans(request, pk):
    """The household's loans, as a fragment for the household page (htmx) or a page of its own."""
    household, loans = _found(selectors.household_loans, request.user, pk)
    template = "funds/household_loans.html" if request.htmx else "funds/household_loans_page.html"
    return render(
        request,
        template,
        {
            "household": household,
            "loans": loans,
            "can_apply": permissions.can_apply(request.user) and request.user.can_edit_registry,
        },
    )


# --- interest subsidy ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def subsidy_list(request):
    county = _county(request)
    year, quarter = _period(request)
    form = forms.PaySubsidyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            paid = services.pay_subsidies(
                by=request.user,
                county_code=county.code,
                year=year,
                quarter=quarter,
                paid_on=form.cleaned_data["paid_on"],
            )
        except FundsError as e:
            _refused(form, e)
        else:
            messages.success(
                request,
                f"已拨付贴息 {len(paid)} 笔，合计 {services.yuan(sum(p.amount_fen for p in paid))} 元",
            )
            return redirect(
                f"{reverse('funds:subsidy_list')}?county={county.code}&year={year}&quarter={quarter}"
            )
    lines = selectors.subsidy_lines(request.user, county_code=county.code, year=year, quarter=quarter)
    return render(
        request,
        "funds/subsidy_list.html",
        {
            "county": county,
            "counties": selectors.counties_for(request.user),
            "year": year,
            "quarter": quarter,
            "lines": lines,
            "total_subsidy": sum(x.subsidy_fen for x in lines),
            "total_payable": sum(x.payable_fen for x in lines),
            "total_paid": sum(x.paid_fen or 0 for x in lines),
            "form": form,
            "is_county_office": permissions.is_county_office(request.user),
            "summary": selectors.subsidy_year_summary(request.user, county_code=county.code, year=year),
            "quarters": [(0, "企业等全年")] + [(q, f"第{q}季度（贫困户）") for q in (1, 2, 3, 4)],
            "period": interest.interest_period(
                year, quarter or 1, selectors.policy_for(county.code).settlement_day
            ),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def subsidy_export(request):
    county = _county(request)
    year, quarter = _period(request)
    lines = selectors.subsidy_lines(request.user, county_code=county.code, year=year, quarter=quarter)
    label = f"{year}Q{quarter}" if quarter else f"{year}"
    return download(
        exports.subsidy_xlsx(county, year, quarter, lines, request.user),
        f"subsidy-{county.code}-{label}.xlsx",
    )


# --- risk fund -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def risk_fund(request):
    county = _county(request)
    year = request_year(request, this_year())
    form = forms.DepositForm(request.POST or None, initial={"year": year})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.record_deposit(
                by=request.user,
                county_code=county.code,
                bank=d["bank"],
                year=d["year"],
                quarter=d["quarter"],
                amount_fen=d["amount"],
                deposited_on=d["deposited_on"],
                note=d["note"],
            )
        except FundsError as e:
            _refused(form, e)
        else:
            messages.success(request, "缴存已登记")
            return redirect(f"{reverse('funds:risk_fund')}?county={county.code}&year={year}")
    return render(
        request,
        "funds/risk_fund.html",
        {
            "county": county,
            "year": year,
            "form": form,
            "accounts": selectors.risk_accounts(request.user, county.code),
            "entries": selectors.risk_entries(request.user, county.code)[:100],
            "totals": selectors.risk_totals(request.user, county.code),
            "schedule": selectors.deposit_schedule(request.user, county_code=county.code, year=year),
            "policy": selectors.policy_for(county.code),
            "banks": selectors.banks_in(county.code),
            "is_county_office": permissions.is_county_office(request.user),
        },
        status=400 if request.method == "POST" else 200,
    )


# --- reminders, overdue and default --------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def loan_reports(request):
    county = _county(request)
    today = timezone.localdate()
    if request.method == "POST":
        reminded = services.issue_repayment_reminders(by=request.user, county_code=county.code, today=today)
        messages.success(request, f"已登记还款提醒 {len(reminded)} 笔" if reminded else "没有需要提醒的贷款")
        return redirect(f"{reverse('funds:loan_reports')}?county={county.code}")
    return render(
        request,
        "funds/loan_reports.html",
        {
            "county": county,
            "today": today,
            "policy": selectors.policy_for(county.code),
            "maturing": selectors.loans_maturing(request.user, county_code=county.code, today=today),
            "overdue": selectors.overdue_loans(request.user, county_code=county.code, today=today),
            "defaulted": selectors.defaulted_loans(request.user, county_code=county.code),
            "is_county_office": permissions.is_county_office(request.user),
        },
    )


@login_required
def loan_reports_export(request):
    county = _county(request)
    today = timezone.localdate()
    data = exports.loan_reports_xlsx(
        county,
        today,
        maturing=selectors.loans_maturing(request.user, county_code=county.code, today=today),
        overdue=selectors.overdue_loans(request.user, county_code=county.code, today=today),
        defaulted=selectors.defaulted_loans(request.user, county_code=county.code),
    )
    return download(data, f"loans-due-{county.code}-{today:%Y%m%d}.xlsx")


# --- policy --------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def policy(request):
    county = _county(request)
    current = selectors.policy_for(county.code)
    form = forms.PolicyForm(
        request.POST or None,
        instance=current,
        initial={"household_cap": interest.fen_to_yuan(current.household_cap_fen)},
    )
    if request.method == "POST" and form.is_valid():
        values = {k: form.cleaned_data[k] for k in forms.PolicyForm.Meta.fields} | {
            "household_cap_fen": form.cleaned_data["household_cap"]
        }
        try:
            services.update_policy(by=request.user, county_code=county.code, **values)
        except FundsError as e:
            _refused(form, e, {"household_cap_fen": "household_cap"})
        else:
            messages.success(request, "政策参数已保存")
            return redirect(f"{reverse('funds:policy')}?county={county.code}")
    return render(
        request,
        "funds/policy.html",
        {"county": county, "form": form, "is_county_office": permissions.is_county_office(request.user)},
        status=400 if request.method == "POST" else 200,
    )


# --- public disclosure (no login) ----------------------------------------------------------------


def public_projects(request):
    counties = selectors.published_counties()
    county = request.GET.get("county", "")
    year = request_year(request)
    projects = selectors.published_projects(county=county if county.isdigit() else "", year=year)
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
    project = _found(selectors.published_project, pk)
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
