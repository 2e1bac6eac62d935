"""Bulk pairing (issue 18, to build 4): many unpaired households given helpers at once, all or nothing."""

import pytest

from fupin.assistance import bulk
from fupin.assistance.models import Pairing
from fupin.assistance.services import AssistanceError
from fupin.audit.models import AuditEntry
from fupin.core.errors import ScopeError
from fupin.registry import codes
from tests import factories

from .conftest import TODAY


@pytest.fixture
def households(db):
    return [factories.make_household(head=f"户主{i}", members=1) for i in range(6)]


def test_a_township_pairs_many_households_at_once_each_audited(users, make_helper, households):
    a, b = make_helper("甲", region=factories.VILLAGE[:9]), make_helper("乙", region=factories.VILLAGE[:9])
    pairs = [(h.pk, (a if i < 3 else b).pk) for i, h in enumerate(households)]
    made = bulk.pair_many(pairs, by=users["township"], started_on=TODAY, reason="统一安排")
    assert len(made) == 6
    assert Pairing.objects.filter(helper=a, ended_on__isnull=True).count() == 3
    entries = AuditEntry.objects.filter(action="pair", username="township")
    assert sorted(entries.values_list("household_id", flat=True)) == sorted(h.pk for h in households)


def test_one_refused_pair_saves_nothing_and_names_the_household(users, make_helper, households):
    helper = make_helper("甲", region=factories.VILLAGE[:9])
    exited = factories.make_household(head="已脱贫", status=codes.HouseholdStatus.EXITED, exit_year=2020)
    pairs = [(h.pk, helper.pk) for h in households[:2]] + [(exited.pk, helper.pk)]
    with pytest.raises(AssistanceError) as e:
        bulk.pair_many(pairs, by=users["county"], started_on=TODAY)
    assert "已脱贫" in e.value.errors["households"]
    assert not Pairing.objects.exists()


def test_the_load_cap_counts_the_pairs_of_the_same_request(users, make_helper, households):
    helper = make_helper("甲", region=factories.VILLAGE[:9])
    with pytest.raises(AssistanceError) as e:  # the county's cap is 5 households a helper
        bulk.pair_many([(h.pk, helper.pk) for h in households], by=users["county"], started_on=TODAY)
    assert "上限" in e.value.errors["households"]
    assert not Pairing.objects.exists()


def test_an_already_paired_household_is_refused(users, make_helper, households):
    helper = make_helper("甲", region=factories.VILLAGE[:9])
    bulk.pair_many([(households[0].pk, helper.pk)], by=users["county"], started_on=TODAY)
    with pytest.raises(AssistanceError, match="已有帮扶责任人"):
        bulk.pair_many([(households[0].pk, helper.pk)], by=users["county"], started_on=TODAY)


@pytest.mark.parametrize("who", ["clerk", "team", "prefecture", "province", "liaison", "other_township"])
def test_other_roles_and_regions_cannot_pair(users, make_helper, households, who):
    helper = make_helper("甲", region=factories.VILLAGE[:9])
    with pytest.raises(ScopeError):
        bulk.pair_many([(households[0].pk, helper.pk)], by=users[who], started_on=TODAY)
    assert not Pairing.objects.exists()


def test_a_helper_outside_the_households_region_is_refused(users, make_helper, households):
    far = make_helper("远", region=factories.OTHER_TOWNSHIP_VILLAGE[:9])
    with pytest.raises(AssistanceError, match="工作区域"):
        bulk.pair_many([(households[0].pk, far.pk)], by=users["county"], started_on=TODAY)


# ---------------------------------------------------------------- the page


def _client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_the_township_ticks_households_on_the_page_and_pairs_them(users, make_helper, households):
    helper = make_helper("甲", region=factories.VILLAGE[:9])
    client = _client(users["township"])
    page = client.get("/assistance/unpaired/pair/").content.decode()
    assert all(h.number in page for h in households) and "甲" in page
    response = client.post(
        "/assistance/unpaired/pair/",
        {"household": [h.pk for h in households[:3]], "helper": helper.pk, "started_on": TODAY.isoformat()},
    )
    assert response.status_code == 302
    assert Pairing.objects.filter(helper=helper).count() == 3
    assert households[0].number not in client.get("/assistance/unpaired/pair/").content.decode()


def test_a_refused_request_answers_400_with_the_reason_and_saves_nothing(users, make_helper, households):
    helper = make_helper("甲", region=factories.VILLAGE[:9])
    response = _client(users["county"]).post(
        "/assistance/unpaired/pair/",
        {"household": [h.pk for h in households], "helper": helper.pk, "started_on": TODAY.isoformat()},
    )
    assert response.status_code == 400 and "上限" in response.content.decode()
    assert not Pairing.objects.exists()


def test_a_helper_of_another_township_cannot_be_chosen(users, make_helper, households):
    far = make_helper("远", region=factories.OTHER_TOWNSHIP_VILLAGE[:9])
    response = _client(users["township"]).post(
        "/assistance/unpaired/pair/",
        {"household": [households[0].pk], "helper": far.pk, "started_on": TODAY.isoformat()},
    )
    assert response.status_code == 400 and not Pairing.objects.exists()


def test_households_of_another_township_cannot_be_posted(users, make_helper):
    helper = make_helper("乙", region=factories.OTHER_TOWNSHIP_VILLAGE[:9])
    mine = factories.make_household(head="本乡户", members=1)
    response = _client(users["other_township"]).post(
        "/assistance/unpaired/pair/",
        {"household": [mine.pk], "helper": helper.pk, "started_on": TODAY.isoformat()},
    )
    assert response.status_code == 400 and not Pairing.objects.exists()


@pytest.mark.parametrize("who", ["clerk", "team", "prefecture", "province", "liaison"])
def test_other_roles_get_403(users, households, who):
    assert _client(users[who]).get("/assistance/unpaired/pair/").status_code == 403


def test_anonymous_is_sent_to_sign_in(db):
    from django.test import Client

    assert Client().get("/assistance/unpaired/pair/").status_code == 302
