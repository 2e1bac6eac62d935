"""The money module where money is read and shown: no float on the way, no crash on NaN."""

import datetime
from decimal import Decimal

import pytest

from fupin.registry import services as registry_services
from fupin.registry.models import IncomeRecord
from fupin.registry.services import RegistryError
from fupin.reports import selectors as report_selectors
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-inf", "sNaN"])
def test_recording_an_income_refuses_nan_and_infinity_as_not_an_amount(users, bad):
    household = factories.make_household(income=None)
    with pytest.raises(RegistryError) as e:
        registry_services.record_income(household, by=users["clerk"], year=2025, wages=bad)
    assert e.value.errors == {"wages": "请输入金额（元）"}
    assert not IncomeRecord.objects.filter(household=household).exists()


def test_the_casework_money_figures_are_decimal_yuan_not_float(users):
    figures = report_selectors.funds_figures(
        users["county"], factories.VILLAGE[:6], datetime.date.today().year
    )
    for key in ("allocated", "spent", "loan_amount", "outstanding"):
        assert isinstance(figures[key], Decimal) and figures[key] == Decimal("0.00"), key
