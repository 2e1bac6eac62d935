from fupin.registry import selectors
from tests import factories


def _numbers(qs):
    return set(qs.values_list("number", flat=True))


def test_each_role_sees_exactly_its_region(users):
    mine = factories.make_household(factories.VILLAGE)
    sibling = factories.make_household(factories.SIBLING_VILLAGE, head="李四")
    other_township = factories.make_household(factories.OTHER_TOWNSHIP_VILLAGE, head="王五")
    other_county = factories.make_household(factories.OTHER_COUNTY_VILLAGE, head="赵六")
    expect = {
        "clerk": {mine},
        "team": {mine},
        "sibling_clerk": {sibling},
        "township": {mine, sibling},
        "other_township": {other_township},
        "county": {mine, sibling, other_township},
        "other_county": {other_county},
        "prefecture": {mine, sibling, other_township, other_county},
        "province": {mine, sibling, other_township, other_county},
        "admin": {mine, sibling, other_township, other_county},
        "liaison": set(),
    }
    for who, households in expect.items():
        assert _numbers(selectors.households_for(users[who])) == {h.number for h in households}, who


def test_region_filter_cannot_widen_scope(users):
    factories.make_household(factories.OTHER_COUNTY_VILLAGE)
    assert not selectors.households_for(users["clerk"], region="36").exists()
    assert not selectors.households_for(users["clerk"], region=factories.OTHER_COUNTY_VILLAGE).exists()


def test_search_by_name_id_number_and_initials(users):
    h = factories.make_household(head="欧阳修")
    other = factories.make_household(head="张三")
    head = h.members.get(relation="head")
    clerk = users["clerk"]
    assert _numbers(selectors.households_for(clerk, q="欧阳")) == {h.number}
    assert _numbers(selectors.households_for(clerk, q="OYX")) == {h.number}
    assert _numbers(selectors.households_for(clerk, q="oy")) == {h.number}
    assert _numbers(selectors.households_for(clerk, q=head.id_number)) == {h.number}
    assert _numbers(selectors.households_for(clerk, q=head.id_number[-8:].lower())) == {h.number}
    assert _numbers(selectors.households_for(clerk, q="张")) == {other.number}


def test_filters_by_status_type_cause_and_income_band(users):
    poor = factories.make_household(income="3500")
    exited = factories.make_household(
        status="exited", exit_year=2020, income="6000", primary_cause="disability"
    )
    clerk = users["clerk"]
    assert _numbers(selectors.households_for(clerk, status="exited")) == {exited.number}
    assert _numbers(selectors.households_for(clerk, cause="disability")) == {exited.number}
    assert _numbers(selectors.households_for(clerk, income_band="3000_4000")) == {poor.number}
    assert _numbers(selectors.households_for(clerk, income_band="5000_8000")) == {exited.number}
    assert _numbers(selectors.households_for(clerk, household_type="dibao")) == set()
