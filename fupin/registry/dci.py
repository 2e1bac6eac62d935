"""The social-registry search of the Digital Convergence Initiative (DCI) standard over the registry: one
search request
(its `search_criteria`) turned into the caller's households, or refused with the standard's reason code.

A request finds households by an identifier (`idtype-value`: a member's whole ID number through its blind
index, or a
household number) or by attributes (`predicate`: conditions joined by "and"), always within the caller's scope
(selectors.households_for). What it may not do is refused as the standard names it (SearchRefused.code), in
Chinese.
The envelope, the masking and the access log are the API's (registry/dci_api.py).
"""

import datetime
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext, gettext_lazy

from fupin.accounts.models import User
from fupin.audit.access import Channel

from . import codes, masking, reveal, selectors
from .models import Household, Member

REG_TYPE = "ns:org:RegistryType:Social"
REG_RECORD_TYPE = "fupin:Household"
MAX_PAGE_SIZE = 200
# A search is for finding households, not for exporting them: deeper pages use the cursor list (/households/).
MAX_DEPTH = 10_000

ID_TYPES = {"ID_NUMBER": "居民身份证号（18位，完整）", "HOUSEHOLD_NUMBER": "户编号"}
OPERATORS = ("eq", "in", "gt", "ge", "lt", "le")


