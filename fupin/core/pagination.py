"""Paging long lists at a bounded cost per page.

Counting every match of a county-wide search costs as much as the search itself, and a
page 1,000 deep costs an offset of 50,000 rows. So the count stops at a cap: below it the
list shows the exact total, above it "more than N" and asks for a narrower filter.
"""

from collections.abc import Sequence
from typing import Any, cast

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property


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
