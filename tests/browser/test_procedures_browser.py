"""A township officer reviews a batch and posts the township notice; a public visitor reads it without logging
in."""

import datetime

import pytest
from django.utils import timezone

from fupin.procedures import notices, quotas, selection, services, village_profiles
from fupin.registry.models import Member
from tests import factories
from tests.procedures.conftest import YEAR, applicant, upload, votes_for_all

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _batch_at_township_review(users):
    clerk = users["clerk"]
    village_profiles.save_village_profile(
        by=users["admin"], village_code=factories.VILLAGE, year=YEAR, estimated_poor=10
    )
    quotas.set_county_allocation(
        by=users["county"], county_code="360722", year=YEAR, persons=10, basis="estimated_poor"
    )
    h = applicant("赵一", "2000")
    start = timezone.now() - datetime.timedelta(days=10)
    batch = services.open_batch(
        by=clerk, village_code=factories.VILLAGE, kind="identification", year=YEAR, now=start
    )
    services.add_households(batch, by=clerk, household_ids=[h.pk], primary_cause="illness", now=start)
    services.complete_application(batch, by=clerk, now=start)
    batch.refresh_from_db()
    selection.complete_survey(batch, by=clerk, now=start)
    batch.refresh_from_db()
    selection.record_appraisal(
        batch,
        by=clerk,
        held_on=start.date(),
        representatives=9,
        present=9,
        votes=votes_for_all(batch, 9),
        minutes=upload(),
        now=start,
    )
    notices.post_notice(batch, by=clerk, photo=upload(), now=start)
    notices.close_notice(batch, by=clerk, now=timezone.now())
    return batch, Member.objects.get(household=h, relation="head").id_number


def test_township_reviews_and_the_public_reads_the_notice_without_login(
    users, login, page, browser, tmp_path
):
    batch, full_id = _batch_at_township_review(users)
    login("township")
    page.goto(f"{page.base_url}/procedures/batches/{batch.pk}/")
    assert page.get_by_test_id("stage").inner_text() == "乡镇审核"
    page.fill("textarea[name=opinion]", "经审核，赵一户符合识别标准")
    # an irreversible step asks first (issue 18, finding 11): declining sends nothing
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="审核通过").click()
    page.wait_for_timeout(300)
    assert asked and "不能撤回" in asked[0] and page.get_by_test_id("stage").inner_text() == "乡镇审核"
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="审核通过").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("stage").inner_text() == "乡镇公示"
    # the notice is generated and printed first; the photo of it posted is asked for after (finding 4)
    assert page.locator("input[name=photo]").count() == 0
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="生成公示").click()
    page.wait_for_load_state()
    assert "公示已生成" in page.content()
    with page.context.expect_page() as printed:
        page.get_by_role("link", name="打印").first.click()
    sheet = printed.value
    sheet.wait_for_load_state()
    assert sheet.get_by_test_id("seal-box").is_visible() and "监督举报电话：12317" in sheet.content()
    sheet.close()
    photo = tmp_path / "posted.jpg"
    photo.write_bytes(b"\xff\xd8\xff fake jpeg")
    page.set_input_files("input[name=photo]", str(photo))
    page.get_by_role("button", name="上传照片").click()
    page.wait_for_load_state()
    assert "公示张贴照片已上传" in page.content()

    visitor = browser.new_context(locale="zh-CN").new_page()
    visitor.goto(f"{page.base_url}/public/?region=360722")
    visitor.get_by_role("link", name=f"{batch.village.name}{YEAR}年贫困户识别名单公示").first.click()
    visitor.wait_for_load_state()
    body = visitor.content()
    assert "赵一" in body and full_id not in body and full_id[-4:] in body
    assert "/accounts/login" not in visitor.url
    visitor.context.close()
