"""Pages answer a write the database refused because another got there first with the conflict page, not a
500.

The API says the same through its own handler (fupin.api, 409); both use core.errors.CONFLICT_MESSAGE.
"""

import logging
from collections.abc import Callable

from django.db import IntegrityError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .errors import CONFLICT_MESSAGE

logger = logging.getLogger(__name__)

# PostgreSQL's serialization failure and deadlock: the other transaction won, this one wrote nothing.
RETRYABLE_STATES = {"40001", "40P01"}


def is_conflict(exc: BaseException) -> bool:
    """A unique or foreign-key constraint refused the write, or PostgreSQL chose this transaction to give
    way."""
    if isinstance(exc, IntegrityError):
        return True
    return isinstance(exc, OperationalError) and getattr(exc.__cause__, "sqlstate", None) in RETRYABLE_STATES


class ConflictMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_conflict(exception):
            return None
        logger.warning("%s %s refused by the database: %s", request.method, request.path, exception)
        # The page the user came from, read afresh: a GET of this path shows the current data.
        return render(
            request,
            "core/conflict.html",
            {"message": CONFLICT_MESSAGE, "back": request.get_full_path()},
            status=409,
        )
