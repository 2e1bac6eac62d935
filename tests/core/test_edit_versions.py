"""Every edit form carries the version it was based on (issue 16, finding 3): two users open the same record,
the first saves, and the second's save never overwrites silently. It shows what changed meanwhile, and the
merge the page proposes (their value where the second user did not touch the field) saves both changes.

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

from fupin.assistance import services as assistance
from fupin.assistance.models import MeasureCatalogue
from fupin.core import versions
from fupin.funds import projects
from fupin.funds import services as funds
from fupin.monitoring import services as monitoring
from fupin.procedures import policy, village_profiles
from fupin.registry import services as registry
from tests import factories
from tests.assistance.conftest import load_catalogue
from tests.forms_on_page import form_data
from tests.funds.test_funds import make_project

pytestmark = pytest.mark.django_db


@dataclass
class Page:
    """An edit form shown on a page that posts elsewhere (a household's page with its plan form)."""

    url: str
    action: str
    form_id: str

    def __str__(self) -> str:
        return self.url


@dataclass
class Kind:
    name: str
    # builds the record; returns the edit page's address and the two users (their keys in `users`) who open it
    setup: Callable[[dict], tuple[str | Page, str, str]]
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


def _village_profile(users):
    village_profiles.save_village_profile(
        by=users["county"], village_code=factories.VILLAGE, year=2025, population=1000, households=300
    )
    return reverse("procedures:village_edit", args=[factories.VILLAGE]) + "?year=2025", "clerk", "county"


def _county_settings(users):
    policy.save_settings(by=users["county"], county_code=factories.VILLAGE[:6], notice_days=7)
    return reverse("procedures:settings"), "county", "county"


def _assistance_settings(users):
    assistance.update_settings(
        by=users["county"], county_code=factories.VILLAGE[:6], load_cap=5, visit_interval_days=30
    )
    return reverse("assistance:settings"), "county", "county"


def _loan_policy(users):
    funds.update_policy(by=users["county"], county_code=factories.VILLAGE[:6], min_age=20)
    return reverse("funds:policy") + f"?county={factories.VILLAGE[:6]}", "county", "county"


def _project(users):
    project = make_project(users["county"])
    return reverse("funds:project_edit", args=[project.pk]), "county", "county"


def _project_progress(users):
    project = make_project(users["county"])
    projects.record_progress(
        project, by=users["county"], status="in_progress", progress=10, on=datetime.date(2025, 5, 1)
    )
    url = reverse("funds:project_detail", args=[project.pk])
    return (
        Page(url, reverse("funds:project_progress", args=[project.pk]), "progress-form"),
        "county",
        "county",
    )


def _lookback_item(users):
    household = factories.make_household()
    item = factories.lookback_item(users["township"], household)
    monitoring.record_lookback_item(
        item,
        by=users["clerk"],
        results=dict.fromkeys(("income", "food_clothing", "education", "medical", "housing", "water"), True),
        notes={},
        checked_on=datetime.date(2025, 10, 1),
    )
    return reverse("monitoring:lookback_item", args=[item.pk]), "clerk", "team"


def _planned(users):
    load_catalogue()
    household = factories.make_household()
    assistance.save_plan(household, by=users["county"], target_exit_year=2026, goals="发展脐橙")
    return household


def _plan(users):
    household = _planned(users)
    url = reverse("assistance:household", args=[household.pk])
    return Page(url, reverse("assistance:save_plan", args=[household.pk]), "plan-form"), "team", "county"


def _measure(users):
    household = _planned(users)
    measure = assistance.add_measure(
        household,
        by=users["county"],
        catalogue=MeasureCatalogue.objects.get(code="planting"),
        content="脐橙5亩",
        year=2026,
        deadline=datetime.date(2026, 12, 31),
    )
    return reverse("assistance:measure", args=[measure.pk]), "team", "county"


KINDS = [
    Kind("income", _income, theirs=("wages", "9100.00"), mine=("production", "1200.00")),
    Kind("guarantees", _guarantees, theirs=("checked_on", "2025-10-20"), mine=("food_note", "已核实")),
    Kind("village profile", _village_profile, theirs=("population", "1020"), mine=("households", "310")),
    Kind(
        "county settings",
        _county_settings,
        theirs=("notice_days", "10"),
        mine=("supervision_phone", "0797-1"),
    ),
    Kind(
        "assistance settings",
        _assistance_settings,
        theirs=("load_cap", "8"),
        mine=("visit_interval_days", "60"),
    ),
    Kind("loan policy", _loan_policy, theirs=("household_cap", "60000"), mine=("reminder_days", "15")),
    Kind("project", _project, theirs=("budget", "120000"), mine=("manager", "李四")),
    Kind("project progress", _project_progress, theirs=("progress", "50"), mine=("status", "cancelled")),
    Kind(
        "look-back item", _lookback_item, theirs=("note_housing", "已加固"), mine=("note_water", "自来水入户")
    ),
    Kind("help plan", _plan, theirs=("target_exit_year", "2027"), mine=("goals", "发展脐橙和养殖")),
    Kind("help measure", _measure, theirs=("actual_amount", "2000.00"), mine=("result", "已种植")),
]


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _read(client, where) -> dict:
    """The edit form as the page shows it."""
    html = client.get(str(where)).content.decode()
    return form_data(html, where.form_id if isinstance(where, Page) else None)


def _post(client, where, data):
    return client.post(where.action if isinstance(where, Page) else where, data)


def _merge_form(response, where) -> dict:
    return form_data(response.content.decode(), where.form_id if isinstance(where, Page) else None)


def _is_conflict(response) -> bool:
    return response.status_code in (200, 409) and versions.MESSAGE in response.content.decode()


@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
def test_the_second_save_of_an_edit_form_shows_what_changed_and_merges(kind, users):
    where, first_user, second_user = kind.setup(users)
    first, second = _client(users[first_user]), _client(users[second_user])
    seen_first, seen_second = _read(first, where), _read(second, where)
    assert seen_first.get(versions.FIELD), "the form carries its version"
    (their_field, their_value), (my_field, my_value) = kind.theirs, kind.mine
    before = seen_second[their_field], seen_second[my_field]

    saved = _post(first, where, seen_first | {their_field: their_value})
    assert saved.status_code == 302, saved.content.decode()[:3000]

    stale = _post(second, where, seen_second | {my_field: my_value})
    assert _is_conflict(stale), stale.content.decode()[:3000]
    assert f'name="keep_{their_field}" value="theirs" checked' in stale.content.decode()  # theirs proposed
    now = _read(first, where)
    assert _same(now[their_field], their_value) and _same(now[my_field], before[1]), "nothing of mine saved"

    merged = _post(second, where, _merge_form(stale, where))  # the merge as proposed
    assert merged.status_code == 302, merged.content.decode()[:3000]
    now = _read(first, where)
    assert _same(now[their_field], their_value) and _same(now[my_field], my_value)


@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
def test_an_edit_form_posted_without_its_version_is_shown_as_a_conflict(kind, users):
    where, first_user, _ = kind.setup(users)
    client = _client(users[first_user])
    seen = _read(client, where)
    (field, value) = kind.theirs
    stale = _post(client, where, {k: v for k, v in seen.items() if k != versions.FIELD} | {field: value})
    assert _is_conflict(stale)
    assert _post(client, where, _merge_form(stale, where)).status_code == 302


def test_an_admin_change_page_refuses_a_save_on_top_of_another_administrators(users):
    """The admin's change pages carry the version too (fupin.core.admin.VersionedAdmin): here a user
    account."""
    clerk = users["clerk"]
    url = reverse("admin:accounts_user_change", args=[clerk.pk])
    first, second = _client(users["admin"]), _client(users["admin"])
    seen_first, seen_second = (
        form_data(first.get(url).content.decode()),
        form_data(second.get(url).content.decode()),
    )
    assert seen_first.get(versions.FIELD)
    assert first.post(url, seen_first | {"full_name": "王会计"}).status_code == 302

    stale = second.post(url, seen_second | {"is_active": ""})
    page = stale.content.decode()
    assert stale.status_code == 200 and versions.MESSAGE in page and "王会计" in page
    clerk.refresh_from_db()
    assert clerk.full_name == "王会计" and clerk.is_active
    # the page now stands on the new version, with the second administrator's values: saving again is knowing
    assert second.post(url, form_data(page) | {"full_name": "王会计"}).status_code == 302
    clerk.refresh_from_db()
    assert clerk.full_name == "王会计" and not clerk.is_active
