"""The household handbook (扶贫手册) as a PDF: HTML rendered by WeasyPrint with a Noto CJK font.

Contents follow seed 000 三(一)4: 帮扶须知、家庭基本情况、致贫原因、帮扶责任人、帮扶计划、
帮扶措施、帮扶成效 (year by year). A QR code leads to the household's public-safe summary;
it is drawn here as inline SVG, so making a handbook never touches the network.

The QR code's public code is signed with SECRET_KEY and names the household, the generation of its
codes (HandbookCode) and when it was printed: a code expires FUPIN_PUBLIC_CODE_DAYS after printing, and
renewing the household's code (reprinting with 「作废旧二维码」) ends every code printed before.
"""

import datetime
import io
import tempfile
import zipfile
from collections import defaultdict
from decimal import Decimal

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.core import signing
from django.core.files import File
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from fupin.accounts.scope import ScopeError, household_filter
from fupin.audit.services import record
from fupin.core import work
from fupin.core.evidence import random_name
from fupin.registry import codes, national_form
from fupin.registry.models import GUARANTEE_LABELS, GUARANTEES, Household

from . import permissions
from .models import BatchKind, BatchStatus, HandbookBatch, HandbookCode, MeasureStatus
from .rules import HAS_HANDBOOK
from .selectors import household_assistance
from .services import AssistanceError

ZERO = Decimal("0.00")
PUBLIC_SALT = "fupin.assistance.public-summary.v2"


class PublicCodeInvalid(Exception):
    """Not a code fupin signed (forged, mistyped): answered as not found."""


class PublicCodeExpired(Exception):
    """A genuine code that no longer works: older than FUPIN_PUBLIC_CODE_DAYS, or its household's code was
    renewed."""


def code_generation(household: Household) -> int:
    return HandbookCode.objects.filter(household=household).values_list("generation", flat=True).first() or 0


def public_token(household: Household, generation: int | None = None) -> str:
    """The signed public code of a household's handbook printed now (its time is inside the signature)."""
    generation = code_generation(household) if generation is None else generation
    return signing.dumps([household.pk, generation], salt=PUBLIC_SALT, compress=False)


def household_from_token(token: str) -> Household:
    """The household a public code names; PublicCodeInvalid or PublicCodeExpired when it does not work."""
    max_age = datetime.timedelta(days=settings.FUPIN_PUBLIC_CODE_DAYS)
    try:
        value = signing.loads(token, salt=PUBLIC_SALT, max_age=max_age)
    except signing.SignatureExpired:  # checked after the signature: only a genuine code is told it expired
        raise PublicCodeExpired from None
    except (signing.BadSignature, ValueError, UnicodeDecodeError):
        raise PublicCodeInvalid from None
    if not (isinstance(value, list) and len(value) == 2 and all(type(v) is int for v in value)):
        raise PublicCodeInvalid
    pk, generation = value
    household = Household.objects.select_related("village").filter(pk=pk).first()
    if household is None:
        raise PublicCodeInvalid
    if generation != code_generation(household):
        raise PublicCodeExpired
    return household


@transaction.atomic
def renew_public_code(household: Household, *, by) -> int:
    """End every QR code printed so far for this household (before reprinting its handbook); the new
    generation."""
    if not permissions.can_visit(by):
        raise AssistanceError({"__all__": gettext("您的角色不能作废扶贫手册二维码")})
    scope = household_filter(by)
    if scope is None or not Household.objects.filter(scope, pk=household.pk).exists():
        raise ScopeError(gettext("不在您的管辖范围内"))
    code, _ = HandbookCode.objects.select_for_update().get_or_create(household=household)
    code.generation += 1
    code.renewed_at, code.renewed_by = timezone.now(), by
    code.save()
    record(
        by=by,
        action="renew_handbook_code",
        target=household,
        household=household,
        scope_code=household.village_id,
        changes={"handbook_code": [code.generation - 1, code.generation]},
    )
    return code.generation


def public_base_url() -> str:
    """Where the public summary is served, for QR codes made outside a request (background batches)."""
    return settings.FUPIN_PUBLIC_URL.rstrip("/")


def public_url(household: Household, base_url: str | None = None) -> str:
    path = reverse("assistance:public_summary", args=[public_token(household)])
    return (base_url or public_base_url()).rstrip("/") + path


