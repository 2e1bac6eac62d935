"""The procedures' rules as pure functions: who may exit, and which checks have an item not met.

No database access here: the services, the yearly cycle, monitoring and the reports feed these
functions the facts they have read, so each rule is written once and tested for all inputs.
"""

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Q

from fupin.registry.models import GUARANTEES


def any_unmet(items: Iterable[str] = GUARANTEES, *, prefix: str = "") -> Q:
    """Rows of a checklist with at least one of `items` recorded as not met (False; an item not
    yet checked, NULL, is not "not met"). `items` defaults to the 两不愁三保障 + drinking-water
    check (`GuaranteeCheck`); the look-back campaign passes its own items. `prefix` reaches the
    checklist through a relation, e.g. "guarantee_checks__"."""
    items = list(items)
    if not items:
        raise ValueError("no checklist items")
    query = Q()
    for item in items:
        query |= Q(**{f"{prefix}{item}": False})
    return query


def guarantees_met(check) -> bool | None:
    """Whether a household's guarantee check has every item met; None when there is no check."""
    return None if check is None else check.all_met


def exit_problems(
    *, income: Decimal | None, line: Decimal, guarantees_met: bool | None, helper_confirmed: bool, year: int
) -> list[str]:
    """Why a household does not meet the exit standard; empty when it does.

    The standard (DESIGN §4, seed 001 贫困户退出): per-capita net income above the year's
    poverty line, all of 两不愁三保障 and drinking water met (None: no check made that year), and
    the helper's confirmation that the household has stably left poverty.
    """
    problems = []
    if income is None:
        problems.append(f"未录入{year}年收入")
    elif income <= line:
        problems.append(f"年人均纯收入 {income} 元未超过扶贫标准 {line} 元")
    if guarantees_met is not True:
        problems.append(
            "两不愁三保障未全部达标" if guarantees_met is False else f"未做{year}年两不愁三保障核查"
        )
    if not helper_confirmed:
        problems.append("帮扶责任人未确认")
    return problems


def meets_exit_standard(*, income: Decimal | None, line: Decimal, guarantees_met: bool | None) -> bool:
    """Income above the line and every guarantee met: a household the exit list may propose
    before its helper has confirmed (the rest of `exit_problems`)."""
    return not exit_problems(
        income=income, line=line, guarantees_met=guarantees_met, helper_confirmed=True, year=0
    )
