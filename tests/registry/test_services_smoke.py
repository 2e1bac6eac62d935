from fupin.registry.models import Household
from tests import factories


def test_household_with_members_and_income(tree):
    h = factories.make_household(members=3)
    h.refresh_from_db()
    assert h.size == 3 and h.head_name == "张三丰" and h.head_initials == "ZSF"
    assert str(h.latest_income) == "3500.00"
    assert Household.objects.count() == 1
    assert h.audit_entries.count() >= 5