class SearchRefused(Exception):
    """A search request the standard's `status_reason_code` refuses (`rjct.search_criteria.invalid`, …)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _refuse(message: str) -> SearchRefused:
    return SearchRefused("rjct.search_criteria.invalid", message)


def _choice(values: list[str], label: Any) -> Callable[[str, Any], Any]:
    def check(operator: str, value: Any) -> Any:
        given = value if operator == "in" else [value]
        if not isinstance(given, list) or not given or any(v not in values for v in given):
            raise _refuse(
                gettext("%(label)s取值无效：%(value)s，可选 %(choices)s")
                % {"label": label, "value": repr(value), "choices": "、".join(values)}
            )
        return value

    return check


def _year(operator: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1900 <= value <= 2100:
        raise _refuse(gettext("年度须为 1900–2100 的整数：%(value)s") % {"value": repr(value)})
    return value


def _money(operator: str, value: Any) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise _refuse(gettext("金额须为数字：%(value)s") % {"value": repr(value)}) from None
    if isinstance(value, bool) or not amount.is_finite() or abs(amount) >= 10**9:
        raise _refuse(gettext("金额须为数字：%(value)s") % {"value": repr(value)})
    return amount


# attribute → (the field it filters, the operators it takes, the check of its value)
ATTRIBUTES: dict[str, tuple[str, tuple[str, ...], Callable[[str, Any], Any]]] = {
    "status": ("status", ("eq", "in"), _choice(codes.HouseholdStatus.values, gettext_lazy("户状态"))),
    "household_type": (
        "household_type",
        ("eq", "in"),
        _choice(codes.HouseholdType.values, gettext_lazy("贫困户属性")),
    ),
    "primary_cause": (
        "primary_cause",
        ("eq", "in"),
        _choice(codes.PovertyCause.values, gettext_lazy("主要致贫原因")),
    ),
    "registration_year": ("registration_year", ("eq", "gt", "ge", "lt", "le"), _year),
    "exit_year": ("exit_year", ("eq", "gt", "ge", "lt", "le"), _year),
    "latest_income": ("latest_income", ("gt", "ge", "lt", "le"), _money),
}
# attributes handed to the registry's own list filter: a region (its subtree) and a name, as the household
# list takes
LIST_ATTRIBUTES = ("region_code", "name")


def _condition(expression: Any) -> tuple[str, Q | tuple[str, str]]:
    """One {attribute_name, operator, attribute_value}: a filter, or a ("region"|"q", value) for
    households_for."""
    if not isinstance(expression, dict):
        raise _refuse(gettext("条件须为 {attribute_name, operator, attribute_value}"))
    name, operator, value = (
        expression.get("attribute_name"),
        expression.get("operator"),
        expression.get("attribute_value"),
    )
    if name in LIST_ATTRIBUTES:
        if operator != "eq" or not isinstance(value, str) or not value.strip() or len(value) > 50:
            raise _refuse(gettext("%(name)s 只能用 eq，取值为非空字符串（至多50字符）") % {"name": name})
        if name == "region_code" and not (value.isdigit() and len(value) in (2, 4, 6, 9, 12, 15)):
            raise _refuse(
                gettext("区划代码须为 2、4、6、9、12 或 15 位数字：%(value)s") % {"value": repr(value)}
            )
        return name, ("region" if name == "region_code" else "q", value.strip())
    if name not in ATTRIBUTES:
        raise _refuse(
            gettext("不能按 %(name)s 查询，可用：%(choices)s")
            % {"name": repr(name), "choices": "、".join([*LIST_ATTRIBUTES, *ATTRIBUTES])}
        )
    field, operators, check = ATTRIBUTES[name]
    if operator not in operators:
        raise _refuse(
            gettext("%(name)s 可用的运算符：%(choices)s") % {"name": name, "choices": "、".join(operators)}
        )
    value = check(operator, value)
    lookup = (
        field if operator == "eq" else f"{field}__{'in' if operator == 'in' else operator.replace('e', 'te')}"
    )
    return name, Q(**{lookup: value})


def _predicate(query: Any) -> tuple[dict[str, str], Q]:
    """The standard's predicate list ([{seq_num, expression1, condition, expression2}, …]), every part
    joined by "and"."""
    if not isinstance(query, list) or not query or len(query) > 20:
        raise _refuse(gettext("predicate 查询须为 1–20 项的列表"))
    listing: dict[str, str] = {}
    combined = Q()
    for item in query:
        if not isinstance(item, dict) or "expression1" not in item:
            raise _refuse(gettext("predicate 的每一项须含 expression1"))
        if item.get("condition", "and") != "and" or ("expression2" in item) != ("condition" in item):
            raise _refuse(gettext("只支持 and 连接的条件（condition 为 and 时须有 expression2）"))
        parts = [item["expression1"], *([item["expression2"]] if "expression2" in item else [])]
        for part in parts:
            name, condition = _condition(part)
            if isinstance(condition, tuple):
                if condition[0] in listing:
                    raise _refuse(gettext("%(name)s 只能给出一次") % {"name": name})
                listing[condition[0]] = condition[1]
            else:
                combined &= condition
    return listing, combined


def _by_identifier(user: User, query: Any) -> QuerySet[Household]:
    if not isinstance(query, dict) or not isinstance(query.get("value"), str):
        raise _refuse(gettext('idtype-value 查询须为 {"type": …, "value": "…"}'))
    kind, value = str(query.get("type", "")).upper(), query["value"].strip().upper()
    households = selectors.households_for(user)
    if kind == "HOUSEHOLD_NUMBER":
        if not value or len(value) > 30:
            raise _refuse(gettext("户编号不能为空，至多30个字符"))
        return households.filter(number=value)
    if kind != "ID_NUMBER":
        raise _refuse(
            gettext("不支持的标识类型 %(kind)s，可用：%(choices)s")
            % {"kind": repr(query.get("type")), "choices": "、".join(ID_TYPES)}
        )
    if len(value) != 18 or not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        raise _refuse(gettext("身份证号须为完整的18位（部分号码不能用于查找）"))
    if not user.sees_identifiers and not masking.allow_id_search(user):
        raise SearchRefused("rjct.search.too_many_records_found", gettext("今日按身份证号查找的次数已用完"))
    reveal.log_id_search(user, value, channel=Channel.API)
    members = Member.objects.filter(id_number=value)
    return households.filter(pk__in=members.values("household_id"))


SORTABLE = {"number": ("village_id", "number"), "registration_year": ("registration_year",)}


def _ordering(sort: Any) -> list[str]:
    if not sort:
        return ["village_id", "number", "pk"]
    if not isinstance(sort, list) or len(sort) > len(SORTABLE):
        raise SearchRefused("rjct.sort.invalid", gettext("sort 须为列表"))
    order: list[str] = []
    for item in sort:
        name = item.get("attribute_name") if isinstance(item, dict) else None
        direction = item.get("sort_order", "asc") if isinstance(item, dict) else None
        if name not in SORTABLE or direction not in ("asc", "desc"):
            raise SearchRefused(
                "rjct.sort.invalid",
                gettext("只能按 %(choices)s 排序，sort_order 为 asc 或 desc")
                % {"choices": "、".join(SORTABLE)},
            )
        order += [("-" if direction == "desc" else "") + f for f in SORTABLE[name]]
    return [*order, "pk"]


def page_of(pagination: Any) -> tuple[int, int]:
    """(page_size, page_number) of a request's pagination (page_size 50, page_number 1 when left out)."""
    if pagination is None:
        return 50, 1
    size = pagination.get("page_size", 50) if isinstance(pagination, dict) else None
    number = pagination.get("page_number", 1) if isinstance(pagination, dict) else None
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (size, number)):
        raise SearchRefused("rjct.pagination.invalid", gettext("page_size 和 page_number 须为整数"))
    assert isinstance(size, int) and isinstance(number, int)
    if not 1 <= size <= MAX_PAGE_SIZE or number < 1:
        raise SearchRefused(
            "rjct.pagination.invalid",
            gettext("page_size 须为 1–%(most)s，page_number 从 1 开始") % {"most": MAX_PAGE_SIZE},
        )
    if size * number > MAX_DEPTH:
        raise SearchRefused(
            "rjct.pagination.invalid",
            gettext(
                "只能翻到前 %(depth)s 条；导出全部请用 /api/v1/households/ 的游标分页或 /api/v1/persons.jsonl"
            )
            % {"depth": MAX_DEPTH},
        )
    return size, number


def search(user: User, criteria: dict[str, Any]) -> QuerySet[Household]:
    """The caller's households that `criteria` (a search request's search_criteria) finds, in its sort
    order."""
    if criteria.get("reg_type") not in (None, REG_TYPE):
        raise _refuse(gettext("reg_type 须为 %(value)s") % {"value": REG_TYPE})
    if criteria.get("reg_record_type") not in (None, REG_RECORD_TYPE):
        raise _refuse(gettext("reg_record_type 须为 %(value)s") % {"value": REG_RECORD_TYPE})
    query_type, query = criteria.get("query_type"), criteria.get("query")
    if query_type == "idtype-value":
        households = _by_identifier(user, query)
    elif query_type == "predicate":
        listing, condition = _predicate(query)
        households = selectors.households_for(user, **listing).filter(condition)
    else:
        raise _refuse(
            gettext("不支持的 query_type %(value)s：可用 idtype-value、predicate")
            % {"value": repr(query_type)}
        )
    return households.order_by(*_ordering(criteria.get("sort")))


def parse_timestamp(value: Any) -> datetime.datetime | None:
    """An ISO 8601 timestamp with its zone, or None."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
