"""Every signal and suspect-data rule: a household that triggers it and one that does not."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from fupin.audit.models import AuditEntry
from fupin.monitoring import id_rules, rules
from fupin.monitoring.models import MonitoringThreshold, RiskEvent
from fupin.registry import codes, services
from fupin.registry.models import GuaranteeCheck, Household, IncomeRecord, Member
from tests import factories

YEAR = 2025
S = codes.HouseholdStatus


def exited(head="王脱贫", income="4000.00", **kw):
    kw.setdefault("exit_year", 2020)
    return factories.make_household(head=head, income=income, status=S.EXITED, **kw)


def fired(fn, year=YEAR, prefix="") -> set[int]:
    key = "s_household" if fn.__name__.startswith("signal") else "f_household"
    return {row[key] for row in fn(year, prefix)}


@pytest.fixture
def admin(db, tree):
    return factories.admin_user()


# ---------------------------------------------------------------- thresholds


def test_most_specific_threshold_wins_and_later_years_inherit(admin):
    MonitoringThreshold.objects.create(
        region_prefix="360722", year=2024, threshold=Decimal("6500"), unregistered_line=Decimal("6000")
    )
    assert rules.threshold_for(2025, "360722100001").threshold == Decimal("6500")
    assert rules.threshold_for(2025, "360723100001").threshold == Decimal("5000")  # national 2020 seed
    assert rules.threshold_for(2019, "360722100001").threshold == Decimal("5000")
    with pytest.raises(rules.ThresholdMissing):
        rules.threshold_for(2015, "360722100001")


def test_low_income_uses_the_regions_own_line(admin):
    MonitoringThreshold.objects.create(
        region_prefix="360723", year=2025, threshold=Decimal("3000"), unregistered_line=Decimal("3000")
    )
    here = exited(income="4200.00")
    there = exited(
        village=factories.OTHER_COUNTY_VILLAGE, income="4200.00"
    )  # below 5,000 but above that county's 3,000
    well_off = exited(income="5600.00")
    got = fired(rules.signal_low_income)
    assert here.pk in got and there.pk not in got and well_off.pk not in got
    row = next(r for r in rules.signal_low_income(YEAR, "") if r["s_household"] == here.pk)
    assert (
        row["s_type"] == "income"
        and row["s_source"] == IncomeRecord.objects.get(household=here, year=YEAR).pk
    )
    assert row["s_value"] == Decimal("4200.00") and row["s_reference"] == Decimal("5000")


def test_poor_households_are_not_swept_for_signals(admin):
    poor = factories.make_household(income="1000.00")
    assert poor.pk not in fired(rules.signal_low_income)


def test_income_drop(admin):
    dropped = exited(income="9000.00", year=YEAR)
    services.record_income(dropped, by=admin, year=YEAR - 1, wages=Decimal("30000"))  # 15,000 per head
    steady = exited(income="9000.00", year=YEAR)
    services.record_income(steady, by=admin, year=YEAR - 1, wages=Decimal("19000"))  # 9,500 → 9,000
    got = fired(rules.signal_income_drop)
    assert dropped.pk in got and steady.pk not in got


@pytest.mark.parametrize(
    "kind, fn",
    [
        (RiskEvent.Kind.MEDICAL, rules.signal_large_medical),
        (RiskEvent.Kind.EDUCATION, rules.signal_large_education),
    ],
)
def test_large_expenses_add_up_over_the_year(admin, kind, fn):
    big = exited(income="8000.00")
    small = exited(income="8000.00")
    for amount in ("6000", "5000"):
        RiskEvent.objects.create(
            household=big,
            kind=kind,
            occurred_on=datetime.date(YEAR, 3, 1),
            amount=Decimal(amount),
            description="住院",
        )
    RiskEvent.objects.create(
        household=small,
        kind=kind,
        occurred_on=datetime.date(YEAR, 3, 1),
        amount=Decimal("3000"),
        description="门诊",
    )
    rows = list(fn(YEAR, ""))
    assert {r["s_household"] for r in rows} == {big.pk}
    assert rows[0]["s_value"] == Decimal("11000") and "2笔" in rows[0]["s_label"]


def test_disaster(admin):
    hit = exited(income="8000.00")
    spared = exited(income="8000.00")
    RiskEvent.objects.create(
        household=hit,
        kind=RiskEvent.Kind.DISASTER,
        occurred_on=datetime.date(YEAR, 7, 1),
        amount=Decimal("20000"),
        description="洪水冲毁房屋",
    )
    RiskEvent.objects.create(
        household=spared,
        kind=RiskEvent.Kind.DISASTER,
        occurred_on=datetime.date(YEAR - 1, 7, 1),
        amount=Decimal("20000"),
        description="去年的灾害",
    )
    rows = list(rules.signal_disaster(YEAR, ""))
    assert {r["s_household"] for r in rows} == {hit.pk}
    assert "洪水" in rows[0]["s_label"]


def test_new_serious_illness_comes_from_this_years_change(admin):
    ill = exited(income="8000.00")
    always = exited(income="8000.00")
    member = ill.members.get(relation="head")
    services.update_member(member, by=admin, health=codes.Health.SERIOUS)
    old = always.members.get(relation="head")
    Member.objects.filter(pk=old.pk).update(
        health=codes.Health.SERIOUS
    )  # recorded long ago, no change this year
    if timezone.localdate().year != YEAR:
        AuditEntry.objects.filter(target_type="member", target_id=str(member.pk)).update(
            at=datetime.datetime(YEAR, 5, 1, tzinfo=datetime.UTC)
        )
    rows = list(rules.signal_new_illness(YEAR, ""))
    assert {r["s_household"] for r in rows} == {ill.pk}
    assert rows[0]["s_source"] == member.pk and rows[0]["s_label"] == member.name


def test_labour_loss_of_a_working_age_member(admin):
    lost = exited(income="8000.00")
    old = exited(income="8000.00")
    Member.objects.filter(household=lost, relation="son").update(labour_skill=codes.LabourSkill.LOST)
    Member.objects.filter(household=old, relation="head").update(
        labour_skill=codes.LabourSkill.LOST, birth_date=datetime.date(1950, 1, 1)
    )
    assert fired(rules.signal_labour_loss) == {lost.pk}


def test_guarantee_unmet(admin):
    unmet = exited(income="8000.00")
    met = exited(income="8000.00")
    services.record_guarantees(
        unmet,
        by=admin,
        year=YEAR,
        checked_on=datetime.date(YEAR, 6, 1),
        items={"housing": False},
        notes={"housing": "C级危房"},
    )
    services.record_guarantees(met, by=admin, year=YEAR, checked_on=datetime.date(YEAR, 6, 1), items={})
    rows = list(rules.signal_guarantee_unmet(YEAR, ""))
    assert {r["s_household"] for r in rows} == {unmet.pk}
    assert "住房安全" in rows[0]["s_label"]


def test_signals_respect_the_scope_prefix(admin):
    here = exited(income="1000.00")
    there = exited(village=factories.OTHER_COUNTY_VILLAGE, income="1000.00")
    assert fired(rules.signal_low_income, prefix="360722") == {here.pk}
    assert there.pk in fired(rules.signal_low_income)


# ---------------------------------------------------------------- suspect data


def _legacy_member(household, **fields):
    """A row written straight to the table, as old imports did (bulk_create bypasses validation)."""
    values = dict(
        household=household,
        village_code=household.village_id,
        name="旧数据",
        sex="M",
        birth_date=datetime.date(1980, 1, 1),
        relation=codes.Relation.SON,
    )
    values.update(fields)
    return Member.objects.bulk_create([Member(**values)])[0]


def test_same_person_in_two_households(admin):
    a = factories.make_household(head="甲")
    b = factories.make_household(head="乙")
    clean = factories.make_household(head="丙")
    valid = a.members.get(relation="head").id_number
    wrong_check = valid[:17] + ("0" if valid[17] != "0" else "1")
    _legacy_member(b, id_number=wrong_check, birth_date=datetime.date(1968, 3, 1))
    got = fired(rules.suspect_same_person)
    assert {a.pk, b.pk} <= got and clean.pk not in got
    details = {r["f_household"]: r["f_detail"] for r in rules.suspect_same_person(YEAR, "")}
    assert f"与户 {a.number} 的成员" in details[b.pk] and f"与户 {b.number} 的成员" in details[a.pk]


def test_old_fifteen_digit_number_matches_its_upgrade(admin):
    a = factories.make_household(head="甲")
    b = factories.make_household(head="乙")
    valid = a.members.get(relation="head").id_number
    old = valid[:6] + valid[8:17]  # 15 digits: YYMMDD
    _legacy_member(b, id_number=old)
    assert {a.pk, b.pk} <= fired(rules.suspect_same_person)


def test_invalid_id_number(admin):
    bad = factories.make_household(head="甲")
    good = factories.make_household(head="乙")
    number = factories.id_number(birth=datetime.date(2001, 1, 1))
    _legacy_member(
        bad, id_number=number[:17] + ("X" if number[17] != "X" else "0"), birth_date=datetime.date(2001, 1, 1)
    )
    _legacy_member(bad, id_number="36072219800101", name="短号")
    rows = [r for r in rules.suspect_invalid_id(YEAR, "")]
    assert {r["f_household"] for r in rows} == {bad.pk} and len(rows) == 2
    assert good.pk not in {r["f_household"] for r in rows}


def test_well_formed_check_is_the_id_pattern(admin):
    import re

    household = factories.make_household(head="甲", members=1)
    samples = [
        "",
        "X",
        "1" * 17 + "X",
        "1" * 18,
        "1" * 17 + "x",
        "X" + "1" * 17,
        "1" * 16 + "XX",
        "1" * 17 + " ",
        " " + "1" * 17,
        "1" * 17,
        "١" * 17 + "1",
        "1" * 8 + "X" + "1" * 9,
        "1" * 15,
    ]
    for i, number in enumerate(samples):
        _legacy_member(household, id_number=number, name=f"样本{i}")
    well_formed = {
        n
        for n in Member.objects.filter(household=household).values_list("id_number", flat=True)
        if id_rules.well_formed(n)
    }
    expected = {n for n in samples if re.fullmatch(rules.ID_PATTERN, n)}
    assert well_formed - {household.members.get(relation="head").id_number} == expected
    assert expected == {"1" * 17 + "X", "1" * 18}


def test_birth_date_or_sex_disagreeing_with_the_id(admin):
    bad = factories.make_household(head="甲")
    factories.make_household(head="乙")
    _legacy_member(
        bad,
        id_number=factories.id_number(birth=datetime.date(1990, 2, 3), sex="M"),
        birth_date=datetime.date(1990, 2, 4),
    )
    _legacy_member(
        bad,
        id_number=factories.id_number(birth=datetime.date(1991, 2, 3), sex="M"),
        birth_date=datetime.date(1991, 2, 3),
        sex="F",
        name="性别错",
    )
    rows = list(rules.suspect_identity_mismatch(YEAR, ""))
    assert {r["f_household"] for r in rows} == {bad.pk} and len(rows) == 2


def test_implausible_age(admin):
    bad = factories.make_household(head="甲")
    factories.make_household(head="乙")
    _legacy_member(
        bad,
        id_number=factories.id_number(birth=datetime.date(1900, 1, 1)),
        birth_date=datetime.date(1900, 1, 1),
        relation=codes.Relation.GRANDFATHER,
    )
    assert fired(rules.suspect_implausible_age) == {bad.pk}


def test_child_older_than_head_and_parent_younger(admin):
    bad = factories.make_household(head="甲", members=1)
    good = factories.make_household(head="乙", members=2)
    _legacy_member(
        bad,
        id_number=factories.id_number(birth=datetime.date(1960, 1, 1)),
        birth_date=datetime.date(1960, 1, 1),
    )
    _legacy_member(
        bad,
        id_number=factories.id_number(birth=datetime.date(1990, 1, 1)),
        birth_date=datetime.date(1990, 1, 1),
        relation=codes.Relation.MOTHER,
        name="年轻的母亲",
    )
    assert fired(rules.suspect_child_older_than_head) == {bad.pk}
    assert fired(rules.suspect_parent_younger_than_head) == {bad.pk}
    assert good.pk not in fired(rules.suspect_child_older_than_head)


def test_head_missing(admin):
    headless = factories.make_household(head="甲", members=2)
    Member.objects.filter(household=headless, relation="head").update(relation=codes.Relation.SIBLING)
    fine = factories.make_household(head="丙")
    assert fired(rules.suspect_head_missing) == {headless.pk}
    assert fine.pk not in fired(rules.suspect_head_missing)


def test_a_second_head_is_refused_by_the_database(admin):
    # the rule's other half (两名户主) can no longer arise: the partial unique index refuses the row
    two = factories.make_household(head="乙", members=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        _legacy_member(
            two,
            id_number=factories.id_number(birth=datetime.date(1970, 1, 1)),
            birth_date=datetime.date(1970, 1, 1),
            relation=codes.Relation.HEAD,
        )
    assert fired(rules.suspect_head_missing) == set()


def test_incomes_that_do_not_add_up(admin):
    bad = factories.make_household(head="甲")
    good = factories.make_household(head="乙")
    IncomeRecord.objects.filter(household=bad).update(per_capita_net_income=Decimal("9999.00"))
    assert fired(rules.suspect_income_inconsistent) == {bad.pk}
    assert good.pk not in fired(rules.suspect_income_inconsistent)


def test_income_counting_a_different_household_size(admin):
    bad = factories.make_household(head="甲", members=3)
    factories.make_household(head="乙", members=3)
    IncomeRecord.objects.filter(household=bad).update(household_size=2)
    assert fired(rules.suspect_income_size_mismatch) == {bad.pk}


def test_household_split_recently_at_the_same_address(admin):
    first = factories.make_household(head="甲", address="南山村3组12号")
    split = factories.make_household(head="乙", address="南山村3组12号")
    factories.make_household(head="丙", address="南山村3组13号")
    rows = list(rules.suspect_split_household(YEAR, ""))
    assert {r["f_household"] for r in rows} == {split.pk}
    assert first.number in rows[0]["f_detail"]
    Household.objects.filter(pk=split.pk).update(
        created_at=datetime.datetime(2015, 1, 1, tzinfo=datetime.UTC)
    )
    assert not list(rules.suspect_split_household(YEAR, ""))


def test_exited_with_guarantees_unmet(admin):
    bad = exited(head="甲", exit_year=2024)
    good = exited(head="乙", exit_year=2024)
    GuaranteeCheck.objects.create(
        household=bad, year=2024, checked_on=datetime.date(2024, 10, 1), water=False
    )
    GuaranteeCheck.objects.create(household=good, year=2024, checked_on=datetime.date(2024, 10, 1))
    rows = list(rules.suspect_exited_guarantees_unmet(YEAR, ""))
    assert {r["f_household"] for r in rows} == {bad.pk}
    assert "饮水安全" in rows[0]["f_detail"]


def test_every_rule_has_a_test_here():
    tested = {name for name in globals() if name.startswith("test_")}
    assert len(rules.SIGNAL_RULES) == 8 and len(rules.SUSPECT_RULES) == 11
    assert len(tested) >= 19
