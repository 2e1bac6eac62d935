"""Stored files (evidence, photos, import error reports, handbook ZIPs) are served only by views that check
the reader may read the record the file belongs to, with their true type, never sniffed, in a sandbox; nothing
under MEDIA_ROOT answers by its path; evidence is judged by its content and stored under a random name."""

import datetime
import importlib.util
import io
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

import fupin
from fupin.assistance import roster
from fupin.assistance import services as assistance
from fupin.assistance.models import BatchStatus, HandbookBatch, VisitPhoto
from fupin.changes.models import ChangeKind, ChangeRequest
from fupin.changes.models import Evidence as ChangeEvidence
from fupin.core.downloads import true_type
from fupin.monitoring import problems as monitoring_problems
from fupin.monitoring import services as monitoring
from fupin.monitoring.models import CHECK_ITEMS, MonitoredHousehold, MonitoringStage
from fupin.procedures.models import Batch, StageRecord
from fupin.procedures.models import Evidence as StageEvidence
from fupin.registry.models import ImportJob
from tests import factories

TODAY = timezone.localdate()
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HTML = (
    b"<html><body><script>fetch('/api/v1/households/').then(r => r.text()).then(alert)</script></body></html>"
)


def png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# ---------------------------------------------------------------- one record of each kind, in
# factories.VILLAGE


def _case(users, household):
    case = MonitoredHousehold.objects.create(
        household=household,
        village_code=household.village_id,
        kind="marginal",
        source="village_survey",
        year=TODAY.year,
        stage=MonitoringStage.ELIMINATED,
        risk_description="因病",
        elimination_note="收入稳定",
    )
    case.elimination_evidence.save("收入核算.pdf", ContentFile(PDF))
    return reverse("monitoring:case_evidence", args=[case.pk]), case.elimination_evidence


def _problem(users, household):
    problem = monitoring_problems.create_problem(
        by=users["township"],
        source="manual",
        region_code=household.village_id,
        household=household,
        description="缺少佐证",
        deadline=TODAY + datetime.timedelta(days=30),
    )
    monitoring_problems.rectify_problem(
        problem, by=users["township"], rectification="已补全", evidence=SimpleUploadedFile("整改.pdf", PDF)
    )
    problem.refresh_from_db()
    return reverse("monitoring:problem_evidence", args=[problem.pk]), problem.evidence


def _lookback_item(users, household):
    item = factories.lookback_item(
        users["township"], household, year=TODAY.year - 1, starts_on=TODAY, ends_on=TODAY
    )
    monitoring.record_lookback_item(
        item,
        by=users["clerk"],
        results={i: True for i in CHECK_ITEMS},
        notes={},
        checked_on=TODAY,
        evidence=SimpleUploadedFile("排查.png", png()),
    )
    item.refresh_from_db()
    return reverse("monitoring:lookback_item_evidence", args=[item.pk]), item.evidence


def _stage_evidence(users, household):
    now = timezone.now()
    batch = Batch.objects.create(
        kind="identification",
        village_id=household.village_id,
        year=TODAY.year,
        opened_at=now,
        stage_since=now,
    )
    record = StageRecord.objects.create(
        batch=batch, stage=batch.stage, action="post_notice", by_name="村专干", at=now
    )
    evidence = StageEvidence(record=record, kind="notice_photo")
    evidence.file.save("公示.png", ContentFile(png()))
    return reverse("procedures:evidence", args=[evidence.pk]), evidence.file


def _visit_photo(users, household):
    county = users["county"]
    unit = roster.create_unit(by=county, name="县直单位", region_code=household.village_id[:6])
    helper = roster.create_helper(
        by=county, unit=unit, name="帮扶人", phone="13700000001", region_code=household.village_id[:9]
    )
    assistance.pair_household(household, helper, by=county, started_on=TODAY)
    visit = assistance.record_visit(
        household,
        by=users["county"],
        visited_on=TODAY,
        findings="走访",
        photos=[SimpleUploadedFile("走访.png", png(), content_type="image/png")],
    )
    photo = VisitPhoto.objects.get(visit=visit)
    return reverse("assistance:visit_photo", args=[photo.pk]), photo.image


def _handbook_batch(users, household):
    batch = HandbookBatch.objects.create(
        village_id=household.village_id, requested_by=users["clerk"], status=BatchStatus.DONE
    )
    with io.BytesIO() as buffer:
        import zipfile

        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("手册.pdf", PDF)
        batch.file.save("handbooks.zip", ContentFile(buffer.getvalue()))
    return reverse("assistance:batch_download", args=[batch.pk]), batch.file


