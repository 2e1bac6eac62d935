"""核验公示: every posted notice carries a code (and a QR code) derived from the hash of its list; the public
verify page says whether a code matches a notice the system approved, and whether its list changed since."""

import datetime
import re
import shutil
import subprocess

import pytest
from django.utils import timezone

from fupin.audit.verify import verify as verify_trail
from fupin.disclosure.models import NoticeSeal
from fupin.disclosure.services import ALPHABET, Verdict, code_of, digest_of, normalise_code, verify_code
from fupin.procedures.models import Notice
from tests.disclosure.test_public_pages import _posted_notice
from tests.procedures.conftest import quota  # noqa: F401


@pytest.fixture
def notice(users, quota):  # noqa: F811
    return _posted_notice(users, timezone.now() - datetime.timedelta(hours=1))[0]


def printed_code(client, notice) -> str:
    page = client.get(f"/public/notices/{notice.pk}/print/").content.decode()
    return re.search(r'class="verify-code" data-code="([^"]+)">([^<]+)<', page).group(2)


def test_a_posted_notice_is_sealed_with_the_hash_of_its_list_and_in_the_audit_chain(notice):
    seal = NoticeSeal.objects.get(notice=notice)
    assert seal.digest == digest_of(notice) and seal.code == code_of(seal.digest)
    assert len(seal.code) == 10 and set(seal.code) <= set(ALPHABET) and not set(seal.code) & set("01IO")
    assert verify_trail().ok


def test_print_view_carries_the_code_and_a_qr_code_of_the_verify_address(client, notice, settings):
    settings.FUPIN_PUBLIC_URL = "https://fupin.example.gov.cn"
    page = client.get(f"/public/notices/{notice.pk}/print/").content.decode()
    seal = notice.seal
    assert f"{seal.code[:5]}-{seal.code[5:]}" in page and "<svg" in page
    assert "https://fupin.example.gov.cn/public/verify/" in page
    assert "onclick" not in page and "<script>" not in page


def test_the_public_notice_page_shows_its_code_and_links_to_verification(client, notice):
    page = client.get(f"/public/notices/{notice.pk}/").content.decode()
    assert notice.seal.display_code in page and f"/public/verify/{notice.seal.code}/" in page


def test_the_printed_code_verifies_as_matching(client, notice):
    code = printed_code(client, notice)
    response = client.get("/public/verify/", {"code": code.lower()})
    assert response.status_code == 302 and response["Location"] == f"/public/verify/{notice.seal.code}/"
    page = client.get(response["Location"]).content.decode()
    assert "一致" in page and "不一致" not in page and notice.title in page and "赵一" in page


def test_a_notice_whose_list_was_changed_after_posting_is_flagged(client, notice):
    entries = notice.entries
    entries[0]["head_name"] = "钱二"
    Notice.objects.filter(pk=notice.pk).update(entries=entries)
    assert verify_code(notice.seal.code)[0] == Verdict.CHANGED
    page = client.get(f"/public/verify/{notice.seal.code}/").content.decode()
    assert "不一致" in page and "被更改" in page


def test_a_rewritten_seal_does_not_hide_a_changed_list(notice):
    entries = notice.entries
    entries[0]["head_name"] = "钱二"
    Notice.objects.filter(pk=notice.pk).update(entries=entries)
    notice.refresh_from_db()
    NoticeSeal.objects.filter(pk=notice.seal.pk).update(
        digest=digest_of(notice)
    )  # the audit entry still has the old one
    assert verify_code(notice.seal.code)[0] == Verdict.CHANGED


def test_an_unknown_code_matches_nothing(client, notice):
    other = "".join(reversed(notice.seal.code))
    page = client.get(f"/public/verify/{other}/").content.decode()
    assert "未找到" in page and notice.title not in page


@pytest.mark.parametrize("typed", ["", "abc", "O0O0O0O0O0", "x" * 5000, "<script>", "'; DROP TABLE x;--"])
def test_bad_codes_never_error(client, db, typed):
    assert normalise_code(typed) is None
    assert client.get("/public/verify/", {"code": typed}).status_code == 200
    assert client.get(f"/public/verify/{typed[:100] or 'x'}/").status_code in (200, 404)


def test_the_verify_form_page_renders(client, db):
    page = client.get("/public/verify/").content.decode()
    assert "核验码" in page and "<form" in page


def test_the_migration_seals_notices_posted_before_sealing(notice):
    import importlib

    from django.apps import apps

    seal = notice.seal
    NoticeSeal.objects.all().delete()
    importlib.import_module("fupin.disclosure.migrations.0001_notice_seal").seal_existing(apps, None)
    assert NoticeSeal.objects.get(notice=notice).code == seal.code


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
def test_the_pdf_carries_the_code(client, notice, tmp_path):
    path = tmp_path / "n.pdf"
    path.write_bytes(client.get(f"/public/notices/{notice.pk}.pdf").getvalue())
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert notice.seal.display_code in text and "核验码" in text
