"""Issue 18, findings 4 and 11: a notice is generated (to print and post) first, and the photo of it posted is
asked for afterwards; the printed notice carries the seal box and the county's supervision telephone, and its
issuer is the village committee's proper name."""

import pytest
from django.urls import reverse

from fupin.procedures import notices, policy, services
from fupin.procedures.models import Batch, Stage
from fupin.procedures.services import ProcedureError
from fupin.regions.models import Region
from tests import factories

from .conftest import YEAR, applicant, at, upload
from .test_identification import _survey_and_appraise


@pytest.fixture
def at_first_notice(users, quota):
    clerk = users["clerk"]
    h = applicant("赵一", "2000")
    batch = services.open_batch(
        by=clerk, village_code=factories.VILLAGE, kind="identification", year=YEAR, now=at(0)
    )
    services.add_households(batch, by=clerk, household_ids=[h.pk], primary_cause="illness", now=at(0))
    services.complete_application(batch, by=clerk, now=at(1))
    _survey_and_appraise(Batch.objects.get(pk=batch.pk), clerk, day=2)
    batch = Batch.objects.get(pk=batch.pk)
    assert batch.stage == Stage.FIRST_NOTICE
    return batch


def test_the_notice_is_generated_first_and_its_photo_asked_for_after(users, at_first_notice):
    clerk, batch = users["clerk"], at_first_notice
    with pytest.raises(ProcedureError, match="请先生成并打印公示"):
        notices.add_notice_photo(batch, by=clerk, photo=upload(), now=at(3))
    notice = notices.post_notice(batch, by=clerk, now=at(3))  # no photo yet: the sheet is still to be printed
    assert notice.pk and "监督举报电话：12317" in notice.body
    with pytest.raises(ProcedureError, match="请先上传公示张贴现场照片"):
        notices.close_notice(batch, by=clerk, now=at(12))
    with pytest.raises(ProcedureError, match="请选择公示张贴现场照片"):
        notices.add_notice_photo(batch, by=clerk, photo=None, now=at(3))
    notices.add_notice_photo(batch, by=clerk, photo=upload("posted.jpg"), now=at(3, 15))
    notices.close_notice(batch, by=clerk, now=at(12))
    assert Batch.objects.get(pk=batch.pk).stage == Stage.TOWNSHIP_REVIEW


def test_the_batch_page_offers_to_generate_then_to_upload_the_photo(client, users, at_first_notice):
    client.force_login(users["clerk"])
    url = reverse("procedures:batch_detail", args=[at_first_notice.pk])
    before = client.get(url).content.decode()
    assert 'data-testid="notice-generate"' in before and 'name="photo"' not in before
    client.post(reverse("procedures:batch_action", args=[at_first_notice.pk, "post_notice"]))
    after = client.get(url).content.decode()
    assert 'data-testid="notice-photo"' in after and "打印" in after
    client.post(
        reverse("procedures:batch_action", args=[at_first_notice.pk, "notice_photo"]), {"photo": upload()}
    )
    assert "张贴现场照片已上传" in client.get(url).content.decode()


def test_the_printed_notice_has_a_seal_box_and_the_countys_supervision_phone(client, users, at_first_notice):
    policy.save_settings(by=users["county"], county_code="360722", supervision_phone="0797-3312317")
    notice = notices.post_notice(at_first_notice, by=users["clerk"], photo=upload(), now=at(3))
    assert "监督举报电话：0797-3312317" in notice.body
    client.force_login(users["clerk"])
    page = client.get(reverse("disclosure:notice_print", args=[notice.pk])).content.decode()
    assert 'data-testid="seal-box"' in page and "（盖章）" in page and "0797-3312317" in page


@pytest.mark.parametrize(
    "name, issuer",
    [
        ("水东村委会", "水东村村民委员会"),
        ("水东村", "水东村村民委员会"),
        ("南山居委会", "南山居民委员会"),
        ("水东村村民委员会", "水东村村民委员会"),
        ("北门社区", "北门社区居民委员会"),
    ],
)
def test_the_village_notice_is_issued_by_the_committee_under_its_proper_name(
    users, at_first_notice, name, issuer
):
    Region.objects.filter(code=factories.VILLAGE).update(name=name)
    notice = notices.post_notice(
        Batch.objects.get(pk=at_first_notice.pk), by=users["clerk"], photo=upload(), now=at(3)
    )
    assert notice.issuer == issuer


def test_a_supervision_phone_that_is_not_a_number_is_refused_on_the_settings_page(client, users):
    client.force_login(users["county"])
    response = client.post(
        reverse("procedures:settings"),
        {
            "notice_days": 7,
            "day_rule": "calendar",
            "survey_deadline": "01-31",
            "update_deadline": "02-28",
            "supervision_phone": "请拨打<script>",
        },
    )
    assert response.status_code == 200 and "请填写电话号码" in response.content.decode()
