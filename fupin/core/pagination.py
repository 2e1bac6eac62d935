"""Paging long lists at a bounded cost per page: capped counts for pages, keyset cursors for the API.

Counting every match of a county-wide search costs as much as the search itself, and a
page 1,000 deep costs an offset of 50,000 rows. So the count stops at a cap: below it the
list shows the exact total, above it "more than N" and asks for a narrower filter.
"""

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.core import signing
from django.core.paginator import Page, Paginator
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property
from django.utils.translation import gettext

from .errors import ServiceError


class CappedPaginator(Paginator):
    def __init__(self, object_list: QuerySet, per_page: int, *, cap: int, **kwargs: Any) -> None:
        self.cap = cap
        super().__init__(object_list, per_page, **kwargs)

    @cached_property
    def _capped_count(self) -> int:
        return cast(QuerySet, self.object_list)[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._capped_count, self.cap)

    @property
    def capped(self) -> bool:
        """True when there are more matches than the count shows."""
        return self._capped_count > self.cap


def page_of(
    request: HttpRequest,
    object_list: Sequence | QuerySet,
    *,
    per_page: int | None = None,
    cap: int | None = None,
) -> Page:
    """The page of `object_list` that the request's `page` parameter names (the first for anything
    that is not a page number, the last for one past the end), `per_page` rows to a page
    (FUPIN_PAGE_SIZE unless given); with `cap`, the count stops at cap (CappedPaginator)."""
    per_page = per_page or settings.FUPIN_PAGE_SIZE
    paginator = (
        CappedPaginator(cast(QuerySet, object_list), per_page, cap=cap)
        if cap
        else Paginator(object_list, per_page)
    )
    return paginator.get_page(request.GET.get("page"))


# ---------------------------------------------------------------- cursor pages (the JSON API)

CURSOR_SALT = "fupin.core.pagination.cursor"
API_MAX_LIMIT = 200


class CursorError(ServiceError):
    """A cursor that was not made by this list (altered, from another list or ordering)."""


def first_rows(rows: QuerySet, shown: int) -> tuple[list, int]:
    """The first `shown` rows of a list a page shows unpaged (its export holds them all), and how many
    rows there are: counted only when there are more than `shown` (core/_shown.html then says so)."""
    first = list(rows[: shown + 1])
    return first[:shown], (len(first) if len(first) <= shown else rows.count())


def _key_value(row: Any, name: str) -> Any:
    value = getattr(row, name.lstrip("-"))
    if isinstance(value, Model):
        value = value.pk
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _after(order: Sequence[str], values: Sequence[Any]) -> Q:
    """Rows after `values` in `order` (each field ascending, or descending with "-"): the keyset condition."""
    condition = Q()
    for i in reversed(range(len(order))):
        name = order[i].lstrip("-")
        step = Q(**{f"{name}__{'lt' if order[i].startswith('-') else 'gt'}": values[i]})
        if i < len(order) - 1:
            step |= Q(**{name: values[i]}) & condition
        condition = step
    return condition


def keyset_page(
    queryset: QuerySet,
    *,
    cursor: str | None,
    limit: int,
    order: Sequence[str] = ("-pk",),
    where: str = "",
    offset: int = 0,
) -> tuple[list, str | None]:
    """One page of `queryset` in `order` (its last field must be the primary key, so the order is total) after
    `cursor`, and the cursor of the next page (None on the last). A row written meanwhile never shifts a page:
    the next page starts after the last row's key, not at an offset. `where` names the list, so a cursor from
    another list (or another ordering) is refused with CursorError. The cursor is signed: it cannot be
    forged."""
    if not order or order[-1].lstrip("-") not in ("pk", "id"):
        raise ValueError("a keyset order ends with the primary key")
    queryset = queryset.order_by(*order)
    stamp = [where, list(order)]
    if cursor is None and offset:  # the older offset parameter: where the first page starts, nothing more
        rows = list(queryset[offset : offset + limit + 1])
        return rows[:limit], cursor_after(rows[limit - 1], order, where) if len(rows) > limit else None
    if cursor:
        try:
            data = signing.loads(cursor, salt=CURSOR_SALT)
        except signing.BadSignature:
            raise CursorError({"cursor": gettext("游标无效：请使用上一页结果中的 next 值")}) from None
        if not isinstance(data, dict) or data.get("s") != stamp or len(data.get("v") or ()) != len(order):
            raise CursorError({"cursor": gettext("游标不属于此列表或此排序：请使用上一页结果中的 next 值")})
        queryset = queryset.filter(_after(order, data["v"]))
    rows = list(queryset[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    return rows[:limit], cursor_after(rows[limit - 1], order, where)


def cursor_after(row: Any, order: Sequence[str], where: str) -> str:
    values = [_key_value(row, name) for name in order]
    return signing.dumps({"s": [where, list(order)], "v": values}, salt=CURSOR_SALT, compress=True)
