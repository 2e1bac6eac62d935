"""Quota allocation: largest remainder sums exactly, on any tree and any basis."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin.procedures import allocation, quotas, village_profiles
from fupin.procedures.models import Quota, ReductionPlan
from fupin.procedures.services import ProcedureError
from fupin.regions.models import Region
from tests import factories

weights_st = st.dictionaries(
    st.text("abcdefgh", min_size=1, max_size=4),
    st.decimals(min_value=0, max_value=100000, places=2, allow_nan=False),
    min_size=1,
    max_size=30,
)


@given(total=st.integers(min_value=0, max_value=10**7), weights=weights_st)
def test_largest_remainder_sums_exactly_and_stays_within_one_of_the_exact_share(total, weights):
    shares = allocation.largest_remainder(total, weights)
    assert sum(shares.values()) == total and set(shares) == set(weights)
    weight_sum = sum(weights.values()) or len(weights)
    for k, share in shares.items():
        exact = total * (weights[k] if sum(weights.values()) else 1) / Decimal(weight_sum)
        assert exact - 1 < share < exact + 1


def test_largest_remainder_example_and_ties():
    assert allocation.largest_remainder(10, {"a": 1, "b": 1, "c": 1}) == {"a": 4, "b": 3, "c": 3}
    assert allocation.largest_remainder(5996, {"x": 3, "y": 0}) == {"x": 5996, "y": 0}
    with pytest.raises(ValueError):
        allocation.largest_remainder(3, {})


# A random region tree: a county with 1–5 townships of 1–6 villages, random village estimates.
tree_st = st.lists(
    st.lists(st.integers(min_value=0, max_value=5000), min_size=1, max_size=6), min_size=1, max_size=5
)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None)
@given(
    shape=tree_st,
    total=st.integers(min_value=0, max_value=200000),
    basis=st.sampled_from(["estimated_poor", "rural_incidence", "registered"]),
)
def test_any_quota_over_any_region_tree_sums_exactly_at_every_level(shape, total, basis):
    # each example in a savepoint of the test's transaction, rolled back at its end
    from django.db import transaction

    with transaction.atomic():
        admin = factories.admin_user()
        Region.objects.create(code="99", name="测试省", level=1)
        Region.objects.create(code="9901", name="测试市", level=2, parent_id="99")
        Region.objects.create(code="990101", name="测试县", level=3, parent_id="9901")
        for t, villages in enumerate(shape):
            tcode = f"990101{t + 100:03d}"
            Region.objects.create(code=tcode, name=f"乡{t}", level=4, parent_id="990101")
            for v, estimate in enumerate(villages):
                vcode = f"{tcode}{v + 200:03d}"
                Region.objects.create(code=vcode, name=f"村{v}", level=5, parent_id=tcode)
                village_profiles.save_village_profile(
                    by=admin,
                    village_code=vcode,
                    year=2025,
                    population=estimate * 2,
                    rural_population=estimate,
                    estimated_poor=estimate // 7,
                    estimated_incidence=Decimal(estimate % 50),
                )
        for which, model in (("quota", Quota), ("plan", ReductionPlan)):
            quotas.set_county_allocation(
                by=admin, county_code="990101", year=2025, persons=total, basis=basis, which=which
            )
            rows = dict(model.objects.filter(year=2025).values_list("region_id", "persons"))
            assert rows["990101"] == total
            townships = [c for c in rows if len(c) == 9]
            assert sum(rows[t] for t in townships) == total
            for t in townships:
                assert sum(v for c, v in rows.items() if len(c) == 12 and c.startswith(t)) == rows[t]
        transaction.set_rollback(True)


def test_manual_adjustment_keeps_totals_equal_and_reallocates_below(users, tree):
    county, township = users["county"], users["township"]
    for code, est in (
        (factories.VILLAGE, 30),
        (factories.SIBLING_VILLAGE, 10),
        ("360722101200", 40),
        ("360722101201", 20),
    ):
        village_profiles.save_village_profile(by=county, village_code=code, year=2025, estimated_poor=est)
    quotas.set_county_allocation(
        by=county, county_code="360722", year=2025, persons=1000, basis="estimated_poor"
    )
    q = dict(Quota.objects.filter(year=2025).values_list("region_id", "persons"))
    assert (q["360722100"], q["360722101"], q[factories.VILLAGE]) == (400, 600, 300)
    with pytest.raises(ProcedureError, match="与上级下达的 1000 人不等"):
        quotas.adjust_allocation(
            by=county, parent_code="360722", year=2025, values={"360722100": 450, "360722101": 600}
        )
    quotas.adjust_allocation(
        by=county, parent_code="360722", year=2025, values={"360722100": 440, "360722101": 560}
    )
    q = dict(Quota.objects.filter(year=2025).values_list("region_id", "persons"))
    assert (
        q[factories.VILLAGE] + q[factories.SIBLING_VILLAGE] == 440
        and q["360722101200"] + q["360722101201"] == 560
    )
    assert Quota.objects.get(region_id="360722100", year=2025).adjusted
    # A township adjusts its own villages, not the county's split or another township's.
    quotas.adjust_allocation(
        by=township,
        parent_code="360722100",
        year=2025,
        values={factories.VILLAGE: 340, factories.SIBLING_VILLAGE: 100},
    )
    with pytest.raises(PermissionDenied):
        quotas.adjust_allocation(
            by=township, parent_code="360722", year=2025, values={"360722100": 440, "360722101": 560}
        )
