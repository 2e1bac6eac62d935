"""Issue 18, finding 2: the income form keeps what was typed when the year changes, shows the year before, and
asks before saving an income of nought."""

from decimal import Decimal

from django.urls import reverse

from fupin.registry.models import IncomeRecord
from tests import factories


def test_changing_the_year_keeps_the_amounts_typed_and_shows_the_year_before(client, users):
    household = factories.make_household(income="3500.00", year=2025)  # two persons: wages 7,000
    client.force_login(users["clerk"])
    url = reverse("registry:income_record", args=[household.pk])
    page = client.get(url, {"year": 2026, "wages": "8000", "production": "1200.50"}, HTTP_HX_REQUEST="true")
    html = page.content.decode()
    assert 'value="8000"' in html and 'value="1200.50"' in html
    assert "2025年：7,000.00 元" in html  # last year's wages beside this year's field
    assert "data-per-capita" in html and 'data-income="add"' in html and 'data-income-size="2"' in html


def test_an_all_zero_income_is_saved_only_once_confirmed(client, users):
    household = factories.make_household(income=None)
    client.force_login(users["clerk"])
    url = reverse("registry:income_record", args=[household.pk])
    refused = client.post(url, {"year": 2025})
    assert refused.status_code == 200 and "各项收入合计为 0 元" in refused.content.decode()
    assert not IncomeRecord.objects.filter(household=household).exists()
    saved = client.post(url, {"year": 2025, "confirm_zero": "on"})
    assert saved.status_code == 302
    assert IncomeRecord.objects.get(household=household, year=2025).per_capita_net_income == Decimal("0")
    # an income with any amount needs no confirmation
    assert client.post(url, {"year": 2024, "wages": "100"}).status_code == 302
