"""Small values read from a request's query string or form: a value that does not fit gives the
caller's default, never an error (a hand-edited URL is not a server error)."""

from django.http import HttpRequest
from django.utils import timezone

FIRST_YEAR = 2013  # the national registration (建档立卡) began with 2013's identification


def this_year() -> int:
    return timezone.localdate().year


def int_param(
    value: object, default: int | None = None, *, lo: int | None = None, hi: int | None = None
) -> int | None:
    """A whole number within [lo, hi] (either bound optional); anything else gives `default`."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return default
    if (lo is not None and number < lo) or (hi is not None and number > hi):
        return default
    return number


def year_param(value: object, default: int | None = None) -> int | None:
    """A year between FIRST_YEAR and next year (a plan or a survey may be for the coming year);
    anything else gives `default` (None: no year chosen)."""
    return int_param(value, default, lo=FIRST_YEAR, hi=this_year() + 1)


def request_year(request: HttpRequest, default: int | None = None) -> int | None:
    """The `year` of the query string, else of the posted form, read by `year_param`."""
    return year_param(request.GET.get("year") or request.POST.get("year"), default)
