"""The household's pages, without an account: the declaration form (village preset by a poster's signed code,
or chosen step by step down the region tree), the receipt, and the status page. Every address is limited per
caller (django-ratelimit on the cache); per phone and per ID number the services count in the database."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited

from fupin.accounts.throttle import client_address
from fupin.core import fragments
from fupin.core.idnumber import mask_phone
from fupin.regions.models import Region, RegionLevel

from . import selectors, services
from .forms import PublicForm, StatusForm
from .models import Hardship

VILLAGE_SALT = "fupin.declarations.village-poster"
BUSY = "操作太频繁，请稍后再试，或拨打12317热线"


def village_token(code: str) -> str:
    """The code printed on a village's poster: the village, signed with SECRET_KEY (a forged one is
    refused)."""
    return signing.dumps(code, salt=VILLAGE_SALT, compress=False)


def village_from_token(token: str) -> Region:
    try:
        code = signing.loads(token, salt=VILLAGE_SALT)
        return Region.objects.get(code=code, level=RegionLevel.VILLAGE)
    except (signing.BadSignature, Region.DoesNotExist, ValueError, TypeError, UnicodeDecodeError):
        raise Http404(gettext("二维码无效，请向村委会核实或拨打12317")) from None


def _page(request, template: str, context: dict):
    return render(request, template, {"hotline": settings.FUPIN_HOTLINE, **context})


def _cached_page(request, template: str, parts: tuple, context):
    """A page that is the same for every caller (the empty form of a village, the chooser, the status form):
    rendered once into the cache (core.fragments) and served with the request's own CSRF token. `context()` is
    called only on a miss; a lookup it refuses (a forged village code: Http404) is never stored."""
    key = fragments.key("declare", template, *parts)
    html = fragments.get(key)
    if html is None:
        html = render_to_string(
            template, {"hotline": settings.FUPIN_HOTLINE, **context(), "csrf_token": fragments.csrf_mark()}
        )
        fragments.put(key, html)
    return HttpResponse(fragments.with_csrf_token(request, html))


def _address(group, request) -> str:
    return client_address(request) or "unknown"


def limited(request, group: str, key=_address) -> bool:
    """Count this call against the address's limit FUPIN_DECLARATION_RATES[group]; True once it is
    exceeded."""
    return is_ratelimited(
        request,
        group=f"declare-{group}",
        key=key,
        rate=settings.FUPIN_DECLARATION_RATES[group],
        increment=True,
    )


def _form_context(village: Region) -> dict:
    return {
        "form": PublicForm(),
        "village": village,
        "path": village.path()[:-1],
        "hardships": Hardship.choices,
    }


def _choice_context(region: Region | None) -> dict:
    children = Region.objects.filter(parent=region).order_by("code").only("code", "name")
    return {"region": region, "path": region.path() if region else [], "children": list(children)}


@require_http_methods(["GET", "HEAD", "POST"])
def declare(request, token: str = ""):
    if request.method != "POST":
        if token:
            return _cached_page(
                request,
                "declarations/declare.html",
                ("village", token),
                lambda: _form_context(village_from_token(token)),
            )
        code = request.GET.get("r", "")
        region = Region.objects.filter(code=code).first() if code.isdigit() and len(code) <= 12 else None
        if region is not None and region.level == RegionLevel.VILLAGE:
            return _cached_page(
                request,
                "declarations/declare.html",
                ("village-code", region.code),
                lambda: _form_context(region),
            )
        # keyed by a region that exists (or none), so made-up ?r= values cannot fill the cache
        return _cached_page(
            request,
            "declarations/choose_village.html",
            ("choose", region.code if region else ""),
            lambda: _choice_context(region),
        )
    village = (
        village_from_token(token)
        if token
        else Region.objects.filter(code=request.GET.get("r", "")[:12], level=RegionLevel.VILLAGE).first()
    )
    if village is None:
        return redirect("declare:start")
    form = PublicForm(request.POST, request.FILES)
    sent_to = ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            if request.POST.get("action") == "code":
                if limited(request, "code"):
                    raise services.DeclarationError(BUSY)
                services.send_code(data["phone"])
                sent_to = mask_phone(services.clean_phone(data["phone"]))
            else:
                if limited(request, "declare"):
                    raise services.DeclarationError(BUSY)
                declaration = services.declare(village_code=village.code, **data)
                request.session["declared"] = declaration.receipt
                return redirect("declare:done")
        except services.DeclarationError as e:
            form.add_service_errors(e)
    return _page(
        request,
        "declarations/declare.html",
        {
            "form": form,
            "village": village,
            "sent_to": sent_to,
            "path": village.path()[:-1],
            "hardships": Hardship.choices,
        },
    )


def done(request):
    receipt = request.session.get("declared")
    if not receipt:
        return redirect("declare:status")
    declaration = selectors.Declaration.objects.select_related("village").get(receipt=receipt)
    return _page(request, "declarations/done.html", {"declaration": declaration})


def _receipt_key(group, request) -> str:
    return request.POST.get("receipt", "")[:14]


@require_http_methods(["GET", "HEAD", "POST"])
def status(request):
    if request.method != "POST":
        return _cached_page(request, "declarations/status.html", ("status",), lambda: {"form": StatusForm()})
    form = StatusForm(request.POST)
    declaration = None
    if form.is_valid():
        if limited(request, "status") or limited(request, "status", key=_receipt_key):
            form.add_error(None, BUSY)
        else:
            declaration = selectors.by_receipt(form.cleaned_data["receipt"], form.cleaned_data["last4"])
            if declaration is None:
                form.add_error(None, gettext("回执号或身份证号后4位不对，请核对后再查"))
    return _page(
        request,
        "declarations/status.html",
        {
            "form": form,
            "declaration": declaration,
            "events": list(declaration.events.all()) if declaration else [],
            "case_stage": declaration.case.get_stage_display() if declaration and declaration.case else "",
        },
    )