def qr_svg(data: str) -> str:
    """The QR code of `data` as an SVG element (no XML declaration), for inlining in HTML."""
    image = qrcode.make(
        data,
        image_factory=qrcode.image.svg.SvgPathImage,
        box_size=10,
        border=2,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
    )
    out = io.BytesIO()
    image.save(out)
    svg = out.getvalue().decode()
    return svg[svg.index("<svg") :]


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
    guarantees = (
        [(str(GUARANTEE_LABELS[g]), getattr(check, g), (check.notes or {}).get(g, "")) for g in GUARANTEES]
        if check
        else []
    )
    by_year: dict[int, dict] = defaultdict(
        lambda: {"measures": [], "planned": ZERO, "actual": ZERO, "increase": ZERO, "done": 0}
    )
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
    results = [
        {
            "year": y,
            "income": income_by_year.get(y),
            **by_year.get(y, {"measures": [], "planned": ZERO, "actual": ZERO, "increase": ZERO, "done": 0}),
        }
        for y in years
    ]
    url = public_url(household, base_url)
    other_causes = [
        codes.PovertyCause(c).label for c in household.other_causes or [] if c in codes.PovertyCause.values
    ]
    return {
        "household": household,
        "members": members,
        "region_path": household.village.path(),
        **data,
        "incomes": incomes,
        "guarantee_check": check,
        "guarantees": guarantees,
        "results": results,
        "other_causes": other_causes,
        "qr_svg": qr_svg(url),
        "public_url": url,
        "printed_on": timezone.localdate(),
        "visits": data["visits"][:12],
    }


def render_handbook_html(household: Household, *, base_url: str | None = None) -> str:
    return render_to_string("assistance/handbook.html", handbook_context(household, base_url=base_url))


_font_config = None


def _fonts():
    global _font_config
    # WeasyPrint loads on the first PDF: it takes about a second and the system's pango, which pages without
    # PDFs need not.
    from weasyprint.text.fonts import FontConfiguration

    if _font_config is None:
        _font_config = FontConfiguration()
    return _font_config


def render_handbook_pdf(household: Household, *, base_url: str | None = None) -> bytes:
    """The handbook as PDF bytes; the font configuration is shared so a batch loads the CJK font once."""
    from weasyprint import HTML  # loaded on the first PDF (see _fonts)

    html = render_handbook_html(household, base_url=base_url)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(font_config=_fonts())


def handbook_filename(household: Household) -> str:
    return f"扶贫手册_{household.number}_{household.head_name or '户'}.pdf"


PROGRESS_EVERY = 5


def build_batch(batch_id: int, *, base_url: str | None = None) -> None:
    """Make the handbooks of a batch's village into one ZIP, updating `done` as it goes."""
    # held while the batch is made: a batch that says 生成中 with nobody holding its lease was interrupted
    # (fupin.assistance.work settles it, and a new batch for the village is accepted again)
    with work.Lease("handbook", batch_id).acquire(wait=10):
        _build(batch_id, base_url)


def _build(batch_id: int, base_url: str | None) -> None:
    batch = HandbookBatch.objects.select_related("village").get(pk=batch_id)
    if batch.status not in (BatchStatus.PENDING, BatchStatus.RUNNING):
        return
    households = (
        Household.objects.filter(village_id=batch.village_id, status__in=HAS_HANDBOOK)
        .select_related("village", "group")
        .order_by("number")
    )
    total = households.count()
    HandbookBatch.objects.filter(pk=batch.pk).update(
        status=BatchStatus.RUNNING, total=total, done=0, started_at=timezone.now()
    )
    forms = batch.kind == BatchKind.REGISTRATION_FORM
    try:
        with tempfile.TemporaryFile() as tmp:
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as archive:
                for n, household in enumerate(households.iterator(chunk_size=200), start=1):
                    # PDFs are compressed already; storing them keeps the archive quick to write.
                    if forms:  # the registration form prints ID numbers masked: a batch reveals nothing
                        one = national_form.form_households(Household.objects.filter(pk=household.pk))
                        name, pdf = (
                            national_form.form_filename(household),
                            national_form.render_forms_pdf(one, full_ids=False),
                        )
                    else:
                        name, pdf = (
                            handbook_filename(household),
                            render_handbook_pdf(household, base_url=base_url),
                        )
                    archive.writestr(name, pdf)
                    if n % PROGRESS_EVERY == 0 or n == total:
                        HandbookBatch.objects.filter(pk=batch.pk).update(done=n)
            tmp.seek(0)
            batch.refresh_from_db()
            batch.file.save(
                random_name(".zip"), File(tmp), save=False
            )  # named for the reader by batch_download
        HandbookBatch.objects.filter(pk=batch.pk).update(
            file=batch.file.name,
            status=BatchStatus.DONE,
            done=total,
            finished_at=timezone.now(),
            message=f"已生成{total}户{'贫困户登记表' if forms else '扶贫手册'}"
            if total
            else "该村没有建档立卡户",
        )
    except Exception as exc:
        HandbookBatch.objects.filter(pk=batch.pk).update(
            status=BatchStatus.FAILED, finished_at=timezone.now(), message=f"生成失败：{exc}"[:2000]
        )
        raise
