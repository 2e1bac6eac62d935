"""Change request pages: propose, revise, the request with its before → after and history, the review queue,
the household page's section and the evidence files. Thin: selectors read (scoped), services act.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from fupin.core.downloads import file_view, stored_file_response
from fupin.core.lookup import get_in_scope
from fupin.core.pagination import page_of
from fupin.registry import selectors as registry_selectors
from fupin.registry.reveal_views import RevealForm, reveal_with_purpose
from fupin.registry.services import RegistryError
from fupin.registry.views import household_or_404

from . import display, forms, permissions, reveal, selectors, services
from .models import ChangeAction, ChangeKind, ChangeRequest, ChangeStatus, Evidence

SECTION_SIZE = 10


def _request_or_404(user, pk) -> ChangeRequest:
    return get_in_scope(
        selectors.change_request_for, user, pk, message=_("变更申请不存在或不在您的管辖范围内")
    )


def _lookup(user, village_code: str):
    """Another household of the same village, by its 户编号, in the user's scope."""

    def find(number: str):
        return registry_selectors.households_for(user, region=village_code).filter(number=number).first()

    return find


def _ensure_proposer(user):
    if not permissions.can_propose(user):
        raise PermissionDenied(_("只有村扶贫专干或驻村工作队可以提出变更申请"))


def _form(kind, household, user, data=None, files=None, initial=None):
    return forms.FORMS[kind](
        data, files, household=household, lookup=_lookup(user, household.village_id), initial=initial
    )


def _reason_fields(form) -> dict:
    c = form.cleaned_data
    return {
        "reason": c["reason"],
        "evidence_reference": c.get("evidence_reference") or "",
        "files": c.get("evidence") or [],
    }


