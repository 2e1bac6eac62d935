"""Staff pages for declarations: the one list every channel meets in (sorted by urgency), a case's page with
the home verification, staff intake, cases from risk signals and findings, the dashboard, and the village
posters."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from fupin.accounts.permissions import is_helper
from fupin.core.downloads import download, file_view, stored_file_response
from fupin.core.idnumber import mask, mask_phone, mask_text
from fupin.core.lookup import get_in_scope
from fupin.core.pagination import page_of
from fupin.regions.models import Region, RegionLevel
from fupin.registry.reveal_views import RevealForm, reveal_with_purpose

from . import cases, clock, forms, poster, reveal, selectors, services
from .models import Photo, Status

REFUSED = (services.DeclarationError, PermissionDenied)


def _reader(user):
    if user.scope_prefix is None and not is_helper(user):
        raise PermissionDenied(gettext("您的角色不能查看申报"))


@login_required
def declaration_list(request):
    user = request.user
    _reader(user)
    today = timezone.localdate()
    region = request.GET.get("region", "")
    rows = selectors.declarations_for(
        user,
        region=region if region.isdigit() else "",
        status=request.GET.get("status", ""),
        bucket=request.GET.get("bucket", ""),
        q=request.GET.get("q", "")[:50],
        today=today,
    )
    page = page_of(request, rows)
    for d in page.object_list:
        d.urgency = clock.urgency(d.due_on, today) if d.is_open else ""
    return render(
        request,
        "declarations/list.html",
        {
            "page": page,
            "statuses": Status.choices,
            "status": request.GET.get("status", ""),
            "bucket": request.GET.get("bucket", ""),
            "region": region,
            "q": request.GET.get("q", ""),
        },
    )


def _shown(declaration, revealed: bool):
    """The identifiers masked for every role unless revealed (a logged reveal: fupin.declarations.reveal)."""
    if revealed:
        return declaration.id_number, declaration.phone, declaration.description
    return mask(declaration.id_number), mask_phone(declaration.phone), mask_text(declaration.description)


def _detail_page(request, declaration, *, revealed: bool = False, reveal_form=None, status: int = 200):
    user = request.user
    id_number, phone, description = _shown(declaration, revealed)
    today = timezone.localdate()
    return render(
        request,
        "declarations/detail.html",
        {
            "d": declaration,
            "id_number": id_number,
            "phone": phone,
            "description": description,
            "revealed": revealed,
            "reveal_form": reveal_form or RevealForm(),
            "events": selectors.history(declaration),
            "photos": declaration.photos.all(),
            "urgency": clock.urgency(declaration.due_on, today) if declaration.is_open else "",
            "overdue": declaration.overdue_steps.select_related("problem"),
            "can_verify": declaration.status == Status.RECEIVED
            and services.can_verify(user, declaration)
            and not user.is_read_only,
            "can_visit": declaration.status == Status.RECEIVED
            and (services.can_verify(user, declaration) or services.is_paired_helper(user, declaration)),
            "visit_form": forms.VisitForm(),
            "verify_form": forms.VerifyForm(),
            "reject_form": forms.RejectForm(),
        },
        status=status,
    )


@login_required
def detail(request, pk: int):
    return _detail_page(request, get_in_scope(selectors.declaration_for, request.user, pk))


@login_required
@require_POST
def reveal_identifiers(request, pk: int):
    """「查看完整信息」: the declarant's ID number and phone in full, for a purpose, logged."""
    declaration = get_in_scope(selectors.declaration_for, request.user, pk)
    return reveal_with_purpose(request, declaration, reveal.reveal, _detail_page)


def _act(request, pk: int, form_class, action):
    declaration = get_in_scope(selectors.declaration_for, request.user, pk)
    form = form_class(request.POST, request.FILES)
    if form.is_valid():
        try:
            action(declaration, form.cleaned_data)
            return redirect("declarations:detail", pk=declaration.pk)
        except REFUSED as e:
            form.add_service_errors(
                e.errors if isinstance(e, services.DeclarationError) else {"__all__": str(e)}
            )
    return render(
        request, "declarations/form.html", {"form": form, "d": declaration, "multipart": True}, status=422
    )


