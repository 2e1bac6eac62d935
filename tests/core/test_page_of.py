"""Every list pages the same way: the `page` parameter, a default size, an optional cap on the count."""

from django.test import RequestFactory, override_settings

from fupin.core.pagination import CappedPaginator, page_of

ROWS = list(range(1, 8))


@override_settings(FUPIN_PAGE_SIZE=3)
def test_the_page_parameter_picks_the_page_and_junk_gives_the_first_or_last():
    get = RequestFactory().get
    assert list(page_of(get("/", {"page": "2"}), ROWS).object_list) == [4, 5, 6]
    assert list(page_of(get("/"), ROWS).object_list) == [1, 2, 3]
    assert list(page_of(get("/", {"page": "abc"}), ROWS).object_list) == [1, 2, 3]
    assert list(page_of(get("/", {"page": "99"}), ROWS).object_list) == [7]
    assert list(page_of(get("/", {"page": "2"}), ROWS, per_page=5).object_list) == [6, 7]


def test_a_cap_stops_the_count(tree):
    from fupin.regions.models import Region

    page = page_of(RequestFactory().get("/"), Region.objects.order_by("code"), per_page=2, cap=3)
    assert isinstance(page.paginator, CappedPaginator) and page.paginator.count == 3 and page.paginator.capped
