import importlib
import os

import pytest
from django.apps import apps as django_apps
from django.core.cache import caches
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from tests import factories

# The task workers the tests start (crash and two-worker tests) run no daily jobs (fupin.core.schedule): they
# would add tasks and anchors of their own to what those tests count. tests/core/test_schedule.py turns them
# on.
os.environ.setdefault("FUPIN_SCHEDULE", "off")

# Property tests check rules, not speed: on a machine busy with other work hypothesis's
# deadline and "too slow" health check would fail them for the wrong reason.
hypothesis_settings.register_profile("fupin", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("fupin")

# Reference rows that data migrations load (national poverty lines, the measure catalogue,
# monitoring thresholds). A transactional test flushes the database after it runs, taking
# them away from the transactional tests that follow, so those tests load them again.
REFERENCE_DATA = [
    ("fupin.procedures.migrations.0002_national_poverty_lines", "add_lines"),
    ("fupin.assistance.migrations.0002_measure_catalogue", "load"),
    ("fupin.monitoring.migrations.0002_seed_thresholds", "seed"),
]


@pytest.fixture(autouse=True)
def _reference_data(request):
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return
    request.getfixturevalue("transactional_db")
    for module, function in REFERENCE_DATA:
        getattr(importlib.import_module(module), function)(
            django_apps, None
        )  # none of them uses the schema editor


@pytest.fixture(autouse=True)
def _fast_passwords(settings, tmp_path):
    """Cheap password hashing, a throwaway media folder and background work run at once, for every test.

    Tasks run inline whatever FUPIN_TASKS says, so `pytest` alone behaves as scripts/test.sh does.
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    for cache in caches.all():  # counters keyed by a user's id (reused after a rollback) start at zero
        cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request made in English leaves English active in the
    thread (the locale middleware activates it and nothing deactivates it), and the next test, whichever it
    is, would run in English (how tests/registry/test_code_lists_in_english.py's fault was found)."""
    from django.utils import translation

    translation.activate("zh-hans")
    yield
    translation.activate("zh-hans")


@pytest.fixture(autouse=True)
def _no_token_cache(settings):
    """API tokens verified afresh on every request, as the tests that revoke, expire or deactivate one in the
    database expect; tests/api/test_token_cache.py turns the cache on and tests its bound."""
    from fupin.accounts import token_cache

    settings.FUPIN_API_TOKEN_CACHE_SECONDS = 0
    token_cache.clear()


@pytest.fixture
def tree(db):
    return factories.make_tree()


@pytest.fixture
def users(tree):
    """One user per role, bound to the village/township/county of factories.VILLAGE, plus siblings."""
    f = factories
    return {
        "admin": f.admin_user(),
        "clerk": f.make_user("clerk", "village_clerk", f.VILLAGE),
        "sibling_clerk": f.make_user("sibling_clerk", "village_clerk", f.SIBLING_VILLAGE),
        "team": f.make_user("team", "village_team", f.VILLAGE),
        "township": f.make_user("township", "township", f.VILLAGE[:9]),
        "other_township": f.make_user("other_township", "township", f.OTHER_TOWNSHIP_VILLAGE[:9]),
        "county": f.make_user("county", "county", f.VILLAGE[:6]),
        "other_county": f.make_user("other_county", "county", f.OTHER_COUNTY_VILLAGE[:6]),
        "prefecture": f.make_user("prefecture", "prefecture", f.VILLAGE[:4]),
        "province": f.make_user("province", "province", f.VILLAGE[:2]),
        "liaison": f.make_user("liaison", "liaison", None),
    }
