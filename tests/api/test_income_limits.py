"""Issue 16, finding 6: incomes whose per-capita net income would not fit numeric(12,2): a 422, not a 500."""

import pytest

from fupin.registry.models import IncomeRecord
from tests import factories

pytestmark = pytest.mark.django_db


def test_put_income_past_the_column_is_refused_with_a_message(api, tree):
    h = factories.make_household(members=1, income=None)
    response = api("clerk").put(
        f"/api/v1/households/{h.pk}/incomes/2024/", {"wages": "9999999999.99", "production": "9999999999.99"}
    )
    assert response.status_code == 422, response.content
    assert "超过上限 9,999,999,999.99 元" in str(response.json()["errors"])
    assert not IncomeRecord.objects.filter(household=h).exists()
