"""A pairing is never changed on top of another office's change (issue 16, finding 3): the reassign and end
forms carry the pairing they were shown; when another office reassigned or ended it meanwhile nothing is
saved, and the page says who helps the household now. The API's end takes the pairing it ends the same way."""

from django.test import Client
from django.urls import reverse

from fupin.assistance.models import Pairing
from tests import factories
from tests.api.conftest import token_client

from .conftest import TODAY, pair


def _offices(users, county_user):
    first, second = Client(), Client()
    first.force_login(county_user)
    second.force_login(users["township"])
    return first, second


def _shown_pairing(client, household) -> str:
    page = client.get(reverse("assistance:household", args=[household.pk])).content.decode()
    return page.split('name="pairing" value="')[1].split('"')[0]


def test_a_reassignment_from_an_old_page_does_not_undo_the_other_offices(users, county_user, make_helper):
    household = factories.make_household()
    first_helper, second, third = make_helper("王一"), make_helper("李二"), make_helper("赵三")
    pair(household, first_helper, county_user)
    county, township = _offices(users, county_user)
    shown_to_county, shown_to_township = (
        _shown_pairing(county, household),
        _shown_pairing(township, household),
    )
    url = reverse("assistance:pair", args=[household.pk])
    ok = county.post(
        url,
        {
            "helper": second.pk,
            "started_on": TODAY.isoformat(),
            "reason": "王一调离",
            "pairing": shown_to_county,
        },
    )
    assert ok.status_code == 302

    stale = township.post(
        url,
        {"helper": third.pk, "started_on": TODAY.isoformat(), "reason": "换人", "pairing": shown_to_township},
    )
    text = stale.content.decode()
    assert stale.status_code == 400 and "保存前，该户的结对已被他人调整：现由李二" in text
    assert Pairing.objects.get(household=household, ended_on__isnull=True).helper == second
    again = township.post(  # the page now shows the current pairing: a conscious change goes through
        url,
        {
            "helper": third.pk,
            "started_on": TODAY.isoformat(),
            "reason": "换人",
            "pairing": _shown_pairing(township, household),
        },
    )
    assert again.status_code == 302
    assert Pairing.objects.get(household=household, ended_on__isnull=True).helper == third


def test_a_pair_form_shown_before_someone_else_paired_cannot_reassign(users, county_user, make_helper):
    household = factories.make_household()
    county, township = _offices(users, county_user)
    shown = _shown_pairing(township, household)
    assert shown == "0"
    pair(household, make_helper("王一"), county_user)
    response = township.post(
        reverse("assistance:pair", args=[household.pk]),
        {
            "helper": make_helper("李二").pk,
            "started_on": TODAY.isoformat(),
            "reason": "安排",
            "pairing": shown,
        },
    )
    assert response.status_code == 400 and "现由王一" in response.content.decode()
    assert Pairing.objects.filter(household=household).count() == 1


def test_ending_a_pairing_someone_reassigned_meanwhile_is_refused(users, county_user, make_helper):
    from fupin.assistance import services
    from fupin.registry.models import Household

    household = factories.make_household()
    old = pair(
        household, make_helper("王一"), county_user
    )  # the page of the office about to end it shows this one
    services.reassign_household(household, make_helper("李二"), by=county_user, on=TODAY, reason="调离")
    Household.objects.filter(pk=household.pk).update(status="exited", exit_year=TODAY.year)
    county, _ = _offices(users, county_user)
    assert _shown_pairing(county, household) != str(old.pk)  # a fresh page shows the current one
    response = county.post(
        reverse("assistance:end_pairing", args=[household.pk]),
        {"on": TODAY.isoformat(), "reason": "已稳定脱贫", "pairing": old.pk},
    )
    assert response.status_code == 400 and "现由李二" in response.content.decode()
    assert Pairing.objects.filter(household=household, ended_on__isnull=True).count() == 1

    api = token_client(county_user)
    body = {"household": household.pk, "on": TODAY.isoformat(), "reason": "已稳定脱贫", "pairing": old.pk}
    assert api.post("/api/v1/assistance/pairings/end/", body).status_code == 422
    current = Pairing.objects.get(household=household, ended_on__isnull=True)
    ended = api.post("/api/v1/assistance/pairings/end/", {**body, "pairing": current.pk})
    assert ended.status_code == 200
    assert not Pairing.objects.filter(household=household, ended_on__isnull=True).exists()
