"""Finding the one record a page or API call names: missing, malformed and out of scope all answer 404.

The answer never confirms that a record exists outside the caller's scope, so "not found" and "not
yours" are the same Http404, raised here and nowhere else.
"""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Manager, QuerySet
from django.http import Http404

from .errors import ScopeError, ServiceError

NOT_FOUND = "记录不存在或不在您的管辖范围内"


def get_in_scope(
    source: QuerySet | Manager | Callable[..., Any], *args: Any, message: str = NOT_FOUND, **lookup: Any
) -> Any:
    """The record `source` yields, or Http404(message).

    `source` is a queryset already scoped to the user (a selector's), read with `.get(**lookup)`,
    or a selector function such as `household_for`, called with `*args, **lookup`. A lookup that
    does not parse (a pk of "abc", one beyond 64 bits) or a ScopeError is the same 404; a
    service's refusal (ServiceError) is not a lookup failure and passes through.
    """
    try:
        if isinstance(source, (QuerySet, Manager)):
            return source.get(*args, **lookup)
        return source(*args, **lookup)
    except ServiceError:
        raise
    except (ObjectDoesNotExist, ScopeError, ValidationError, ValueError, TypeError, OverflowError):
        raise Http404(message) from None
