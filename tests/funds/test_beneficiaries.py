"""Adding a project's beneficiaries through the page: by 户编号, within the county, refusals on the form."""

import pytest
from django.urls import reverse

from fupin.funds import projects
from fupin.funds.models import FundSource, ProjectBeneficiary, ProjectCategory
from tests import factories

COUNTY = factories.VILLAGE[:6]


@pytest.fixture
def project(users):
    return projects.create_project(
        by=users["county"],
        county_code=COUNTY,
        year=2025,
        code="XF-9",
        name="南山村产业路",
        category=ProjectCategory.WATER,
        budget_fen=1_000_000,
        region_code=factories.VILLAGE,
        funding={FundSource.CENTRAL: 1_000_000},
        village_codes=[factories.VILLAGE],
    )


def test_the_county_adds_a_beneficiary_by_household_number(client, users, project):
    household = factories.make_household()
    client.force_login(users["county"])
    url = reverse("funds:project_beneficiary_add", args=[project.pk])
    response = client.post(url, {"household": household.number, "benefit": "入户道路", "amount": "300"})
    assert response.status_code == 302
    beneficiary = ProjectBeneficiary.objects.get(project=project)
    assert beneficiary.household == household and beneficiary.amount_fen == 30_000


def test_a_household_of_another_county_or_unknown_number_is_refused_on_the_form(client, users, project):
    elsewhere = factories.make_household(factories.OTHER_COUNTY_VILLAGE)
    client.force_login(users["county"])
    url = reverse("funds:project_beneficiary_add", args=[project.pk])
    for number in (elsewhere.number, "nonexistent", "3607"):
        response = client.post(url, {"household": number})
        assert response.status_code == 400, number
        assert "不存在或不在您的范围内" in response.content.decode()
    assert not ProjectBeneficiary.objects.exists()
    admin = factories.admin_user()
    client.force_login(admin)
    response = client.post(url, {"household": elsewhere.number})
    assert response.status_code == 400 and not ProjectBeneficiary.objects.exists()
