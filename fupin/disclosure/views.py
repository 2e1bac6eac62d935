"""Public notice pages (no login): current notices by region, one notice, its print view and PDF,
the archive, and 核验公示 (a printed notice's code checked against the system). Names are shown as
posted; ID numbers are masked when the notice is posted, and phones or bank accounts are never part
of a notice."""

from django.conf import settings
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from fupin.assistance.handbook import qr_svg
from fupin.core.downloads import download
from fupin.core.lookup import get_in_scope
from fupin.core.pagination import page_of
from fupin.procedures.models import Notice
from fupin.regions.models import Region

from . import selectors, tables
from .models import NoticeSeal
from .services import Verdict, normalise_code, verify_code


def _region(request):
    code = tables.region_code(request.GET)
    return code, (Region.objects.filter(code=code).first() if code else None)


def notice_list(request):
    code, region = _region(request)
    page = page_of(request, tables.current_query(request.user, request.GET))  # its export's rows too
    return render(
        request,
        "disclosure/notice_list.html",
        {"page": page, "region": region, "code": code, "archive": False},
    )


def archive(request):
    code, region = _region(request)
    page = page_of(request, tables.archive_query(request.user, request.GET))
    return render(
        request,
        "disclosure/notice_list.html",
        {"page": page, "region": region, "code": code, "archive": True},
    )


def _notice(request, pk):
    return get_in_scope(selectors.notice_for, request.user, pk)


def notice_detail(request, pk):
    notice, show = _notice(request, pk)
    return render(
        request,
        "disclosure/notice_detail.html",
        {
            "notice": notice,
            "show_list": show,
            "now": timezone.now(),
            "seal": NoticeSeal.objects.filter(notice=notice).first(),
        },
    )


def _verification(notice) -> dict:
    """The code and QR code printed on a notice: the QR holds the public verify page's full address."""
    seal = NoticeSeal.objects.filter(notice=notice).first()
    if seal is None:
        return {}
    base = settings.FUPIN_PUBLIC_URL.rstrip("/")
    url = base + reverse("disclosure:verify", args=[seal.code])
    return {
        "seal": seal,
        "verify_url": url,
        "verify_qr": qr_svg(url),
        "verify_form_url": base + reverse("disclosure:verify_form"),
    }


def notice_print(request, pk):
    notice, show = _notice(request, pk)
    return render(
        request,
        "disclosure/notice_print.html",
        {"notice": notice, "show_list": show, "for_print": True} | _verification(notice),
    )


def notice_pdf(request, pk):
    from weasyprint import HTML  # loaded on the first PDF: about a second, and the system's pango

    notice, show = _notice(request, pk)
    html = render_to_string(
        "disclosure/notice_print.html",
        {"notice": notice, "show_list": show, "for_pdf": True} | _verification(notice),
        request=request,
    )
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    return download(pdf, f"notice-{notice.pk}.pdf", inline=True)


def verify_form(request):
    """核验公示: a form to type the code printed on a notice (or the page a scanned QR code opens)."""
    typed = request.GET.get("code")
    if typed is not None:
        code = normalise_code(typed)
        if code:
            return redirect("disclosure:verify", code=code)
        return render(
            request, "disclosure/verify.html", {"verdict": Verdict.MALFORMED, "typed": typed[:40]}, status=200
        )
    return render(request, "disclosure/verify.html", {})


def verify(request, code):
    verdict, notice = verify_code(code)
    context = {"verdict": verdict, "typed": code[:40], "notice": notice, "now": timezone.now()}
    if notice is not None:
        # the list is shown as on the public notice page: while the notice runs, or to staff whose scope
        # covers it
        try:
            _, context["show_list"] = selectors.notice_for(request.user, notice.pk)
        except Notice.DoesNotExist:  # not posted yet
            context["show_list"] = False
        context["seal"] = notice.seal
    return render(request, "disclosure/verify.html", context)
