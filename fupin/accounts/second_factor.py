"""The second factor (TOTP, django-otp): who may or must use it, and the step between password and pages.

Signing in with a password leaves the session *pending* when the user has a confirmed TOTP device
(they enter a code next) or must enrol one (FUPIN_REQUIRE_2FA_ROLES). The state is kept in the session,
so a page costs no extra query: SecondFactorMiddleware sends a pending session to the code or enrolment
page for every path but those below, and the API's session authentication refuses it (API tokens stand
in for the second factor: they are made on a verified session).
"""

from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django_otp import devices_for_user
from django_otp.plugins.otp_totp.models import TOTPDevice

PENDING_SESSION_KEY = "fupin_2fa_pending"
VERIFY, ENROL = "verify", "enrol"
# What a pending session may still reach: the second-factor pages themselves, signing out, the language,
# static files, and the API (its session authentication refuses a pending session with 401).
PENDING_ALLOWED = (
    "/accounts/2fa/enrol/",
    "/accounts/2fa/verify/",
    "/accounts/logout/",
    "/i18n/",
    "/static/",
    "/api/",
)


def role_key(user) -> str:
    """The user's role as FUPIN_2FA_ROLES and FUPIN_REQUIRE_2FA_ROLES name it ("admin" for administrators)."""
    return "admin" if user.is_superuser or user.is_staff else user.role


def may_enrol(user) -> bool:
    return user.is_authenticated and role_key(user) in settings.FUPIN_2FA_ROLES


def must_enrol(user) -> bool:
    return user.is_authenticated and role_key(user) in settings.FUPIN_REQUIRE_2FA_ROLES


def confirmed_device(user) -> TOTPDevice | None:
    return next(iter(devices_for_user(user, confirmed=True)), None)


def start_session(request, user) -> str | None:
    """Right after the password was accepted: mark the session pending if a code or an enrolment is due."""
    if confirmed_device(user) is not None:
        state = VERIFY
    elif must_enrol(user):
        state = ENROL
    else:
        state = None
    if state:
        request.session[PENDING_SESSION_KEY] = state
    else:
        request.session.pop(PENDING_SESSION_KEY, None)
    return state


def pending(request) -> str | None:
    session = getattr(request, "session", None)
    return session.get(PENDING_SESSION_KEY) if session is not None else None


def finish(request) -> None:
    request.session.pop(PENDING_SESSION_KEY, None)


def end_other_sessions(request) -> int:
    """Sign the user out everywhere else (their sessions before enrolment never gave the second factor)."""
    from fupin.core.models import Session  # fupin's session table keeps each session's user

    request.session.save()
    deleted, _ = (
        Session.objects.filter(user_id=request.user.pk)
        .exclude(session_key=request.session.session_key)
        .delete()
    )
    return deleted


class SecondFactorMiddleware:
    """A session waiting for its second factor reaches nothing but the code (or enrolment) page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        state = pending(request)
        if state and not request.path_info.startswith(PENDING_ALLOWED) and request.user.is_authenticated:
            target = reverse("accounts:two_factor_verify" if state == VERIFY else "accounts:two_factor_enrol")
            if request.method == "GET" and request.path_info != "/":
                target += "?" + urlencode({"next": request.get_full_path()})
            return redirect(target)
        return self.get_response(request)
