import pytest

from tests import factories


@pytest.fixture(autouse=True)
def _fast_passwords(settings, tmp_path):
    """Cheap password hashing and a throwaway media folder for every test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"


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
