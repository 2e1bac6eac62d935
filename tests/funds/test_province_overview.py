"""Issue 18, finding 11: a reader over several counties opens the funds overview on their total, not on the
first county; each county is a row that leads to its own figures."""

from django.urls import reverse

from fupin.funds import funding
from fupin.funds.models import FundSource
from tests import factories

OTHER_COUNTY = factories.OTHER_COUNTY_VILLAGE[:6]


def test_the_province_opens_on_the_total_of_its_counties(client, users):
    funding.create_fund(
        by=users["county"],
        county_code=factories.VILLAGE[:6],
        year=2025,
        source=FundSource.CENTRAL,
        name="中央专项",
        amount_fen=2_000_000,
    )
    funding.create_fund(
        by=users["other_county"],
        county_code=OTHER_COUNTY,
        year=2025,
        source=FundSource.CENTRAL,
        name="中央专项",
        amount_fen=500_000,
    )
    client.force_login(users["province"])
    page = client.get(reverse("funds:index"), {"year": 2025}).content.decode()
    assert "江西省（各县合计）" in page
    assert "25,000.00" in page  # 20,000 + 5,000 yuan
    assert "信丰县" in page and "大余县" in page and f"?county={OTHER_COUNTY}&amp;year=2025" in page
    one = client.get(reverse("funds:index"), {"year": 2025, "county": OTHER_COUNTY}).content.decode()
    assert "大余县 · 2025年" in one and "5,000.00" in one and "25,000.00" not in one
    # a county officer still sees only their own county
    client.force_login(users["county"])
    own = client.get(reverse("funds:index"), {"year": 2025}).content.decode()
    assert "信丰县 · 2025年" in own and "各县合计" not in own and "25,000.00" not in own