@login_required
@require_http_methods(["GET", "POST"])
def propose(request):
    user = request.user
    household = household_or_404(user, request.GET.get("household"))
    _ensure_proposer(user)
    kind = request.GET.get("kind", "")
    if kind not in ChangeKind.values:
        return render(
            request, "changes/propose_kind.html", {"household": household, "kinds": ChangeKind.choices}
        )
    form = _form(
        kind, household, user, request.POST or None, request.FILES or None, forms.initial_for(kind, household)
    )
    if request.method == "POST" and form.is_valid():
        try:
            change = services.propose(
                household, by=user, kind=kind, payload=form.payload(), **_reason_fields(form)
            )
        except RegistryError as e:
            form.add_service_errors(e.errors)
        else:
            messages.success(request, _("变更申请 #%(pk)s 已提交，待乡镇审核。") % {"pk": change.pk})
            return redirect("changes:detail", change.pk)
    return render(
        request,
        "changes/propose.html",
        {
            "household": household,
            "form": form,
            "kind": ChangeKind(kind),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def revise(request, pk):
    user = request.user
    change = _request_or_404(user, pk)
    _ensure_proposer(user)
    if change.status != ChangeStatus.RETURNED:
        messages.error(request, _("只有已退回的申请可以修改后重新提交。"))
        return redirect("changes:detail", change.pk)
    household = change.household
    initial = forms.FORMS[change.kind].initial_from(change.payload, change.before) | {
        "reason": change.reason,
        "evidence_reference": change.evidence_reference,
    }
    form = _form(change.kind, household, user, request.POST or None, request.FILES or None, initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.resubmit(change, by=user, payload=form.payload(), **_reason_fields(form))
        except RegistryError as e:
            form.add_service_errors(e.errors)
        else:
            messages.success(request, _("变更申请 #%(pk)s 已重新提交。") % {"pk": change.pk})
            return redirect("changes:detail", change.pk)
    return render(
        request,
        "changes/propose.html",
        {
            "household": household,
            "form": form,
            "kind": ChangeKind(change.kind),
            "change": change,
        },
    )


def _detail_page(
    request, change: ChangeRequest, *, revealed: bool = False, reveal_form=None, status: int = 200
):
    """The request's page; ID numbers and phones masked unless `revealed` (a logged reveal:
    fupin.changes.reveal)."""
    user = request.user
    makers = {
        a.by_id
        for a in change.actions.all()
        if a.action in (ChangeAction.Action.PROPOSE, ChangeAction.Action.RESUBMIT)
    }
    is_maker = user.pk in makers or user.pk == change.proposed_by_id
    return render(
        request,
        "changes/detail.html",
        {
            "change": change,
            "rows": display.rows(change, sees_identifiers=revealed),
            "revealed": revealed,
            "reveal_form": reveal_form or RevealForm(),
            "history": selectors.history(change),
            "evidence": change.evidence.all(),
            "can_review": change.status == ChangeStatus.PROPOSED
            and permissions.can_review(user)
            and not is_maker,
            "is_maker": is_maker and change.status == ChangeStatus.PROPOSED and permissions.can_review(user),
            "can_withdraw": change.is_open and permissions.can_propose(user),
            "can_revise": change.status == ChangeStatus.RETURNED and permissions.can_propose(user),
            "decision": forms.DecisionForm(),
            "evidence_form": forms.EvidenceForm(),
        },
        status=status,
    )


@login_required
def detail(request, pk):
    return _detail_page(request, _request_or_404(request.user, pk))


@login_required
@require_POST
def reveal_identifiers(request, pk):
    """「查看完整信息」: the request's ID numbers and phones in full, for a purpose, logged."""
    return reveal_with_purpose(request, _request_or_404(request.user, pk), reveal.reveal, _detail_page)


def _decide(request, pk, act, done: str):
    user = request.user
    change = _request_or_404(user, pk)
    form = forms.DecisionForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        act(change, by=user, comment=comment)
    except RegistryError as e:
        messages.error(request, "；".join(str(v) for v in e.errors.values()))
    else:
        messages.success(request, done % {"pk": change.pk})
    return redirect("changes:detail", change.pk)


@login_required
@require_POST
def approve(request, pk):
    return _decide(request, pk, services.approve, _("变更申请 #%(pk)s 已批准，变更已生效。"))


@login_required
@require_POST
def return_request(request, pk):
    return _decide(request, pk, services.return_request, _("变更申请 #%(pk)s 已退回村里修改。"))


@login_required
@require_POST
def withdraw(request, pk):
    return _decide(request, pk, services.withdraw, _("变更申请 #%(pk)s 已撤回。"))


@login_required
@require_POST
def add_evidence(request, pk):
    user = request.user
    change = _request_or_404(user, pk)
    form = forms.EvidenceForm(request.POST, request.FILES)
    files = form.cleaned_data["evidence"] if form.is_valid() else []
    try:
        services.add_evidence(change, by=user, files=files)
    except RegistryError as e:
        messages.error(request, "；".join(str(v) for v in e.errors.values()))
    else:
        messages.success(request, _("佐证材料已上传。"))
    return redirect("changes:detail", change.pk)


@login_required
def queue(request):
    """The review queue: requests in the user's region, pending first; filters by status and kind."""
    user = request.user
    if user.scope_prefix is None and user.helper_region is None:
        raise PermissionDenied(_("您的角色不能查看变更申请"))
    form = forms.QueueFilterForm(request.GET)
    household = household_or_404(user, request.GET["household"]) if request.GET.get("household") else None
    changes = selectors.change_requests_for(user, household=household, **form.filters())
    page = page_of(request, changes)
    return render(
        request,
        "changes/queue.html",
        {
            "form": form,
            "page": page,
            "household": household,
            "items": [(c, display.summary(c)) for c in page.object_list],
            "pending": selectors.change_requests_for(user, status=ChangeStatus.PROPOSED).count(),
        },
    )


@login_required
def household_section(request, pk):
    """The household page's 变更申请 section (loaded by htmx): its requests and, for the village, the button
    to propose."""
    user = request.user
    household = household_or_404(user, pk)
    changes = list(selectors.change_requests_for(user, household=household)[: SECTION_SIZE + 1])
    # htmx loads the section into the household page; its link (without script) opens it as a page of its own
    return render(
        request,
        "changes/_household_section.html" if request.htmx else "changes/household_section.html",
        {
            "household": household,
            "items": [(c, display.summary(c)) for c in changes[:SECTION_SIZE]],
            "more": len(changes) > SECTION_SIZE,
            "can_propose": permissions.can_propose(user),
        },
    )


@file_view
def evidence_file(request, pk):
    evidence = Evidence.objects.select_related("change_request").get(pk=pk)  # none: a 404 (file_view)
    _request_or_404(
        request.user, evidence.change_request_id
    )  # the file is read only by who may read its request
    return stored_file_response(evidence.file, filename=evidence.name, attachment=True)
