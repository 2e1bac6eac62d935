"""Who is signed in: django.contrib.auth's middleware, letting the backend use the user's row read with the session."""
from django.contrib import auth
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthenticationMiddleware
from django.utils.functional import SimpleLazyObject

from .backends import request_session


def get_user(request):
    """django.contrib.auth.get_user(request) — every check of it — with the session at hand for UserBackend.get_user."""
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
