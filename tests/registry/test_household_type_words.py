"""Issue 18, finding 11: the seeds' own words for a household type (seed 001 篇1: 扶贫低保户, 五保户) are
accepted by the forms as imports and the API accept them, and the forms' lists show them beside the national
label."""

import pytest
from django.urls import reverse

from fupin.changes.forms import TypeChangeForm
from fupin.procedures.forms import AddHouseholdsForm
from fupin.registry import codes
from tests import factories


@pytest.mark.parametrize(
    "word, code",
    [
        ("五保户", codes.HouseholdType.WUBAO),
        ("扶贫低保户", codes.HouseholdType.DIBAO_POOR),
        ("特困供养贫困户", codes.HouseholdType.WUBAO),
        ("dibao_poor", codes.HouseholdType.DIBAO_POOR),
    ],
)
def test_a_procedure_application_takes_the_seeds_word_for_the_proposed_type(word, code):
    form = AddHouseholdsForm({"households": ["1"], "proposed_type": word}, household_choices=[(1, 1)])
    assert form.is_valid(), form.errors
    assert form.cleaned_data["proposed_type"] == code


@pytest.mark.django_db
def test_a_change_request_takes_the_seeds_word_and_keeps_the_national_code(tree):
    household = factories.make_household()
    form = TypeChangeForm({"household_type": "五保户", "reason": "核实为特困供养"}, household=household)
    assert form.is_valid(), form.errors
    assert form.payload() == {"household_type": codes.HouseholdType.WUBAO}


def test_an_unknown_word_is_still_refused():
    form = AddHouseholdsForm({"households": ["1"], "proposed_type": "贫困户甲"}, household_choices=[(1, 1)])
    assert not form.is_valid() and "proposed_type" in form.errors


@pytest.mark.django_db
def test_the_household_list_filters_by_the_seeds_word_and_lists_it_beside_the_national_label(client, users):
    wubao = factories.make_household(head="五保甲", household_type=codes.HouseholdType.WUBAO)
    factories.make_household(head="一般乙")
    client.force_login(users["clerk"])
    page = client.get(reverse("registry:household_list"), {"household_type": "五保户"}).content.decode()
    assert wubao.head_name in page and "一般乙" not in page
    assert "特困供养贫困户（五保户）" in page and "低保贫困户（扶贫低保户）" in page
