"""A write the database refuses because another got there first: a clear conflict message on pages and in the
API, the same words, never a 500 (issue 16, finding 5)."""

import pytest
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse

from fupin.core.errors import CONFLICT_MESSAGE
from fupin.procedures.models import Batch
from fupin.registry import services
from fupin.registry.models import Household
from tests import factories
from tests.registry.test_concurrency import race
from tests.registry.test_views import household_data


def _refused(*args, **kwargs):
    raise IntegrityError('duplicate key value violates unique constraint "registry_household_number_key"')


@pytest.mark.django_db
def test_a_page_and_the_api_say_the_same_when_the_database_refuses_a_write(users, monkeypatch):
    monkeypatch.setattr(services, "create_household", _refused)
    client = Client(raise_request_exception=False)
    client.force_login(users["clerk"])
    page = client.post(reverse("registry:household_create"), household_data())
    assert page.status_code == 409
    assert CONFLICT_MESSAGE in page.content.decode() and "重新打开本页" in page.content.decode()
    api = client.post("/api/v1/households/", {"village": factories.VILLAGE}, content_type="application/json")
    assert api.status_code == 409 and api.json()["detail"] == CONFLICT_MESSAGE


def _page_post(user, url, data):
    def post():
        client = Client(raise_request_exception=False)
        client.force_login(user)
        return client.post(url, data).status_code

    return post


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_three_new_households_at_once_in_one_village_all_get_their_own_number(users):
    url = reverse("registry:household_create")
    statuses = race(*[_page_post(users[name], url, household_data()) for name in ("clerk", "team", "clerk")])
    assert statuses == [302, 302, 302], statuses
    numbers = list(Household.objects.values_list("number", flat=True))
    assert len(numbers) == 3 and len(set(numbers)) == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_batch_opened_twice_at_once_opens_once_and_tells_the_second(users):
    data = {"kind": "identification", "year": "2025", "village": factories.VILLAGE}
    url = reverse("procedures:batch_open")
    statuses = race(*[_page_post(users[name], url, data) for name in ("clerk", "team")])
    assert statuses == [302, 302], statuses
    assert Batch.objects.count() == 1
