"""The suspect sweep's column-wise screen (screening.py) against the rules' own queries: it may mark more
members than a rule fires on, never fewer, so a sweep with the screen writes exactly the findings of one
without."""

import datetime
import re

import polars as pl
import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin.core.idnumber import check_character
from fupin.monitoring import rules, screening, sweeps
from fupin.monitoring.models import Finding, Sweep
from fupin.registry import codes
from fupin.registry.models import Member
from tests import factories

YEAR = 2025


def _legacy(
    household,
    id_number,
    *,
    birth=datetime.date(1980, 1, 1),
    sex="M",
    relation=codes.Relation.SON,
    name="旧数据",
):
    """A row written straight to the table, as old imports did (no validation)."""
    return Member.objects.bulk_create(
        [
            Member(
                household=household,
                village_code=household.village_id,
                name=name,
                id_number=id_number,
                sex=sex,
                birth_date=birth,
                relation=relation,
            )
        ]
    )[0]


def _valid(first17: str) -> str:
    return first17 + check_character(first17)


def _ending_in_x(date: str) -> str:
    """A valid number born on `date` (YYYYMMDD) whose check character is X."""
    return next(n for n in (_valid(f"360722{date}{seq:03d}") for seq in range(1000)) if n.endswith("X"))


@pytest.fixture
def tricky(db, tree):
    """Households whose members trip every screened rule in the awkward ways, and some that must not."""
    a = factories.make_household(head="甲")
    b = factories.make_household(head="乙")
    c = factories.make_household(head="丙", village=factories.OTHER_COUNTY_VILLAGE)
    head_a = a.members.get(relation=codes.Relation.HEAD).id_number
    # the same person: another check character, a lower-case x, the old 15-digit form, a bare 17-character key
    _legacy(b, head_a[:17] + ("0" if head_a[17] != "0" else "1"))
    x_number = _ending_in_x("19750301")
    _legacy(
        a,
        x_number,
        birth=datetime.date(1975, 3, 1),
        relation=codes.Relation.SPOUSE,
        sex="M" if int(x_number[16]) % 2 else "F",
    )
    _legacy(c, x_number[:17] + "x", birth=datetime.date(1975, 3, 1))
    old_head = factories.make_household(head="丁")
    head_old = old_head.members.get(relation=codes.Relation.HEAD).id_number
    _legacy(c, head_old[:6] + head_old[8:17])  # 15 digits
    seventeen = _valid("36072219800101123")
    _legacy(a, seventeen, relation=codes.Relation.DAUGHTER)
    _legacy(b, seventeen[:17])
    _legacy(a, seventeen[:17] + "y")  # same household as its partner for the 18-character one: only with b
    # invalid numbers: a wrong check character, lower-case x, short, long-ish junk, spaces, other digits
    bad = factories.make_household(head="戊")
    wrong = _valid("36072219900101001")
    wrong = wrong[:17] + ("5" if wrong[17] != "5" else "6")
    for i, number in enumerate(
        [
            wrong,
            _ending_in_x("19900102")[:17] + "x",
            "3607221990010",
            "ABCDEFGHIJKLMNOPQR",
            " 3607221990010100",
            "١" * 17 + "1",
            "36072219900101,04",
            "",
        ]
    ):
        _legacy(bad, number, name=f"坏号{i}")
    # valid check characters over impossible or disagreeing dates: Feb 29 of 2023, Feb 30, a future date
    dates = factories.make_household(head="己")
    _legacy(dates, _valid("36072220230229001"), birth=datetime.date(2023, 3, 1), name="非闰年")
    _legacy(dates, _valid("36072220000229001"), birth=datetime.date(2000, 2, 29), name="闰年")
    _legacy(dates, _valid("36072219990230001"), birth=datetime.date(1999, 2, 28), name="二月三十")
    future = timezone.localdate() + datetime.timedelta(days=30)
    _legacy(dates, _valid(f"360722{future:%Y%m%d}001"), birth=future, name="未出生")
    _legacy(
        dates,
        _valid("36072219100101001"),
        birth=datetime.date(1910, 1, 1),
        relation=codes.Relation.GRANDFATHER,
        name="太老",
    )
    _legacy(
        dates, _valid("36072219850101002"), birth=datetime.date(1985, 1, 1), sex="M", name="性别错"
    )  # even: a woman
    _legacy(
        dates, _valid("36072219850101013"), birth=datetime.date(1985, 1, 1), sex="F", name="性别错2"
    )  # odd: a man
    # heads: none (two cannot be stored: member_one_head_per_household); a child older than the head; a parent
    # younger; equal birth dates
    headless = factories.make_household(head="庚", members=2)
    Member.objects.filter(household=headless, relation=codes.Relation.HEAD).update(
        relation=codes.Relation.SIBLING
    )
    two = factories.make_household(head="辛", members=1)
    head_two = two.members.get(relation=codes.Relation.HEAD)
    _legacy(
        two,
        factories.id_number(birth=head_two.birth_date),
        birth=head_two.birth_date,
        relation=codes.Relation.SON,
        name="同日子",
    )
    _legacy(
        two,
        factories.id_number(birth=head_two.birth_date),
        birth=head_two.birth_date,
        relation=codes.Relation.MOTHER,
        name="同日母",
    )
    _legacy(
        two,
        factories.id_number(birth=datetime.date(1930, 1, 1)),
        birth=datetime.date(1930, 1, 1),
        relation=codes.Relation.GRANDSON,
        name="老孙",
    )
    _legacy(
        two,
        factories.id_number(birth=datetime.date(2010, 1, 1)),
        birth=datetime.date(2010, 1, 1),
        relation=codes.Relation.GRANDMOTHER,
        name="小奶奶",
    )
    return a


