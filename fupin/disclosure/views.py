"""Public notice pages (no login): current notices by region, one notice, its print view and PDF,
and the archive. Names are shown as posted; ID numbers are masked when the notice is posted,
and phones or bank accounts are never part of a notice."""
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone

from fupin.procedures.models import Notice
from fupin.regions.models import Region

from . import selectors


def _region(request):
    code = (request.GET.get("region") or "").strip()
    if code and not code.isdigit():
        code = ""
    return code, (Region.objects.filter(code=code).first() if code else None)


def notice_list(request):
    code, region = _region(request)
    notices = selectors.current_notices(region=code)
    page = Paginator(notices, 50).get_page(request.GET.get("page"))
    return render(request, "disclosure/notice_list.html", {"page": page, "region": region, "code": code, "archive": False})


def archive(request):
    code, region = _region(request)
    page = Paginator(selectors.archived_notices(region=code), 50).get_page(request.GET.get("page"))
    return render(request, "disclosure/notice_list.html", {"page": page, "region": region, "code": code, "archive": True})


def _notice(request, pk):
    try:
        return selectors.notice_for(request.user, pk)
    except Notice.DoesNotExist:
        raise Http404 from None


def notice_detail(request, pk):
    notice, show = _notice(request, pk)
    return render(request, "disclosure/notice_detail.html", {"notice": notice, "show_list": show, "now": timezone.now()})


def notice_print(request, pk):
    notice, show = _notice(request, pk)
    return render(request, "disclosure/notice_print.html", {"notice": notice, "show_list": show, "for_print": True})


def notice_pdf(request, pk):
    from weasyprint import HTML

    notice, show = _notice(request, pk)
    html = render_to_string("disclosure/notice_print.html", {"notice": notice, "show_list": show, "for_pdf": True}, request=request)
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="notice-{notice.pk}.pdf"'
    return response
