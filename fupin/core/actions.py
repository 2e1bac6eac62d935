"""POST actions on one record, in one shape (issue 15, item 7).

A page that offers several actions on a record (a batch's stage moves, a monitored household's decisions, a
problem's close-out) names them in a table `{name: handler}`. A handler does one action, `handler(request,
target) -> str`, and returns the message to show, or refuses by raising the app's `ServiceError` (or a
`PermissionDenied` such as `ScopeError`). The view looks the name up with `handler_for` (an unknown name is
404) and, where the page answers with a redirect and a message, runs it with `perform`.
"""

from collections.abc import Callable, Mapping

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.translation import gettext

from .errors import ServiceError

type Handler[T] = Callable[[HttpRequest, T], str]
# What a handler may raise to refuse; the message is shown, nothing was written (services are atomic).
REFUSALS: tuple[type[Exception], ...] = (ServiceError, PermissionDenied)


def handler_for[A](actions: Mapping[str, A], name: str) -> A:
    """The table's entry for `name`; an action the page does not offer is not found."""
    try:
        return actions[name]
    except KeyError:
        raise Http404(gettext("没有这项操作")) from None


def perform[T](
    request: HttpRequest,
    actions: Mapping[str, Handler[T]],
    name: str,
    target: T,
    *,
    refusals: tuple[type[Exception], ...] = REFUSALS,
) -> bool:
    """Run action `name` on `target`: its message as a success, or the refusal as an error. True when it
    ran."""
    handler = handler_for(actions, name)
    try:
        message = handler(request, target)
    except refusals as e:
        messages.error(request, str(e))
        return False
    messages.success(request, message)
    return True
