"""Largest-remainder (Hamilton) allocation of a whole number of persons among regions.

Pure functions: the shares always sum exactly to the total, each share is the floor or the
ceiling of its exact proportional quota, and ties go to the larger weight, then the smaller key.
"""

from collections.abc import Hashable, Mapping
from decimal import Decimal
from fractions import Fraction

from django.utils.translation import gettext


def largest_remainder(total: int, weights: Mapping[Hashable, Decimal | int]) -> dict:
    """Split `total` among the keys of `weights` in proportion to the weights.

    If every weight is zero the total is split evenly (the same rule, equal weights).
    """
    if total < 0:
        raise ValueError(gettext("总数不能为负"))
    if not weights:
        if total:
            raise ValueError(gettext("没有可分解的下级区划"))
        return {}
    exact = {k: Fraction(str(w)) for k, w in weights.items()}
    if any(w < 0 for w in exact.values()):
        raise ValueError(gettext("分解权数不能为负"))
    weight_sum = sum(exact.values())
    if weight_sum == 0:
        exact = {k: Fraction(1) for k in weights}
        weight_sum = Fraction(len(exact))
    quotas = {k: total * w / weight_sum for k, w in exact.items()}
    shares = {k: int(q) for k, q in quotas.items()}  # floor: quotas are non-negative
    left = total - sum(shares.values())
    order = sorted(quotas, key=lambda k: (-(quotas[k] - shares[k]), -exact[k], str(k)))
    for k in order[:left]:
        shares[k] += 1
    return shares
