"""The household handbook (扶贫手册) as a PDF: HTML rendered by WeasyPrint with a Noto CJK font.

Contents follow seed 000 三(一)4: 帮扶须知、家庭基本情况、致贫原因、帮扶责任人、帮扶计划、
帮扶措施、帮扶成效 (year by year). A QR code leads to the household's public-safe summary;
it is drawn here as inline SVG, so making a handbook never touches the network.
"""
import io
from collections import defaultdict
from decimal import Decimal

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from fupin.registry import codes
from fupin.registry.models import GUARANTEE_LABELS, GUARANTEES, Household

from .models import MeasureStatus
from .selectors import household_assistance, public_token

ZERO = Decimal("0.00")


def public_base_url() -> str:
    """Where the public summary is served, for QR codes made outside a request (background batches)."""
    return settings.FUPIN_PUBLIC_URL.rstrip("/")


def public_url(household: Household, base_url: str | None = None) -> str:
    path = reverse("assistance:public_summary", args=[public_token(household)])
    return (base_url or public_base_url()).rstrip("/") + path


def qr_svg(data: str) -> str:
    """The QR code of `data` as an SVG element (no XML declaration), for inlining in HTML."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2,
                        error_correction=qrcode.constants.ERROR_CORRECT_M)
    out = io.BytesIO()
    image.save(out)
    svg = out.getvalue().decode()
    return svg[svg.index("<svg"):]


def mask_id_number(number: str) -> str:
    """The handbook stays in the household's home: it shows only the region and the last four characters."""
    return f"{number[:6]}{'*' * 8}{number[-4:]}" if len(number) == 18 else number


def handbook_context(household: Household, *, base_url: str | None = None) -> dict:
    """Everything the handbook shows, read in a fixed handful of queries."""
    data = household_assistance(household)
    members = list(household.members.order_by("id"))
    for m in members:
        m.masked_id = mask_id_number(m.id_number)
    incomes = list(household.incomes.order_by("year"))
    check = household.guarantee_checks.order_by("-year").first()
    guarantees = [(str(GUARANTEE_LABELS[g]), getattr(check, g), (check.notes or {}).get(g, "")) for g in GUARANTEES] if check else []
    by_year: dict[int, dict] = defaultdict(lambda: {"measures": [], "planned": ZERO, "actual": ZERO, "increase": ZERO, "done": 0})
    for m in data["measures"]:
        if m.status == MeasureStatus.CANCELLED:
            continue
        y = by_year[m.year]
        y["measures"].append(m)
        y["planned"] += m.planned_amount
        y["actual"] += m.actual_amount
        y["increase"] += m.income_increase
        y["done"] += m.status == MeasureStatus.DONE
    income_by_year = {i.year: i for i in incomes}
    years = sorted(set(by_year) | set(income_by_year))
    results = [{"year": y, "income": income_by_year.get(y), **by_year.get(y, {"measures": [], "planned": ZERO, "actual": ZERO,
                                                                                "increase": ZERO, "done": 0})} for y in years]
    url = public_url(household, base_url)
    other_causes = [codes.PovertyCause(c).label for c in household.other_causes or [] if c in codes.PovertyCause.values]
    return {
        "household": household, "members": members, "region_path": household.village.path(), **data,
        "incomes": incomes, "guarantee_check": check, "guarantees": guarantees, "results": results,
        "other_causes": other_causes, "qr_svg": qr_svg(url), "public_url": url, "printed_on": timezone.localdate(),
        "visits": data["visits"][:12],
    }


def render_handbook_html(household: Household, *, base_url: str | None = None) -> str:
    return render_to_string("assistance/handbook.html", handbook_context(household, base_url=base_url))


_font_config = None


def _fonts():
    global _font_config
    from weasyprint.text.fonts import FontConfiguration

    if _font_config is None:
        _font_config = FontConfiguration()
    return _font_config


def render_handbook_pdf(household: Household, *, base_url: str | None = None) -> bytes:
    """The handbook as PDF bytes; the font configuration is shared so a batch loads the CJK font once."""
    from weasyprint import HTML

    html = render_handbook_html(household, base_url=base_url)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(font_config=_fonts())


def handbook_filename(household: Household) -> str:
    return f"扶贫手册_{household.number}_{household.head_name or '户'}.pdf"


PROGRESS_EVERY = 5


def build_batch(batch_id: int, *, base_url: str | None = None) -> None:
    """Make the handbooks of a batch's village into one ZIP, updating `done` as it goes."""
    import tempfile
    import zipfile

    from django.core.files import File

    from .models import BatchStatus, HandbookBatch
    from .rules import HAS_HANDBOOK

    batch = HandbookBatch.objects.select_related("village").get(pk=batch_id)
    if batch.status not in (BatchStatus.PENDING, BatchStatus.RUNNING):
        return
    households = Household.objects.filter(village_id=batch.village_id, status__in=HAS_HANDBOOK).select_related("village", "group").order_by("number")
    total = households.count()
    HandbookBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.RUNNING, total=total, done=0, started_at=timezone.now())
    try:
        with tempfile.TemporaryFile() as tmp:
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as archive:
                for n, household in enumerate(households.iterator(chunk_size=200), start=1):
                    # PDFs are compressed already; storing them keeps the archive quick to write.
                    archive.writestr(handbook_filename(household), render_handbook_pdf(household, base_url=base_url))
                    if n % PROGRESS_EVERY == 0 or n == total:
                        HandbookBatch.objects.filter(pk=batch.pk).update(done=n)
            tmp.seek(0)
            batch.refresh_from_db()
            batch.file.save(f"扶贫手册_{batch.village.name}_{batch.village_id}.zip", File(tmp), save=False)
        HandbookBatch.objects.filter(pk=batch.pk).update(
            file=batch.file.name, status=BatchStatus.DONE, done=total, finished_at=timezone.now(),
            message=f"已生成{total}户扶贫手册" if total else "该村没有建档立卡户",
        )
    except Exception as exc:
        HandbookBatch.objects.filter(pk=batch.pk).update(
            status=BatchStatus.FAILED, finished_at=timezone.now(), message=f"生成失败：{exc}"[:2000]
        )
        raise
