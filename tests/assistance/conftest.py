"""Fixtures of the assistance tests: a unit, helpers in the test tree, a helper who can sign in."""

import datetime
import importlib

import pytest
from django.utils import timezone

from fupin.assistance import roster, services
from tests import factories

TODAY = timezone.localdate()


def load_catalogue() -> None:
    """The default measure catalogue, as its data migration loads it.

    Transactional tests (the browser's) flush every table afterwards, migration data included,
    so tests that need the catalogue load it themselves.
    """
    from django.apps import apps

    importlib.import_module("fupin.assistance.migrations.0002_measure_catalogue").load(apps, None)


@pytest.fixture(autouse=True)
def _catalogue(db):
    load_catalogue()


@pytest.fixture
def county_user(users):
    return users["county"]


@pytest.fixture
def unit(county_user):
    return roster.create_unit(by=county_user, name="信丰县农业农村局", region_code=factories.VILLAGE[:6])


@pytest.fixture
def make_helper(county_user, unit):
    def make(name: str = "王建国", region: str = factories.VILLAGE[:6], phone: str | None = None, **kw):
        make.n += 1
        return roster.create_helper(
            by=county_user,
            unit=unit,
            name=name,
            phone=phone or f"1390797{make.n:04d}",
            region_code=region,
            **kw,
        )

    make.n = 0
    return make


@pytest.fixture
def helper_with_login(make_helper, county_user):
    helper = make_helper("李帮扶", region=factories.VILLAGE[:9])
    roster.give_helper_login(helper, by=county_user, username="helper1", password="pw-secret-123")
    helper.refresh_from_db()
    return helper


def pair(household, helper, by, days_ago: int = 30):
    return services.pair_household(
        household, helper, by=by, started_on=TODAY - datetime.timedelta(days=days_ago)
    )