def _import_errors(users, household):
    job = ImportJob.objects.create(
        user=users["clerk"], scope_code=household.village_id, original_name="本村导入.csv"
    )
    job.error_file.save("本村导入_错误报告.csv", ContentFile("行号,错误\n2,证件号码有误\n".encode()))
    return reverse("registry:import_errors", args=[job.pk]), job.error_file


def _change_evidence(users, household):
    change = ChangeRequest.objects.create(
        household=household,
        village_code=household.village_id,
        kind=ChangeKind.MEMBER_LEAVE,
        reason="迁出",
        proposed_by=users["clerk"],
    )
    evidence = ChangeEvidence(
        change_request=change,
        name="迁出证明.pdf",
        content_type="application/pdf",
        size=len(PDF),
        uploaded_by=users["clerk"],
    )
    evidence.file.save("proof.pdf", ContentFile(PDF))
    return reverse("changes:evidence", args=[evidence.pk]), evidence.file


# (kind, builder, the role that reads it, its content type, shown inline)
KINDS = [
    ("risk elimination evidence", _case, "township", "application/pdf", False),
    ("rectification evidence", _problem, "township", "application/pdf", False),
    # evidence is always a download (issue 18, finding 11); a visit photo is shown as a thumbnail on its page
    ("look-back evidence", _lookback_item, "clerk", "image/png", False),
    ("procedure evidence", _stage_evidence, "clerk", "image/png", False),
    ("visit photo", _visit_photo, "clerk", "image/jpeg", True),
    ("handbook ZIP", _handbook_batch, "clerk", "application/zip", False),
    ("import error report", _import_errors, "clerk", "text/csv; charset=utf-8", False),
    ("change request evidence", _change_evidence, "township", "application/pdf", False),
]


@pytest.mark.django_db
@pytest.mark.parametrize("kind, build, reader, content_type, inline", KINDS, ids=[k[0] for k in KINDS])
def test_a_stored_file_is_read_only_through_its_scoped_view(users, kind, build, reader, content_type, inline):
    household = factories.make_household(head="本村甲")
    url, stored = build(users, household)

    response = _signed_in(users[reader]).get(url)
    assert response.status_code == 200, kind
    assert b"".join(response.streaming_content) == stored.open("rb").read()
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert response["Content-Disposition"].startswith("inline" if inline else "attachment")

    for outsider in ("sibling_clerk", "other_township", "other_county", "liaison"):
        assert _signed_in(users[outsider]).get(url).status_code == 404, f"{kind}: {outsider}"
    assert Client().get(url).status_code == 404, f"{kind}: anonymous"
    # the file's own path under MEDIA_URL answers nobody, signed in or not
    assert _signed_in(users[reader]).get(f"/media/{stored.name}").status_code == 404
    assert Client().get(f"/media/{stored.name}").status_code == 404


def test_no_route_serves_media_by_its_path_even_with_debug_on(settings):
    """The embedded default runs with DEBUG on: the root URLs, built that way, still route nothing under
    MEDIA_URL."""
    settings.DEBUG = True
    spec = importlib.util.spec_from_file_location(
        "fupin_urls_with_debug", Path(fupin.__file__).parent / "urls.py"
    )
    urls = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(urls)
    for path in (
        "/media/problems/2026/整改.pdf",
        "/media/imports/2026/12/x.csv",
        f"/{settings.MEDIA_URL}visits/a.jpg",
    ):
        with pytest.raises(Resolver404):
            resolve(path, urlconf=urls)


@pytest.mark.django_db
def test_a_stored_file_view_only_answers_reads(users):
    household = factories.make_household(head="本村甲")
    url, _ = _stage_evidence(users, household)
    client = _signed_in(users["clerk"])
    assert client.head(url).status_code == 200
    assert client.post(url).status_code == 405


@pytest.mark.django_db
def test_a_missing_file_is_a_404_not_a_server_error(users):
    household = factories.make_household(head="本村甲")
    url, stored = _case(users, household)
    stored.storage.delete(stored.name)
    assert _signed_in(users["township"]).get(url).status_code == 404


# ---------------------------------------------------------------- the type is the content's, not the name's


