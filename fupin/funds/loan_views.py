"""Pages for microloans: the loan list and applications, a loan's page and its actions, interest subsidies,
the risk compensation fund, reminders and overdue reports, and the county's loan policy; thin views over
selectors and services, as in views.py (whose scope helpers they share)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from fupin.core import versions
from fupin.core.actions import handler_for
from fupin.core.downloads import download
from fupin.core.lookup import get_in_scope
from fupin.core.pagination import page_of
from fupin.core.params import request_year, this_year
from fupin.registry.selectors import households_for

from . import exports, forms, interest, permissions, selectors, services, tables
from .models import LoanStatus
from .risk_fund import record_default, record_deposit, record_recovery
from .services import FundsError
from .views import LIST_CAP, requested_county, requested_period


@login_required
def loan_list(request):
    county = requested_county(request)
    filters = tables.loan_filters(request.GET)
    status, kind = filters["status"], filters["kind"]
    qs = tables.loan_query(request.user, request.GET, county=county)
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
    household = get_in_scope(households_for(request.user).select_related("village").get, pk=household_pk)
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
            form.add_service_errors(e, {"household": None})
        else:
            messages.success(request, gettext("贷款申请已登记"))
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
    county = requested_county(request)
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
                form.add_service_errors(e, {"county": "region"})
            else:
                messages.success(request, gettext("贷款申请已登记"))
                return redirect("funds:loan_detail", loan.pk)
    return render(
        request,
        "funds/loan_apply.html",
        {"form": form, "county": county, "banks": selectors.banks_in(county.code)},
        status=400 if request.method == "POST" else 200,
    )


# The actions on a loan (funds:loan_action): each its form and the service call its cleaned data makes.
# A refusal re-renders the page with the bound form, so the table is looked up with
# fupin.core.actions.handler_for.
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
        lambda loan, by, d: record_default(
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
        lambda loan, by, d: record_recovery(
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
    loan = get_in_scope(selectors.loan_for, request.user, pk)
    return render(request, "funds/loan_detail.html", _loan_context(request, loan))


@login_required
@require_POST
def loan_action(request, pk, action):
    form_class, call = handler_for(LOAN_ACTIONS, action)
    loan = get_in_scope(selectors.loan_for, request.user, pk)
    form = form_class(request.POST, prefix=action)
    if form.is_valid():
        try:
            call(loan, request.user, form.cleaned_data)
        except FundsError as e:
            form.add_service_errors(
                e, {"principal": "principal", "loss_principal": "loss_principal", "status": None}
            )
        else:
            messages.success(request, gettext("已保存"))
            return redirect("funds:loan_detail", loan.pk)
    return render(request, "funds/loan_detail.html", _loan_context(request, loan, bound=form), status=400)


@login_required
def household_loans(request, pk):
    """The household's loans, as a fragment for the household page (htmx) or a page of its own."""
    household, loans = get_in_scope(selectors.household_loans, request.user, pk)
    template = "funds/household_loans.html" if request.htmx else "funds/household_loans_page.html"
    return render(
        request,
        template,
        {
            "household": household,
            "loans": loans,
            "can_apply": permissions.can_apply(request.user) and request.user.can_edit_registry,
            # a helper reads its households' loans but no county's funds: no menu of pages it cannot open
            "no_funds_nav": not selectors.counties_for(request.user),
        },
    )


# --- interest subsidy ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def subsidy_list(request):
    county = requested_county(request)
    year, quarter = requested_period(request)
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
            form.add_service_errors(e)
        else:
            messages.success(
                request,
                gettext("已拨付贴息 %(paid)s 笔，合计 %(paid2)s 元")
                % {"paid": len(paid), "paid2": services.yuan(sum(p.amount_fen for p in paid))},
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
            "quarters": [(0, gettext("企业等全年"))]
            + [(q, gettext("第%(q)s季度（贫困户）") % {"q": q}) for q in (1, 2, 3, 4)],
            "period": interest.interest_period(
                year, quarter or 1, selectors.policy_for(county.code).settlement_day
            ),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def subsidy_export(request):
    county = requested_county(request)
    year, quarter = requested_period(request)
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
    county = requested_county(request)
    year = request_year(request, this_year())
    form = forms.DepositForm(request.POST or None, initial={"year": year})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            record_deposit(
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
            form.add_service_errors(e)
        else:
            messages.success(request, gettext("缴存已登记"))
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
    county = requested_county(request)
    today = timezone.localdate()
    if request.method == "POST":
        reminded = services.issue_repayment_reminders(by=request.user, county_code=county.code, today=today)
        messages.success(
            request,
            gettext("已登记还款提醒 %(reminded)s 笔") % {"reminded": len(reminded)}
            if reminded
            else gettext("没有需要提醒的贷款"),
        )
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
    county = requested_county(request)
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
    county = requested_county(request)
    current = selectors.policy_for(county.code)
    shown = _policy_initial(current)
    data = versions.merged(request.POST, shown) if request.method == "POST" else None
    form = forms.PolicyForm(data, instance=current, initial=shown)
    conflict = None
    if data is not None and form.is_valid():
        values = {k: form.cleaned_data[k] for k in forms.PolicyForm.Meta.fields} | {
            "household_cap_fen": form.cleaned_data["household_cap"]
        }
        expected, base = versions.posted(data)
        try:
            services.update_policy(
                by=request.user, county_code=county.code, expected_version=expected, **values
            )
        except versions.VersionConflict as e:
            conflict = versions.form_conflict(e, form, _policy_initial(e.record), base)
        except FundsError as e:
            form.add_service_errors(e, {"household_cap_fen": "household_cap"})
        else:
            messages.success(request, gettext("政策参数已保存"))
            return redirect(f"{reverse('funds:policy')}?county={county.code}")
    return render(
        request,
        "funds/policy.html",
        {
            "county": county,
            "form": form,
            "is_county_office": permissions.is_county_office(request.user),
            "conflict": conflict,
            # a county that has set no parameters yet shows the defaults: version 0, none saved
            "based_on": versions.page_state(
                request, None if current._state.adding else current, shown, conflict
            ),
        },
        status=200 if conflict is not None else 400 if request.method == "POST" else 200,
    )


def _policy_initial(policy) -> dict:
    """What the policy form shows of a county's parameters (and what a concurrent edit is compared in)."""
    return {name: getattr(policy, name) for name in forms.PolicyForm.Meta.fields} | {
        "household_cap": interest.fen_to_yuan(policy.household_cap_fen)
    }
