"""Issue 18, build item 4: a township reviews its villages' batches from one page and posts one notice across
them (one print with a verify code, one posting photo, one period, objections per household), through the
one-village services and their rules."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from fupin.audit.models import AuditEntry
from fupin.disclosure.services import Verdict, verify_code
from fupin.procedures import notices, selectors, services, township
from fupin.procedures.models import Batch, Evidence, JointNoticeBatch, Notice, Stage
from fupin.procedures.services import ProcedureError
from tests import factories

from .conftest import YEAR, applicant, at, upload
from .test_identification import _survey_and_appraise

VILLAGES = (factories.VILLAGE, factories.SIBLING_VILLAGE)


def _to_township_review(users, village: str, heads: tuple[str, ...]) -> Batch:
    clerk = factories.make_user(f"clerk-{village}", "village_clerk", village)
    households = [applicant(h, "2000", village=village) for h in heads]
    batch = services.open_batch(by=clerk, village_code=village, kind="identification", year=YEAR, now=at(0))
    services.add_households(
        batch, by=clerk, household_ids=[h.pk for h in households], primary_cause="illness", now=at(0)
    )
    services.complete_application(batch, by=clerk, now=at(1))
    _survey_and_appraise(Batch.objects.get(pk=batch.pk), clerk, day=2)
    batch = Batch.objects.get(pk=batch.pk)
    notices.post_notice(batch, by=clerk, photo=upload(), now=at(3))
    notices.close_notice(batch, by=clerk, now=at(12))
    batch.refresh_from_db()
    assert batch.stage == Stage.TOWNSHIP_REVIEW
    return batch


@pytest.fixture
def two_villages(users, quota):
    return [
        _to_township_review(users, VILLAGES[0], ("赵一",)),
        _to_township_review(users, VILLAGES[1], ("钱二", "孙三")),
    ]


def _approved(users, batches, day=13):
    done, refused = township.review_villages(
        {b.pk: ("approve", "") for b in batches}, by=users["township"], opinion="同意", now=at(day)
    )
    assert not refused, refused
    return [Batch.objects.get(pk=b.pk) for b in batches]


def test_one_township_notice_lists_every_chosen_villages_households_and_has_one_verify_code(
    users, two_villages
):
    batches = _approved(users, two_villages)
    assert {b.stage for b in batches} == {Stage.SECOND_NOTICE}
    notice = township.post_township_notice([b.pk for b in batches], by=users["township"], now=at(14))
    assert [(r["no"], r["village"], r["head_name"]) for r in notice.entries] == [
        (1, "南山居委会", "赵一"),
        (2, "人民路居委会", "钱二"),
        (3, "人民路居委会", "孙三"),
    ]
    assert notice.region_id == factories.VILLAGE[:9] and notice.issuer == "嘉定镇人民政府"
    assert "南山居委会、人民路居委会（共 2 个村）" in notice.body
    assert Notice.objects.filter(kind="township").count() == 1
    assert verify_code(notice.seal.code) == (Verdict.MATCH, notice)
    for b in batches:  # each village's batch finds the one notice as its running notice
        assert selectors.running_notice(b) == notice
        with pytest.raises(ProcedureError, match="已经生成"):
            notices.post_notice(b, by=users["township"], now=at(14))


def test_one_photo_one_period_and_objections_per_household(users, two_villages):
    batches = _approved(users, two_villages)
    notice = township.post_township_notice([b.pk for b in batches], by=users["township"], now=at(14))
    done, refused = township.close_township_notice(notice, by=users["township"], now=at(30))
    assert (
        done == []
        and all("请先上传公示张贴现场照片" in why for why in refused.values())
        and len(refused) == 2
    )
    assert (
        township.add_township_notice_photo(notice, by=users["township"], photo=upload(), now=at(14, 15)) == 2
    )
    files = set(
        Evidence.objects.filter(kind="notice_photo", record__stage="second_notice").values_list(
            "file", flat=True
        )
    )
    assert (
        len(files) == 1
        and Evidence.objects.filter(kind="notice_photo", record__stage="second_notice").count() == 2
    )
    done, refused = township.close_township_notice(notice, by=users["township"], now=at(16))
    assert done == [] and all("公示期未满" in why for why in refused.values())
    entry = batches[1].entries.get(household__head_name="钱二")
    objection = notices.record_objection(
        batches[1], by=users["township"], entry=entry, content="家有轿车", now=at(15)
    )
    done, refused = township.close_township_notice(notice, by=users["township"], now=at(30))
    assert done == ["南山居委会"] and "异议尚未处理" in refused["人民路居委会"]
    assert Batch.objects.get(pk=batches[0].pk).stage == Stage.COUNTY_REVIEW
    assert (
        Notice.objects.get(pk=notice.pk).closed_at is None
    )  # still running for the village with the objection
    notices.resolve_objection(
        objection, by=users["township"], upheld=False, resolution="车辆属亲属", now=at(31)
    )
    done, refused = township.close_township_notice(notice, by=users["township"], now=at(31))
    assert done == ["人民路居委会"] and not refused
    assert Notice.objects.get(pk=notice.pk).closed_at is not None
    assert not JointNoticeBatch.objects.filter(closed_at__isnull=True).exists()


def test_a_village_returned_by_the_county_gets_a_new_notice_not_the_old_one(users, two_villages):
    batches = _approved(users, two_villages)
    notice = township.post_township_notice([b.pk for b in batches], by=users["township"], now=at(14))
    township.add_township_notice_photo(notice, by=users["township"], photo=upload(), now=at(14, 15))
    township.close_township_notice(notice, by=users["township"], now=at(30))
    services.send_back(Batch.objects.get(pk=batches[0].pk), by=users["county"], reason="补充材料", now=at(31))
    again = _approved(users, [batches[0]], day=32)[0]
    assert selectors.running_notice(again) is None
    second = township.post_township_notice([again.pk], by=users["township"], now=at(33))
    assert second.pk != notice.pk and [r["head_name"] for r in second.entries] == ["赵一"]


def test_review_per_village_accept_and_return_with_reason(users, two_villages):
    a, b = two_villages
    with pytest.raises(ProcedureError, match="至少一个村"):
        township.review_villages({}, by=users["township"], opinion="同意")
    done, refused = township.review_villages(
        {a.pk: ("approve", ""), b.pk: ("send_back", "")}, by=users["township"], opinion="同意", now=at(13)
    )
    assert done == ["南山居委会"] and "退回须写明理由" in refused["人民路居委会"]
    done, refused = township.review_villages(
        {a.pk: ("approve", ""), b.pk: ("send_back", "收入核算有误")},
        by=users["township"],
        opinion="同意",
        now=at(13),
    )
    assert (
        done == ["人民路居委会"] and "乡镇公示" in refused["南山居委会"]
    )  # moved meanwhile: refused, not redone
    assert Batch.objects.get(pk=b.pk).stage == Stage.SURVEY
    assert Batch.objects.get(pk=a.pk).stage == Stage.SECOND_NOTICE


@pytest.mark.parametrize("who", ["other_township", "county", "prefecture", "clerk", "liaison"])
def test_only_the_townships_office_posts_its_notice(users, two_villages, who):
    batches = _approved(users, two_villages)
    before = AuditEntry.objects.count()
    with pytest.raises((ProcedureError, PermissionDenied)):
        township.post_township_notice([b.pk for b in batches], by=users[who], now=at(14))
    assert not Notice.objects.filter(kind="township").exists() and AuditEntry.objects.count() == before


def test_villages_of_two_townships_or_a_batch_not_at_the_notice_stage_are_refused(users, two_villages, quota):
    batches = _approved(users, two_villages[:1])
    with pytest.raises(ProcedureError, match="人民路居委会"):
        township.post_township_notice([batches[0].pk, two_villages[1].pk], by=users["township"], now=at(14))
    with pytest.raises(ProcedureError, match="请勾选"):
        township.post_township_notice([], by=users["township"])
    with pytest.raises(ProcedureError, match="不存在"):
        township.post_township_notice([batches[0].pk, 999999], by=users["township"])
    assert not Notice.objects.filter(kind="township").exists()


def test_the_page_reviews_posts_and_closes(client, users, two_villages):
    client.force_login(users["township"])
    url = reverse("procedures:township")
    page = client.get(url, {"year": YEAR}).content.decode()
    assert "南山居委会" in page and "人民路居委会" in page and 'name="decision_' in page
    a, b = two_villages
    client.post(
        reverse("procedures:township_action", args=["review"]),
        {
            "year": YEAR,
            "kind": "identification",
            f"decision_{a.pk}": "approve",
            f"decision_{b.pk}": "approve",
            "opinion": "同意",
        },
    )
    assert set(Batch.objects.values_list("stage", flat=True)) == {Stage.SECOND_NOTICE}
    page = client.get(url, {"year": YEAR}).content.decode()
    assert 'name="batches"' in page
    client.post(reverse("procedures:township_action", args=["post"]), {"year": YEAR, "batches": [a.pk, b.pk]})
    notice = Notice.objects.get(kind="township")
    page = client.get(url, {"year": YEAR}).content.decode()
    assert notice.title in page and 'data-testid="township-photo"' in page
    printed = client.get(reverse("disclosure:notice_print", args=[notice.pk])).content.decode()
    assert "行政村" in printed and "钱二" in printed and notice.seal.display_code in printed
    r = client.post(
        reverse("procedures:township_action", args=["photo"]),
        {"year": YEAR, "notice": notice.pk, "photo": upload()},
    )
    assert r.status_code == 302
    assert Evidence.objects.filter(kind="notice_photo", record__stage="second_notice").count() == 2


def test_other_townships_and_read_only_roles_cannot_act_by_the_page(client, users, two_villages):
    batches = _approved(users, two_villages)
    notice = township.post_township_notice([b.pk for b in batches], by=users["township"], now=at(14))
    client.force_login(users["other_township"])
    assert client.get(reverse("procedures:township"), {"region": factories.VILLAGE[:9]}).status_code == 404
    r = client.post(
        reverse("procedures:township_action", args=["photo"]),
        {"region": factories.VILLAGE[:9], "notice": notice.pk, "photo": upload()},
    )
    assert r.status_code == 404
    r = client.post(
        reverse("procedures:township_action", args=["photo"]), {"notice": notice.pk, "photo": upload()}
    )
    assert r.status_code == 404  # their own township's page: the notice is not theirs
    client.force_login(users["prefecture"])
    page = client.get(reverse("procedures:township"), {"region": factories.VILLAGE[:9], "year": YEAR})
    assert page.status_code == 200 and notice.title in page.content.decode()
    assert 'data-testid="township-photo"' not in page.content.decode()
    client.post(
        reverse("procedures:township_action", args=["photo"]),
        {"region": factories.VILLAGE[:9], "notice": notice.pk, "photo": upload()},
    )
    assert not Evidence.objects.filter(kind="notice_photo", record__stage="second_notice").exists()


def test_a_clerk_sees_the_township_notice_on_the_batch_page(client, users, two_villages):
    batches = _approved(users, two_villages)
    notice = township.post_township_notice([b.pk for b in batches], by=users["township"], now=at(14))
    client.force_login(users["sibling_clerk"])
    page = client.get(reverse("procedures:batch_detail", args=[batches[1].pk])).content.decode()
    assert notice.title in page


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_officers_posting_at_once_make_one_notice(users, two_villages):
    import threading

    from django.db import close_old_connections, connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    batches = _approved(users, two_villages)
    second_officer = factories.make_user("township2", "township", factories.VILLAGE[:9])
    barrier, outcomes = threading.Barrier(2), []

    def run(officer, ids):
        try:
            barrier.wait()
            township.post_township_notice(ids, by=officer, now=at(14))
            outcomes.append("done")
        except ProcedureError as e:
            outcomes.append(str(e))
        except Exception as e:  # a deadlock: what locking in id order prevents
            outcomes.append(f"error: {type(e).__name__}: {e}")
        finally:
            close_old_connections()
            connection.close()

    ids = [b.pk for b in batches]
    threads = [
        threading.Thread(target=run, args=(users["township"], ids)),
        threading.Thread(target=run, args=(second_officer, list(reversed(ids)))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes)[0] == "done" and outcomes.count("done") == 1, outcomes
    assert "已经生成" in [o for o in outcomes if o != "done"][0]
    assert Notice.objects.filter(kind="township").count() == 1 and JointNoticeBatch.objects.count() == 2
