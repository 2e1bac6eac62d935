"""Paging long lists at a bounded cost per page.

Counting every match of a county-wide search costs as much as the search itself, and a
page 1,000 deep costs an offset of 50,000 rows. So the count stops at a cap: below it the
list shows the exact total, above it "more than N" and asks for a narrower filter.
"""
from django.core.paginator import Paginator
from django.utils.functional import cached_property


class CappedPaginator(Paginator):
    def __init__(self, object_list, per_page, *, cap: int, **kwargs):
        self.cap = cap
        super().__init__(object_list, per_page, **kwargs)

    @cached_property
    def _capped_count(self) -> int:
        return self.object_list[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._capped_count, self.cap)

    @property
    def capped(self) -> bool:
        """True when there are more matches than the count shows."""
        return self._capped_count > self.cap
