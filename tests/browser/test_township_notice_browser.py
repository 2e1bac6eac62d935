"""Issue 18, build item 4: a township officer reviews two villages' batches from one page and posts one notice
across them, prints it, uploads the one posting photo; the page fits a phone."""

import datetime

import pytest
from django.utils import timezone

from fupin.procedures import notices, quotas, selection, services, village_profiles
from fupin.procedures.models import Batch, Stage
from tests import factories
from tests.procedures.conftest import YEAR, applicant, upload, votes_for_all

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _at_township_review(users, village: str, head: str) -> Batch:
    clerk = factories.make_user(f"clerk-{village}", "village_clerk", village)
    h = applicant(head, "2000", village=village)
    start = timezone.now() - datetime.timedelta(days=10)
    batch = services.open_batch(by=clerk, village_code=village, kind="identification", year=YEAR, now=start)
    services.add_households(batch, by=clerk, household_ids=[h.pk], primary_cause="illness", now=start)
    services.complete_application(batch, by=clerk, now=start)
    batch.refresh_from_db()
    selection.complete_survey(batch, by=clerk, now=start)
    batch.refresh_from_db()
    votes = votes_for_all(batch, 9)
    selection.record_appraisal(
        batch,
        by=clerk,
        held_on=start.date(),
        representatives=9,
        present=9,
        votes=votes,
        minutes=upload(),
        now=start,
    )
    notices.post_notice(batch, by=clerk, photo=upload(), now=start)
    notices.close_notice(batch, by=clerk, now=timezone.now())
    return batch


def test_a_township_reviews_its_villages_and_posts_one_notice(users, login, page, tmp_path):
    for village in (factories.VILLAGE, factories.SIBLING_VILLAGE):
        village_profiles.save_village_profile(
            by=users["admin"], village_code=village, year=YEAR, estimated_poor=10
        )
    quotas.set_county_allocation(
        by=users["county"], county_code="360722", year=YEAR, persons=20, basis="estimated_poor"
    )
    first = _at_township_review(users, factories.VILLAGE, "赵一")
    second = _at_township_review(users, factories.SIBLING_VILLAGE, "钱二")
    login("township")
    page.goto(f"{page.base_url}/procedures/township/?year={YEAR}")
    review = page.get_by_test_id("township-review")
    assert "南山居委会" in review.inner_text() and "人民路居委会" in review.inner_text()
    page.select_option(f"select[name=decision_{first.pk}]", "approve")
    page.select_option(f"select[name=decision_{second.pk}]", "approve")
    page.fill("textarea[name=opinion]", "经审核，符合识别标准")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="提交审核结果").click()
    page.wait_for_load_state()
    assert {b.stage for b in Batch.objects.all()} == {Stage.SECOND_NOTICE}
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="生成乡镇统一公示").click()
    page.wait_for_load_state()
    assert "已生成" in page.content()
    with page.context.expect_page() as printed:
        page.get_by_test_id("township-notices").get_by_role("link", name="打印").first.click()
    sheet = printed.value
    sheet.wait_for_load_state()
    text = sheet.content()
    assert "南山居委会" in text and "人民路居委会" in text and sheet.get_by_test_id("seal-box").is_visible()
    sheet.close()
    photo = tmp_path / "posted.jpg"
    photo.write_bytes(b"\xff\xd8\xff fake jpeg")
    page.set_input_files("input[name=photo]", str(photo))
    page.get_by_role("button", name="上传照片").click()
    page.wait_for_load_state()
    assert "公示张贴照片已上传（2 个村）" in page.content()
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