@login_required
@require_POST
def visit(request, pk: int):
    return _act(
        request, pk, forms.VisitForm, lambda d, data: services.record_visit(d, by=request.user, **data)
    )


@login_required
@require_POST
def verify(request, pk: int):
    return _act(request, pk, forms.VerifyForm, lambda d, data: cases.verify(d, by=request.user, **data))


@login_required
@require_POST
def reject(request, pk: int):
    return _act(request, pk, forms.RejectForm, lambda d, data: cases.reject(d, by=request.user, **data))


@login_required
def intake(request):
    user = request.user
    _reader(user)
    form = forms.IntakeForm(
        request.POST or None,
        initial={"village_code": user.region_id if user.region_id and len(user.region_id) == 12 else ""},
    )
    if request.method == "POST" and form.is_valid():
        try:
            declaration = services.intake(by=user, **form.cleaned_data)
            return redirect("declarations:detail", pk=declaration.pk)
        except REFUSED as e:
            form.add_service_errors(
                e.errors if isinstance(e, services.DeclarationError) else {"village_code": str(e)}
            )
    return render(
        request,
        "declarations/intake.html",
        {
            "form": form,
            "signals": selectors.open_signals(user)[:20],
            "findings": selectors.open_findings(user)[:20],
        },
    )


@login_required
@require_POST
def open_signal(request, pk: int):
    signal = get_in_scope(selectors.open_signals(request.user), pk=pk)
    return _open(request, lambda: services.open_from_signal(signal, by=request.user))


@login_required
@require_POST
def open_finding(request, pk: int):
    finding = get_in_scope(selectors.open_findings(request.user), pk=pk)
    return _open(request, lambda: services.open_from_finding(finding, by=request.user))


def _open(request, make):
    try:
        declaration = make()
    except REFUSED as e:
        messages.error(request, str(e))
        return redirect("declarations:intake")
    return redirect("declarations:detail", pk=declaration.pk)


@login_required
def dashboard(request):
    user = request.user
    _reader(user)
    code = request.GET.get("region", "") or (user.region_id or "")
    region = Region.objects.filter(code=code).first() if code.isdigit() else None
    if region is not None and not (user.is_superuser or user.in_scope(region.code)):
        region = Region.objects.filter(code=user.region_id).first()
    data = selectors.dashboard(user, region)
    parts = poster.poster_parts(region) if region and region.level >= RegionLevel.COUNTY else []
    return render(
        request,
        "declarations/dashboard.html",
        {"region": region, **data, "path": region.path() if region else [], "poster_parts": parts},
    )


@login_required
def posters(request, code: str):
    user = request.user
    _reader(user)
    region = get_in_scope(Region.objects.all(), code=code)
    if not user.in_scope(region.code) or region.level < RegionLevel.COUNTY:
        raise PermissionDenied(gettext("海报按县、乡镇或村打印"))
    villages = poster.villages_under(region)
    if not villages:
        raise PermissionDenied(gettext("该区划下没有村"))
    if len(villages) > poster.INLINE_LIMIT:
        raise PermissionDenied(
            gettext(
                "该区划有 %(villages)s 个村，请在申报统计页按乡镇打印，或由管理员用 fupin "
                "declaration-posters 命令生成"
            )
            % {"villages": len(villages)}
        )
    base = request.build_absolute_uri("/")
    return download(
        poster.render_posters_pdf(villages, base_url=base),
        gettext("申报二维码海报_%(name)s.pdf") % {"name": region.name},
    )


@file_view
def photo(request, pk: int):
    item = Photo.objects.select_related("declaration").get(pk=pk)
    selectors.declaration_for(request.user, item.declaration_id)
    return stored_file_response(item.image)
