"""Signing in (password, then the second factor where one is due), the user's password, second factor and API
tokens."""

import io
from base64 import b32encode
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from . import second_factor, services
from .models import API_AREAS


class LoginView(auth_views.LoginView):
    """The password step. A user with a second factor (or who must enrol one) continues on its page."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        state = second_factor.start_session(self.request, form.get_user())
        if state is None:
            return response
        page = "accounts:two_factor_verify" if state == second_factor.VERIFY else "accounts:two_factor_enrol"
        return redirect(f"{resolve_url(page)}?{urlencode({'next': self.get_success_url()})}")


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@never_cache
@login_required
@sensitive_post_parameters("otp_token")
@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    """The code from the authenticator, after the password."""
    if second_factor.pending(request) != second_factor.VERIFY:
        return redirect(_next(request))
    error = None
    if request.method == "POST":
        try:
            device = services.verify_totp(request.user, request.POST.get("otp_token", ""))
        except services.AccountError as e:
            error = str(e)
        else:
            request.session.cycle_key()
            otp_login(request, device)
            second_factor.finish(request)
            return redirect(_next(request))
    return render(
        request,
        "accounts/two_factor_verify.html",
        {"error": error, "next": _next(request)},
        status=400 if error else 200,
    )


def _qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    out = io.BytesIO()
    image.save(out)
    svg = out.getvalue().decode()
    return svg[svg.index("<svg") :]


@never_cache
@login_required
@sensitive_post_parameters("otp_token")
@require_http_methods(["GET", "POST"])
def two_factor_enrol(request):
    """Bind an authenticator app: scan the QR code (or type the key), then enter a code to confirm."""
    user = request.user
    state = second_factor.pending(request)
    if state == second_factor.VERIFY:
        return redirect("accounts:two_factor_verify")
    if not second_factor.may_enrol(user):
        raise Http404(gettext("您的角色不使用两步验证"))
    error = None
    if request.method == "POST":
        try:
            device = services.confirm_totp(user, request.POST.get("otp_token", ""))
        except services.AccountError as e:
            error = str(e)
        else:
            request.session.cycle_key()
            otp_login(request, device)
            second_factor.finish(request)
            second_factor.end_other_sessions(request)
            messages.success(
                request, gettext("两步验证已启用：以后登录时还需输入验证器中的验证码，其他设备上的登录已退出")
            )
            return redirect(_next(request) if state else "accounts:two_factor")
    device = services.start_totp_enrolment(user)
    secret = b32encode(device.bin_key).decode()  # what the app asks for when the code cannot be scanned
    return render(
        request,
        "accounts/two_factor_enrol.html",
        {
            "qr_svg": _qr_svg(device.config_url),
            "secret": secret,
            "error": error,
            "required": state == second_factor.ENROL,
            "next": _next(request),
        },
        status=400 if error else 200,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request):
    """The user's second factor: enrolled or not, enrol, remove."""
    user = request.user
    if not second_factor.may_enrol(user):
        raise Http404(gettext("您的角色不使用两步验证"))
    if request.method == "POST" and "remove" in request.POST:
        if second_factor.must_enrol(user):
            messages.error(request, gettext("您的角色必须使用两步验证，不能解除"))
        else:
            services.remove_totp(user, by=user)
            messages.success(request, gettext("两步验证已解除"))
        return redirect("accounts:two_factor")
    return render(
        request,
        "accounts/two_factor.html",
        {
            "device": second_factor.confirmed_device(user),
            "required": second_factor.must_enrol(user),
        },
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    """The user's own password: the old one, then a new one that Django's validators accept (the form runs
    them)."""

    template_name = "accounts/password_change.html"

    def form_valid(self, form):
        services.set_password(self.request.user, form.cleaned_data["new_password1"], by=self.request.user)
        update_session_auth_hash(
            self.request, self.request.user
        )  # this session stays signed in, the others end
        messages.success(self.request, gettext("密码已修改"))
        return redirect("accounts:password_change")


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request):
    new_token = None
    if request.method == "POST" and "revoke" in request.POST:
        services.revoke_token(request.user, request.POST.get("revoke", ""))
        messages.success(request, gettext("令牌已撤销"))
        return redirect("accounts:tokens")
    if request.method == "POST":
        name = (request.POST.get("name") or "").strip()
        days = request.POST.get("days", "")
        if not name:
            messages.error(request, gettext("请填写令牌名称"))
        elif not days.isdigit():
            messages.error(request, gettext("请选择有效期"))
        else:
            try:
                scopes = {
                    area: request.POST[f"scope_{area}"]
                    for area in API_AREAS
                    if request.POST.get(f"scope_{area}") in ("read", "write")
                }
                _, new_token = services.issue_token(
                    request.user,
                    name=name[:100],
                    days=int(days),
                    read_only=request.POST.get("read_only") == "1",
                    scopes=scopes,
                )
            except services.AccountError as e:
                messages.error(request, str(e))
    return render(
        request,
        "accounts/tokens.html",
        {
            "tokens": request.user.api_tokens.filter(revoked=False).order_by("-created_at"),
            "new_token": new_token,
            "day_choices": settings.FUPIN_API_TOKEN_DAYS,
            "areas": [(area, label) for area, label in API_AREAS.items()],
            "default_days": settings.FUPIN_API_TOKEN_DEFAULT_DAYS,
        },
    )
