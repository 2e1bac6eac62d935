"""A service's refusal on the pairing pages is a 400 with the Chinese reason on the form, never a server
error."""

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from fupin.assistance.models import Pairing
from tests import factories

from .conftest import TODAY, pair


@pytest.fixture
def county_client(client, county_user):
    client.force_login(county_user)
    return client


def test_a_refused_pairing_shows_the_reason(county_client, make_helper):
    household = factories.make_household()
    helper = make_helper()
    tomorrow = (TODAY + datetime.timedelta(days=1)).isoformat()
    response = county_client.post(
        reverse("assistance:pair", args=[household.pk]), {"helper": helper.pk, "started_on": tomorrow}
    )
    assert response.status_code == 400
    assert "日期不能晚于今天" in response.content.decode()
    assert not Pairing.objects.filter(household=household).exists()


def test_a_refused_reassignment_shows_the_reason(county_client, county_user, make_helper):
    household = factories.make_household()
    helper = make_helper()
    current = pair(household, helper, county_user)
    # handing the household to the helper it already has is refused by the service
    response = county_client.post(
        reverse("assistance:pair", args=[household.pk]),
        {"helper": helper.pk, "started_on": TODAY.isoformat(), "reason": "调离", "pairing": current.pk},
    )
    assert response.status_code == 400
    assert f"该户的帮扶责任人已是{helper.name}" in response.content.decode()
    assert Pairing.objects.filter(household=household).count() == 1


def test_a_refused_end_of_pairing_shows_the_reason(county_client, county_user, make_helper):
    household = factories.make_household()
    current = pair(household, make_helper(), county_user)
    response = county_client.post(
        reverse("assistance:end_pairing", args=[household.pk]),
        {"on": TODAY.isoformat(), "reason": "不想帮了", "pairing": current.pk},
    )
    assert response.status_code == 400
    assert "不脱贫不脱钩" in response.content.decode()
    assert Pairing.objects.get(household=household).ended_on is None


def test_end_of_pairing_with_no_pairing_is_refused_on_the_page(county_client):
    household = factories.make_household(status="exited", exit_year=TODAY.year)
    response = county_client.post(
        reverse("assistance:end_pairing", args=[household.pk]),
        {"on": TODAY.isoformat(), "reason": "已稳定脱贫"},
    )
    assert response.status_code == 400
    assert "该户当前没有结对帮扶" in response.content.decode()


@pytest.mark.parametrize("role", ["liaison", "county"])
def test_an_empty_monitoring_report_downloads(client, users, role):
    client.force_login(users[role])
    response = client.get(reverse("assistance:monitoring") + "?format=xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.getvalue()))
    assert book.sheetnames == ["帮扶责任人明细", "乡镇汇总", "县汇总"]
    assert book["县汇总"]["B2"].value == 0
    assert client.get(reverse("assistance:monitoring")).status_code == 200


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_visit_form_and_the_service_refuse_a_future_date_in_the_same_words(
    language, county_user, make_helper
):
    """Issue 15: one rule, one message: the web form said 走访日期不能晚于今天 where the service (and so the
    field app's phone) says 日期不能晚于今天."""
    from django.utils import translation

    from fupin.assistance import services
    from fupin.assistance.forms import VisitForm

    household = factories.make_household()
    pair(household, make_helper(), county_user)
    tomorrow = TODAY + datetime.timedelta(days=1)
    with translation.override(language):
        form = VisitForm({"visited_on": tomorrow.isoformat(), "kind": "home", "findings": "好"})
        assert not form.is_valid()
        with pytest.raises(services.AssistanceError) as refused:
            services.record_visit(household, by=county_user, visited_on=tomorrow, findings="好")
        assert form.errors["visited_on"] == [refused.value.errors["visited_on"]]
        expected = "日期不能晚于今天" if language == "zh-hans" else "The date cannot be later than today"
        assert refused.value.errors["visited_on"] == expected
