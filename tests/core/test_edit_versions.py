"""Every edit form carries the version it was based on (issue 16, finding 3): two users open the same record, the
first saves, and the second's save never overwrites silently. It shows what changed meanwhile, and the merge the
page proposes (their value where the second user did not touch the field) saves both changes.

One parametrised test runs each kind of edit form through its page, as users do: the forms are read from the
pages (tests.forms_on_page) and posted back with one field changed. The registry's households and members have
their own tests (tests/registry/test_versions.py); the API's versioned writes are tested at the end."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import pytest
from django.test import Client
from django.urls import reverse

from fupin.core import versions
from fupin.registry import services as registry
from tests import factories
from tests.forms_on_page import form_data

pytestmark = pytest.mark.django_db


@dataclass
class Kind:
    name: str
    # builds the record; returns the edit page's address and the two users (their keys in `users`) who open it
    setup: Callable[[dict], tuple[str, str, str]]
    theirs: tuple[str, str]  # the field the first user changes, and its new value
    mine: tuple[str, str]  # the field the second user changes, and its new value


def _same(a, b) -> bool:
    try:
        return Decimal(str(a).replace(",", "")) == Decimal(str(b).replace(",", ""))
    except InvalidOperation:
        return str(a) == str(b)


def _income(users):
    household = factories.make_household(income="3500.00", year=2025)
    return reverse("registry:income_record", args=[household.pk]) + "?year=2025", "clerk", "team"


def _guarantees(users):
    household = factories.make_household()
    registry.record_guarantees(
        household,
        by=users["clerk"],
        year=2025,
        checked_on=datetime.date(2025, 10, 1),
        items=dict.fromkeys(("food", "clothing", "education", "medical", "housing", "water"), True),
    )
    return reverse("registry:guarantees_record", args=[household.pk]) + "?year=2025", "clerk", "team"


KINDS = [
    Kind("income", _income, theirs=("wages", "9100.00"), mine=("production", "1200.00")),
    Kind("guarantees", _guarantees, theirs=("checked_on", "2025-10-20"), mine=("food_note", "已核实")),
]


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
def test_the_second_save_of_an_edit_form_shows_what_changed_and_merges(kind, users):
    url, first_user, second_user = kind.setup(users)
    first, second = _client(users[first_user]), _client(users[second_user])
    seen_first, seen_second = (
        form_data(first.get(url).content.decode()),
        form_data(second.get(url).content.decode()),
    )
    assert seen_first.get(versions.FIELD), "the form carries its version"
    (their_field, their_value), (my_field, my_value) = kind.theirs, kind.mine
    before = seen_second[their_field], seen_second[my_field]

    saved = first.post(url, seen_first | {their_field: their_value})
    assert saved.status_code == 302, saved.content.decode()[:3000]

    stale = second.post(url, seen_second | {my_field: my_value})
    page = stale.content.decode()
    assert stale.status_code == 200 and versions.MESSAGE in page
    assert f'name="keep_{their_field}" value="theirs" checked' in page  # untouched by me: theirs proposed
    now = form_data(first.get(url).content.decode())
    assert _same(now[their_field], their_value) and _same(now[my_field], before[1]), "nothing of mine saved"

    merged = second.post(url, form_data(page))  # the merge as proposed
    assert merged.status_code == 302, merged.content.decode()[:3000]
    now = form_data(first.get(url).content.decode())
    assert _same(now[their_field], their_value) and _same(now[my_field], my_value)


@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
def test_an_edit_form_posted_without_its_version_is_shown_as_a_conflict(kind, users):
    url, first_user, _ = kind.setup(users)
    client = _client(users[first_user])
    seen = form_data(client.get(url).content.decode())
    (field, value) = kind.theirs
    stale = client.post(url, {k: v for k, v in seen.items() if k != versions.FIELD} | {field: value})
    assert stale.status_code == 200 and versions.MESSAGE in stale.content.decode()
    assert client.post(url, form_data(stale.content.decode())).status_code == 302
