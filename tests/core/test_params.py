"""Query-string values: one rule for a year and for a whole number, and a bad value is the default, never an
error."""

from django.test import RequestFactory
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from fupin.core.params import FIRST_YEAR, int_param, request_year, this_year, year_param


@given(
    value=st.one_of(st.none(), st.text(max_size=8), st.integers(-(10**6), 10**6)),
    default=st.none() | st.integers(2013, 2030),
)
def test_a_year_is_between_2013_and_next_year_or_the_default(value, default):
    year = year_param(value, default)
    assert year == default or (FIRST_YEAR <= year <= this_year() + 1 and year == int(str(value).strip()))
    if isinstance(value, int) and FIRST_YEAR <= value <= this_year() + 1:
        assert year == value


def test_year_examples():
    next_year = timezone.localdate().year + 1
    assert (
        year_param("2016") == 2016
        and year_param(" 2016 ") == 2016
        and year_param(str(next_year)) == next_year
    )
    assert (
        year_param("2012", 2020) == 2020
        and year_param(str(next_year + 1)) is None
        and year_param("二〇一六", 7) == 7
    )
    assert year_param("2016.0") is None and year_param("") is None


def test_whole_numbers_within_bounds():
    assert (
        int_param("3", lo=0, hi=4) == 3
        and int_param("5", 1, lo=0, hi=4) == 1
        and int_param("-1", lo=0) is None
    )
    assert int_param(None, -1) == -1 and int_param("x") is None and int_param("12") == 12


def test_the_year_of_a_request_is_read_from_the_query_then_the_form():
    factory = RequestFactory()
    assert request_year(factory.get("/", {"year": "2018"})) == 2018
    assert request_year(factory.post("/", {"year": "2019"})) == 2019
    assert request_year(factory.post("/?year=2017", {"year": "2019"})) == 2017
    assert request_year(factory.get("/", {"year": "1999"}), 2020) == 2020