def _fired(rule, prefix="") -> set[int]:
    field = "f_household" if rule.key in screening.BY_HOUSEHOLD else "f_member"
    return {row[field] for row in rules.evaluate(rule, YEAR, prefix)}


@pytest.mark.parametrize("prefix", ["", "360722"])
def test_screen_marks_every_member_a_rule_fires_on(tricky, prefix):
    found = screening.screen(prefix)
    assert set(found) == (screening.SCREENED_RULES - (screening.WHOLE_REGISTRY_ONLY if prefix else set()))
    for rule in rules.SUSPECT_RULES:
        if rule.key in found:
            fired = _fired(rule, prefix)
            assert fired, rule.key  # the fixture trips every rule
            assert fired <= set(found[rule.key].to_list()), rule.key


def test_screen_is_exact_for_the_id_rules(tricky):
    found = screening.screen("")
    for key in ("invalid_id", "identity_mismatch", "same_person", "head_missing"):
        rule = next(r for r in rules.SUSPECT_RULES if r.key == key)
        assert set(found[key].to_list()) == _fired(rule), key


def _findings() -> set[tuple]:
    return set(
        Finding.objects.values_list("rule", "household_id", "member_id", "village_code", "detail", "severity")
    )


@pytest.mark.parametrize("prefix", ["", "360722"])
def test_sweep_with_the_screen_writes_what_the_rules_alone_write(tricky, monkeypatch, prefix):
    screened = Sweep.objects.create(kind=Sweep.Kind.SUSPECT, year=YEAR, scope_code=prefix, rules_total=0)
    sweeps._sweep_suspects(screened)
    with_screen = _findings()
    Finding.objects.all().delete()
    monkeypatch.setattr(screening, "read_members", lambda prefix: None)  # no screen: every rule whole
    plain = Sweep.objects.create(kind=Sweep.Kind.SUSPECT, year=YEAR, scope_code=prefix, rules_total=0)
    sweeps._sweep_suspects(plain)
    assert with_screen == _findings() and len(with_screen) > 15
    assert {r[0] for r in with_screen} >= screening.SCREENED_RULES - (
        screening.WHOLE_REGISTRY_ONLY if prefix else set()
    )


def test_a_value_holding_the_separator_turns_the_screen_off(tricky):
    bad = _legacy(tricky, "3607221990\x1f0101009")
    found = screening.screen("")
    # PostgreSQL's read joins each column's values with the separator: no screen, every rule runs whole
    # (SQLite's reads rows: the number is screened as any other)
    assert found == {} or bad.pk in found["invalid_id"].to_list()


ALPHABET = "0123456789Xx -١"


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(alphabet=ALPHABET, min_size=0, max_size=20),
        st.text(alphabet="0123456789", min_size=17, max_size=17).map(lambda s: s + check_character(s)),
        st.tuples(
            st.text(alphabet="0123456789", min_size=17, max_size=17), st.sampled_from("0123456789Xx")
        ).map("".join),
    )
)
def test_id_checks_agree_with_the_pattern_and_the_check_character(number):
    frame = screening.with_id_checks(pl.DataFrame({"id_number": [number]}, schema={"id_number": pl.String}))
    well_formed = re.fullmatch(rules.ID_PATTERN, number) is not None
    assert frame["well_formed"][0] == well_formed
    if well_formed:
        assert frame["check_right"][0] == (number[17] == check_character(number[:17]))
        assert frame["first17"][0] == int(number[:17])