@pytest.mark.parametrize(
    "head, name, expected",
    [
        (PDF[:16], "x.png", ("application/pdf", False)),
        (png()[:16], "x.pdf", ("image/png", True)),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "x.html", ("image/jpeg", True)),
        (HTML[:16], "x.html", ("application/octet-stream", False)),
        (HTML[:16], "x.png", ("application/octet-stream", False)),
        (
            b"PK\x03\x04",
            "report.xlsx",
            ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", False),
        ),
    ],
)
def test_the_type_served_is_read_from_the_content(head, name, expected):
    assert true_type(head, name) == expected


@pytest.mark.django_db
def test_an_html_page_kept_from_before_is_a_download_never_a_page(users):
    household = factories.make_household(head="本村甲")
    problem = monitoring_problems.create_problem(
        by=users["township"],
        source="manual",
        region_code=household.village_id,
        household=household,
        description="旧材料",
        deadline=TODAY + datetime.timedelta(days=30),
    )
    problem.evidence.save("old.pdf", ContentFile(HTML))  # uploaded before evidence was checked
    response = _signed_in(users["township"]).get(reverse("monitoring:problem_evidence", args=[problem.pk]))
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"


# ---------------------------------------------------------------- monitoring evidence is judged by its
# content


@pytest.mark.django_db
def test_an_html_file_named_as_pdf_is_refused_as_rectification_evidence(users):
    household = factories.make_household(head="本村甲")
    problem = monitoring_problems.create_problem(
        by=users["township"],
        source="manual",
        region_code=household.village_id,
        household=household,
        description="缺少佐证",
        deadline=TODAY + datetime.timedelta(days=30),
    )
    response = _signed_in(users["township"]).post(
        reverse("monitoring:problem_action", args=[problem.pk, "rectify"]),
        {
            "rectification": "已补全",
            "evidence": SimpleUploadedFile("整改.pdf", HTML, content_type="application/pdf"),
        },
        follow=True,
    )
    assert "不是有效的图片或 PDF 文件" in response.content.decode()
    problem.refresh_from_db()
    assert problem.status == "open" and not problem.evidence


@pytest.mark.django_db
def test_an_html_file_named_as_image_is_refused_as_look_back_evidence(users):
    household = factories.make_household(head="本村甲")
    item = factories.lookback_item(
        users["township"], household, year=TODAY.year - 1, starts_on=TODAY, ends_on=TODAY
    )
    data = {i: "1" for i in CHECK_ITEMS} | {
        "checked_on": TODAY.isoformat(),
        "evidence": SimpleUploadedFile("排查.jpg", HTML, content_type="image/jpeg"),
    }
    client, url = _signed_in(users["clerk"]), reverse("monitoring:lookback_item", args=[item.pk])
    response = client.post(
        url, data | factories.based_on(client, url)
    )  # the form's version, as its page gives it
    assert response.status_code == 200 and "不是有效的图片或 PDF 文件" in response.content.decode()
    item.refresh_from_db()
    assert item.checked_on is None and not item.evidence


@pytest.mark.django_db
def test_risk_elimination_refuses_evidence_that_is_not_an_image_or_pdf(users):
    household = factories.make_household(head="本村甲")
    case = MonitoredHousehold.objects.create(
        household=household,
        village_code=household.village_id,
        kind="marginal",
        source="village_survey",
        year=TODAY.year,
        stage=MonitoringStage.MEASURES,
        risk_description="因病",
    )
    case.measures.create(
        kind=case.measures.model.Kind.values[0],
        description="医疗救助",
        responsible="乡干部",
        planned_on=TODAY,
        done_on=TODAY,
    )
    with pytest.raises(monitoring.MonitoringError, match="不是有效的图片或 PDF 文件"):
        monitoring.eliminate_risk(
            case, by=users["township"], note="收入稳定", evidence=SimpleUploadedFile("收入.pdf", HTML)
        )
    case.refresh_from_db()
    assert case.stage == MonitoringStage.MEASURES and not case.elimination_evidence


@pytest.mark.django_db
def test_stored_evidence_names_are_random_and_of_the_true_type(users):
    household = factories.make_household(head="本村甲")
    _, first = _problem(users, household)
    _, second = _problem(users, household)
    names = [first.name.rsplit("/", 1)[-1], second.name.rsplit("/", 1)[-1]]
    assert all(len(n) == len("0" * 32 + ".pdf") and n.endswith(".pdf") and "整改" not in n for n in names)
    assert names[0] != names[1]
    _, picture = _lookback_item(users, household)
    assert picture.name.endswith(".png") and "排查" not in picture.name
