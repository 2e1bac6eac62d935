"""Issue 18, build item 4: the household registration form (贫困户登记表) printed from the household page as a
PDF; ID numbers masked unless the reveal-with-purpose step is taken, which the access log records."""

import shutil
import subprocess

import pytest
from django.urls import reverse

from fupin.audit.models import AccessedPerson, AuditEntry
from tests import factories

needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils is not installed")


def text_of(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF")
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


@pytest.fixture
def household(users):
    h = factories.make_household(
        head="张三丰", members=2, phone="13907971234", bank_account="6217000000001234"
    )
    h.farmland_area = "3.50"
    h.save(update_fields=["farmland_area"])
    return h


def _ids(household):
    return list(household.members.order_by("id").values_list("id_number", flat=True))


@needs_poppler
def test_the_form_prints_the_national_fields_masked_by_default(client, users, household):
    client.force_login(users["clerk"])
    r = client.get(reverse("registry:household_form_pdf", args=[household.pk]))
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    text = text_of(b"".join(r.streaming_content) if r.streaming else r.content)
    for expected in (
        "贫困户登记表",
        "户基本情况",
        "家庭成员",
        "收入情况",
        "张三丰",
        "张小1",
        "信丰县",
        "南山居委会",
        "耕地面积",
        "3.50",
        "证件号码",
        "户主",
        "工资性收入",
        "年人均纯收入",
        "一般贫困户",
        "因病",
    ):
        assert expected in text, expected
    for number in _ids(household):
        assert number not in text and f"{number[:6]}********{number[-4:]}" in text
    assert "13907971234" not in text and "6217000000001234" not in text
    assert not AccessedPerson.objects.exists()


@needs_poppler
def test_full_id_numbers_need_a_purpose_and_are_logged(client, users, household):
    client.force_login(users["clerk"])
    url = reverse("registry:household_form_pdf", args=[household.pk])
    r = client.post(url, {"purpose": ""})
    assert r.status_code == 302 and not AccessedPerson.objects.exists()
    r = client.post(url, {"purpose": "casework", "note": "入户核实"})
    text = text_of(r.content if not r.streaming else b"".join(r.streaming_content))
    for number in _ids(household):
        assert number in text
    entry = AuditEntry.objects.get(action="access.print")
    assert entry.user == users["clerk"] and AccessedPerson.objects.filter(entry_id=entry.pk).count() == 2
    assert "13907971234" not in text  # only the ID numbers are revealed


@pytest.mark.parametrize("who", ["prefecture", "province"])
def test_roles_without_identifiers_print_masked_only(client, users, household, who):
    client.force_login(users[who])
    url = reverse("registry:household_form_pdf", args=[household.pk])
    assert client.get(url).status_code == 200
    r = client.post(url, {"purpose": "inspection"})  # a read-only role's POST is refused whole (403)
    assert r.status_code == 403 and not AccessedPerson.objects.exists()


@pytest.mark.parametrize("who", ["sibling_clerk", "other_township", "other_county", "liaison"])
def test_other_regions_get_no_form(client, users, household, who):
    client.force_login(users[who])
    url = reverse("registry:household_form_pdf", args=[household.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"purpose": "casework"}).status_code == 404
    assert not AccessedPerson.objects.exists()


def test_the_household_page_offers_both_prints(client, users, household):
    client.force_login(users["clerk"])
    page = client.get(reverse("registry:household_detail", args=[household.pk])).content.decode()
    assert 'data-testid="national-form"' in page and 'data-testid="national-form-full"' in page
    client.force_login(users["province"])
    page = client.get(reverse("registry:household_detail", args=[household.pk])).content.decode()
    assert 'data-testid="national-form"' in page and 'data-testid="national-form-full"' not in page


@needs_poppler
def test_a_villages_forms_print_in_the_background_masked(client, users, household, tmp_path):
    import zipfile

    from fupin.assistance.models import BatchStatus, HandbookBatch
    from fupin.registry import national_form

    second = factories.make_household(head="李四光", members=1)
    factories.make_household(factories.SIBLING_VILLAGE, head="邻村户")
    client.force_login(users["clerk"])
    r = client.post(
        reverse("assistance:batches"), {"village": factories.VILLAGE, "kind": "registration_form"}
    )
    batch = HandbookBatch.objects.get()  # tests run tasks inline: done by now
    assert r.status_code == 302 and batch.kind == "registration_form" and batch.status == BatchStatus.DONE
    assert (batch.done, batch.total) == (2, 2) and "贫困户登记表" in batch.message
    progress = client.get(reverse("assistance:batch", args=[batch.pk])).content.decode()
    assert reverse("assistance:batch_download", args=[batch.pk]) in progress
    download = client.get(reverse("assistance:batch_download", args=[batch.pk]))
    path = tmp_path / "forms.zip"
    path.write_bytes(b"".join(download.streaming_content))
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == sorted(
            national_form.form_filename(h) for h in (household, second)
        )
        text = text_of(archive.read(national_form.form_filename(household)))
    assert "张三丰" in text and "邻村户" not in text
    for number in _ids(household):
        assert number not in text
    assert not AccessedPerson.objects.exists()
    client.force_login(users["sibling_clerk"])
    assert client.get(reverse("assistance:batch_download", args=[batch.pk])).status_code == 404
    r = client.post(
        reverse("assistance:batches"), {"village": factories.VILLAGE, "kind": "registration_form"}
    )
    assert r.status_code == 400 and HandbookBatch.objects.count() == 1
