"""The village poster (申报二维码海报): an A4 page per village with its name, what to declare and how, the QR
code of its signed declaration address, and the hotline; one PDF for a village, or for every village of a
township or county. WeasyPrint renders it with the Noto CJK font, as the handbook does; the QR code is inline
SVG (no network)."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from fupin.assistance.handbook import qr_svg
from fupin.regions.models import Region, RegionLevel, in_region

from .models import Hardship
from .public import village_token

_fonts = []


def _font_config():
    # WeasyPrint loads on the first PDF (about a second)
    from weasyprint.text.fonts import FontConfiguration

    if not _fonts:
        _fonts.append(FontConfiguration())
    return _fonts[0]


def village_url(village: Region, base_url: str | None = None) -> str:
    path = reverse("declare:village", args=[village_token(village.code)])
    return (base_url or settings.FUPIN_PUBLIC_URL).rstrip("/") + path


def villages_under(region: Region):
    if region.level == RegionLevel.VILLAGE:
        return [region]
    return list(
        Region.objects.filter(in_region("code", region.code), level=RegionLevel.VILLAGE).order_by("code")
    )


# Villages per PDF made while the user waits (about a second of rendering for ten); a county is 100–400
# villages.
INLINE_LIMIT = 400


def poster_parts(region: Region) -> list[Region]:
    """The regions whose posters the page offers as one PDF each: the region itself, or, for a county with
    more villages than one request should render, each of its townships (`fupin declaration-posters` makes the
    whole county's at once)."""
    if region.level == RegionLevel.VILLAGE:
        return [region]
    count = Region.objects.filter(in_region("code", region.code), level=RegionLevel.VILLAGE).count()
    if count == 0:
        return []
    if count <= INLINE_LIMIT or region.level != RegionLevel.COUNTY:
        return [region]
    return list(Region.objects.filter(parent=region).order_by("code"))


def render_posters_html(villages, *, base_url: str | None = None) -> str:
    pages = []
    for village in villages:
        url = village_url(village, base_url)
        pages.append(
            {
                "village": village,
                "path": [r.name for r in village.path()[:-1]],
                "url": url,
                "qr_svg": qr_svg(url),
            }
        )
    return render_to_string(
        "declarations/poster.html",
        {
            "pages": pages,
            "hotline": settings.FUPIN_HOTLINE,
            "hardships": [label for _, label in Hardship.choices],
        },
    )


def render_posters_pdf(villages, *, base_url: str | None = None) -> bytes:
    from weasyprint import HTML

    html = render_posters_html(villages, base_url=base_url)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(font_config=_font_config())
