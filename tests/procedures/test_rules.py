"""The procedures' pure rules: the exit standard and "any item not met", for all inputs."""

import datetime
import itertools
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fupin.audit.models import AuditEntry
from fupin.procedures import rules
from fupin.registry import codes
from fupin.registry.models import GUARANTEES, GuaranteeCheck, Household
from fupin.registry.services import RegistryError, set_household_statuses
from tests import factories

money = st.decimals(min_value=0, max_value=100000, places=2, allow_nan=False, allow_infinity=False)


@given(
    income=st.none() | money, line=money, met=st.sampled_from([True, False, None]), confirmed=st.booleans()
)
def test_exit_problems_are_empty_exactly_when_income_guarantees_and_helper_all_pass(
    income, line, met, confirmed
):
    problems = rules.exit_problems(
        income=income, line=line, guarantees_met=met, helper_confirmed=confirmed, year=2025
    )
    income_ok = income is not None and income > line
    assert (not problems) == (income_ok and met is True and confirmed)
    assert len(problems) == (not income_ok) + (met is not True) + (not confirmed)
    assert rules.meets_exit_standard(income=income, line=line, guarantees_met=met) == (
        income_ok and met is True
    )


def test_exit_problems_say_why_in_chinese():
    assert rules.exit_problems(
        income=Decimal("4000.00"),
        line=Decimal("4000.00"),
        guarantees_met=None,
        helper_confirmed=False,
        year=2025,
    ) == [
        "年人均纯收入 4000.00 元未超过扶贫标准 4000.00 元",
        "未做2025年两不愁三保障核查",
        "帮扶责任人未确认",
    ]
    assert rules.exit_problems(
        income=Decimal("4000.01"),
        line=Decimal("4000.00"),
        guarantees_met=False,
        helper_confirmed=True,
        year=2025,
    ) == ["两不愁三保障未全部达标"]


def test_any_unmet_needs_an_item():
    with pytest.raises(ValueError):
        rules.any_unmet([])


def test_any_unmet_finds_exactly_the_checks_with_an_item_not_met(tree):
    household = factories.make_household(income=None)
    checks = []
    for year, values in enumerate(itertools.product([True, False], repeat=len(GUARANTEES)), start=1950):
        checks.append(
            GuaranteeCheck(
                household=household,
                year=year,
                checked_on=datetime.date(2025, 1, 1),
                **dict(zip(GUARANTEES, values, strict=True)),
            )
        )
    GuaranteeCheck.objects.bulk_create(checks)
    found = set(GuaranteeCheck.objects.filter(rules.any_unmet()).values_list("year", flat=True))
    assert found == {c.year for c in checks if not c.all_met}
    assert len(found) == 2 ** len(GUARANTEES) - 1
    assert all(rules.guarantees_met(c) == (c.year not in found) for c in checks)
    assert rules.guarantees_met(None) is None
    assert Household.objects.filter(rules.any_unmet(prefix="guarantee_checks__")).distinct().count() == 1


def test_set_household_statuses_refuses_an_invalid_change_and_writes_nothing(users):
    fine = factories.make_household(head="王五")
    bad = factories.make_household(head="李四")
    before = AuditEntry.objects.count()
    with pytest.raises(RegistryError, match="李四"):
        set_household_statuses(
            by=users["county"],
            action="procedure_exit",
            changes={
                fine.pk: {"status": codes.HouseholdStatus.EXITED, "exit_year": 2025},
                bad.pk: {
                    "status": codes.HouseholdStatus.EXITED,
                    "exit_year": 2010,
                },  # exit before registration
            },
        )
    assert set(Household.objects.values_list("status", flat=True)) == {codes.HouseholdStatus.POOR}
    assert AuditEntry.objects.count() == before
    with pytest.raises(RegistryError, match="household_id"):
        set_household_statuses(
            by=users["county"], action="procedure_exit", changes={fine.pk: {"household_id": 1}}
        )


def test_set_household_statuses_audits_each_changed_household_with_its_batch(users):
    households = [factories.make_household(head=name) for name in ("王五", "李四")]
    changed = set_household_statuses(
        by=users["county"],
        action="procedure_exit",
        batch_id=7,
        changes={h.pk: {"status": codes.HouseholdStatus.EXITED, "exit_year": 2025} for h in households},
    )
    assert changed == 2
    entries = AuditEntry.objects.filter(action="procedure_exit").order_by("target_id")
    assert [e.changes["batch"] for e in entries] == [[None, 7]] * 2
    assert all(e.changes["status"] == ["poor", "exited"] for e in entries)
