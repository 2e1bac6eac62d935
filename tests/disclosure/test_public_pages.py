"""Public notice pages: no login, names shown, ID numbers masked, archived after the period."""

import datetime
import shutil
import subprocess

import pytest
from django.utils import timezone

from fupin.procedures import notices, selection, services
from fupin.registry.models import Member
from tests import factories
from tests.procedures.conftest import YEAR, applicant, quota, upload, votes_for_all  # noqa: F401


def _posted_notice(users, now):
    clerk = users["clerk"]
    h = applicant("赵一", "2000")
    Member.objects.filter(household=h).update(phone="13912345678")
    batch = services.open_batch(
        by=clerk, village_code=factories.VILLAGE, kind="identification", year=YEAR, now=now
    )
    services.add_households(batch, by=clerk, household_ids=[h.pk], primary_cause="illness", now=now)
    services.complete_application(batch, by=clerk, now=now)
    batch.refresh_from_db()
    selection.complete_survey(batch, by=clerk, now=now)
    batch.refresh_from_db()
    selection.record_appraisal(
        batch,
        by=clerk,
        held_on=timezone.localdate(now),
        representatives=9,
        present=9,
        votes=votes_for_all(batch, 9),
        minutes=upload(),
        now=now,
    )
    notice = notices.post_notice(batch, by=clerk, photo=upload(), now=now)
    return notice, h


@pytest.fixture
def notice(users, quota):  # noqa: F811 (the quota fixture, imported above)
    return _posted_notice(users, timezone.now() - datetime.timedelta(hours=1))


def test_public_sees_current_notice_without_login_and_no_full_id(client, notice):
    notice, household = notice
    full_id = Member.objects.get(household=household, relation="head").id_number
    listing = client.get("/public/?region=360722").content.decode()
    assert notice.title in listing
    page = client.get(f"/public/notices/{notice.pk}/").content.decode()
    assert "赵一" in page and full_id[:6] + "********" + full_id[-4:] in page
    assert full_id not in page and "13912345678" not in page
    printed = client.get(f"/public/notices/{notice.pk}/print/").content.decode()
    assert "赵一" in printed and full_id not in printed


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
def test_notice_pdf_has_the_chinese_text_and_masked_ids(client, notice, tmp_path):
    notice, household = notice
    response = client.get(f"/public/notices/{notice.pk}.pdf")
    assert response["Content-Type"] == "application/pdf"
    path = tmp_path / "n.pdf"
    path.write_bytes(response.getvalue())
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    full_id = Member.objects.get(household=household, relation="head").id_number
    assert "赵一" in text and "公示" in text and full_id not in text and "********" in text


def test_after_seven_days_the_notice_is_archived_and_its_list_hidden_from_the_public(client, users, quota):  # noqa: F811
    notice, household = _posted_notice(users, timezone.now() - datetime.timedelta(days=10))
    assert notice.title not in client.get("/public/").content.decode()
    assert notice.title in client.get("/public/archive/").content.decode()
    page = client.get(f"/public/notices/{notice.pk}/").content.decode()
    assert "已归档" in page and "赵一" not in page
    client.force_login(users["township"])
    assert "赵一" in client.get(f"/public/notices/{notice.pk}/").content.decode()


def test_bad_input_never_errors(client, db):
    assert client.get("/public/?region=abc'--").status_code == 200
    assert client.get("/public/notices/999999/").status_code == 404
    assert client.get("/public/archive/?page=zz").status_code == 200


def test_the_notice_lists_export_the_page_s_rows_to_a_signed_in_user(client, users, quota):  # noqa: F811
    from tests.core.test_table_inventory import _export

    notice, _household = _posted_notice(users, timezone.now() - datetime.timedelta(hours=1))
    assert (
        "导出Excel" not in client.get("/public/").content.decode()
    )  # the public reads; exports are for staff
    assert client.get("/exports/table/disclosure.notices/").status_code == 302  # to the sign-in page
    client.force_login(users["county"])
    assert (
        "/exports/table/disclosure.notices/?region=360722"
        in client.get("/public/?region=360722").content.decode()
    )
    status, rows = _export(client, "disclosure.notices", region="360722")
    assert status == 200 and rows[0] == ["标题", "发布单位", "类别", "公示开始", "公示截止"]
    assert len(rows) == 2 and rows[1][0] == notice.title and rows[1][1] == notice.issuer
    assert _export(client, "disclosure.notices", region=factories.OTHER_COUNTY_VILLAGE[:6])[1][1:] == []
    assert _export(client, "disclosure.archive")[1][1:] == []  # still running: not in the archive
    assert (
        _export(client, "disclosure.notices", region="<script>")[1][1][0] == notice.title
    )  # ignored, as the page
