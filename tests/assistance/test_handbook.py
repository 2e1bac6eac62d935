"""The handbook (扶贫手册) PDF: Chinese text, the helper, a QR code to the public-safe summary; village
batches."""

import datetime
import io
import shutil
import subprocess
import zipfile

import pytest
from django.urls import reverse

from fupin.assistance import handbook, roster, selectors, services
from fupin.assistance.models import BatchStatus, HandbookBatch, MeasureCatalogue, MeasureStatus
from fupin.registry.demo import build_demo_county
from fupin.registry.models import Household

from .conftest import TODAY

needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils is not installed")


def demo_household(db):
    """A household of the demo county with a helper, a plan, measures and a visit."""
    from fupin.accounts.models import User

    build_demo_county(persons=60, seed=11)
    county = User.objects.get(username="demo_county")
    household = Household.objects.filter(status="poor").order_by("number").first()
    unit = roster.create_unit(by=county, name="信丰县人民医院", region_code="360722", kind="institution")
    helper = roster.create_helper(
        by=county,
        unit=unit,
        name="刘医生",
        phone="13907971234",
        region_code=household.village_id[:9],
        position="主治医师",
    )
    services.pair_household(
        household, helper, by=county, started_on=TODAY - datetime.timedelta(days=100), reason="县直单位结对"
    )
    services.save_plan(
        household, by=county, target_exit_year=TODAY.year, goals="发展脐橙种植，家庭成员外出务工"
    )
    items = {c.code: c for c in MeasureCatalogue.objects.all()}
    m = services.add_measure(
        household,
        by=county,
        catalogue=items["planting"],
        content="新种脐橙3亩",
        year=TODAY.year,
        deadline=datetime.date(TODAY.year, 11, 30),
        planned_amount="4500.00",
        funding_source="财政专项扶贫资金",
    )
    services.update_measure(
        m,
        by=county,
        status=MeasureStatus.DONE,
        actual_amount="4200.00",
        income_increase="2600.00",
        result="脐橙已挂果，预计年增收2600元",
        completed_on=TODAY,
    )
    services.add_measure(
        household,
        by=county,
        catalogue=items["skills_training"],
        content="参加雨露计划电工培训",
        year=TODAY.year,
        deadline=datetime.date(TODAY.year, 12, 31),
    )
    services.record_visit(
        household,
        by=county,
        visited_on=TODAY,
        findings="家中老人慢性病按时服药，孩子在校正常上学",
        guarantees={"food": True, "clothing": True, "education": True, "medical": True},
    )
    household.refresh_from_db()
    return household, helper


@needs_poppler
def test_the_handbook_pdf_shows_the_household_and_its_helper(db, tmp_path):
    household, helper = demo_household(db)
    pdf = handbook.render_handbook_pdf(household, base_url="https://fupin.example.cn")
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "handbook.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    for expected in (
        household.head_name,
        helper.name,
        "帮扶须知",
        "家庭基本情况",
        "致贫原因",
        "帮扶计划",
        "帮扶措施",
        "帮扶成效",
        "新种脐橙3亩",
        "信丰县人民医院",
    ):
        assert expected in text, expected
    head = household.members.get(relation="head")
    assert head.id_number not in text  # masked: the handbook stays in the home
    assert head.id_number[-4:] in text
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")], check=True
    )
    png = next(tmp_path.glob("page*.png"))
    from PIL import Image

    with Image.open(png) as img:
        assert img.size[0] > 300 and img.getextrema() != ((255, 255), (255, 255), (255, 255))


def test_the_qr_code_leads_to_a_public_safe_summary(db, client):
    household, helper = demo_household(db)
    url = handbook.public_url(household, "http://testserver")
    assert url.startswith("http://testserver/assistance/h/")
    response = client.get(url.removeprefix("http://testserver"))
    assert response.status_code == 200
    body = response.content.decode()
    assert household.head_name in body and helper.name in body and "新种脐橙3亩" in body
    for m in household.members.all():
        assert m.id_number not in body
        assert not m.phone or m.phone not in body
    assert household.bank_account not in body and helper.phone not in body
    assert client.get(reverse("assistance:public_summary", args=["forged:token"])).status_code == 404
    assert client.get(reverse("assistance:public_summary", args=[str(household.pk)])).status_code == 404
    assert "<svg" in handbook.qr_svg(url)


def test_a_village_batch_runs_in_the_background_with_progress(db):
    household, _ = demo_household(db)
    from fupin.accounts.models import User

    county = User.objects.get(username="demo_county")
    expected = Household.objects.filter(
        village_id=household.village_id, status__in=("poor", "monitored", "exited")
    ).count()
    batch = services.start_handbook_batch(
        by=county, village_code=household.village_id
    )  # tests run tasks inline (tests/conftest.py)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE, batch.message
    assert (batch.done, batch.total, batch.percent) == (expected, expected, 100)
    with zipfile.ZipFile(batch.file.open("rb")) as archive:
        names = archive.namelist()
        assert len(names) == expected and all(n.endswith(".pdf") for n in names)
        assert archive.read(handbook.handbook_filename(household)).startswith(b"%PDF")
    assert selectors.handbook_batch_for(county, batch.pk) == batch
    outsider = User.objects.create(username="outsider", role="liaison")
    with pytest.raises(HandbookBatch.DoesNotExist):
        selectors.handbook_batch_for(outsider, batch.pk)


def test_handbook_view_serves_a_pdf_inline(db, client):
    household, _ = demo_household(db)
    from fupin.accounts.models import User

    client.force_login(User.objects.get(username="demo_county"))
    response = client.get(reverse("assistance:handbook_pdf", args=[household.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert io.BytesIO(response.getvalue()).read(4) == b"%PDF"
