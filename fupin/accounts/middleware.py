"""Who is signed in: django.contrib.auth's middleware, letting the backend use the user's row read with the
session."""

from django.contrib import auth
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthenticationMiddleware
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from .backends import request_session
from .scope import READ_ONLY_MESSAGE


def get_user(request):
    """django.contrib.auth.get_user(request) — every check of it — with the session at hand for
    UserBackend.get_user."""
    if not hasattr(request, "_cached_user"):
        token = request_session.set(request.session)
        try:
            request._cached_user = auth.get_user(request)
        finally:
            request_session.reset(token)
    return request._cached_user


class AuthenticationMiddleware(DjangoAuthenticationMiddleware):
    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: get_user(request))


# Unsafe requests a read-only role may still make: signing in and out, the language, their own
# password and API tokens. Nothing under these paths changes a record of the registry.
READ_ONLY_ALLOWED = ("/accounts/", "/i18n/")
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


class ReadOnlyRolesMiddleware:
    """A read-only role (prefecture, province) writes nothing by any page: every unsafe request is refused,
    403.

    The services refuse them too (accounts.scope.ensure_can_write / ensure_can_edit), and the API's
    authentication refuses their tokens for unsafe methods; this is the one rule in front of every
    route, so a route added later cannot forget it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in SAFE_METHODS and not request.path_info.startswith(READ_ONLY_ALLOWED):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated and user.is_read_only:
                return read_only_refusal(request)
        return self.get_response(request)


def read_only_refusal(request):
    """The API answers in its JSON error format; a page gets the site's 403 (PermissionDenied, as a view would
    raise)."""

    message = _(READ_ONLY_MESSAGE)
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": message}, status=403, json_dumps_params={"ensure_ascii": False})
    raise PermissionDenied(message)
