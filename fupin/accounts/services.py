"""Account actions: users bound to regions, passwords, sign-in lockouts, the second factor, API tokens."""

import datetime

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from fupin.audit.services import record
from fupin.core.errors import ServiceError
from fupin.regions.models import Region, RegionLevel

from . import token_cache
from .models import API_AREAS, ROLE_LEVEL, ApiToken, Role, User
from .permissions import may_create_users


class AccountError(ServiceError):
    """A refused account action; the message is Chinese."""


class PasswordRefused(AccountError):
    """A password Django's validators refuse (settings.AUTH_PASSWORD_VALIDATORS); `messages` says why, in
    Chinese."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("；".join(messages))
        self.messages = messages


def check_password_allowed(password: str, user: User) -> None:
    """Django's password validators, for every path that sets a password; PasswordRefused with their
    messages."""
    try:
        password_validation.validate_password(password, user)
    except ValidationError as e:
        raise PasswordRefused([str(m) for m in e.messages]) from None


@transaction.atomic
def set_password(user: User, password: str, *, by: User) -> None:
    """A new password, by the user themselves or by an administrator (a reset); every other session ends."""
    if by.pk != user.pk and not by.is_superuser:
        raise AccountError(gettext("只有系统管理员可以重设他人的密码"))
    check_password_allowed(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    record(
        by=by,
        action="change_password" if by.pk == user.pk else "reset_password",
        target=user,
        scope_code=user.region_id or "",
        changes={"password": ["***", "***"]},
    )


@transaction.atomic
def create_user(
    *, by: User, username: str, password: str, role: str, region_code: str | None, full_name: str = ""
) -> User:
    """Create a user bound to a region at the level their role works at."""
    if role not in Role.values:
        raise AccountError(gettext("未知角色：%(role)s") % {"role": role})
    region = None
    if role in ROLE_LEVEL or role == Role.HELPER:
        region = Region.objects.filter(code=region_code or "").first()
        if region is None:
            raise AccountError(gettext("区划不存在：%(region_code)s") % {"region_code": region_code})
        if role == Role.HELPER:
            if region.level not in (RegionLevel.COUNTY, RegionLevel.TOWNSHIP, RegionLevel.VILLAGE):
                raise AccountError(
                    gettext("帮扶责任人须绑定到县、乡或村，%(name)s不是") % {"name": region.name}
                )
        elif region.level != ROLE_LEVEL[Role(role)]:
            raise AccountError(
                gettext("%(label)s须绑定到%(label2)s级区划，%(name)s不是")
                % {"label": Role(role).label, "label2": ROLE_LEVEL[Role(role)].label, "name": region.name}
            )
    if not may_create_users(by, region.code if region else None):
        raise AccountError(gettext("只有县扶贫办或系统管理员可以为本辖区创建用户"))
    user = User(username=username, role=role, region=region, full_name=full_name)
    check_password_allowed(password, user)
    user.set_password(password)
    user.save()
    record(
        by=by,
        action="create_user",
        target=user,
        scope_code=region.code if region else "",
        changes={"username": [None, username], "role": [None, role], "region": [None, region_code]},
    )
    return user


def issue_token(
    user: User, *, name: str, days: int | None = None, read_only: bool = False, scopes: dict | None = None
) -> tuple[ApiToken, str]:
    """A bearer token valid for `days` (one of settings.FUPIN_API_TOKEN_DAYS), read-only if asked, limited to
    the `scopes` ({area: "read" | "write"}, areas of API_AREAS) if given."""
    days = days or settings.FUPIN_API_TOKEN_DEFAULT_DAYS
    if days not in settings.FUPIN_API_TOKEN_DAYS:
        raise AccountError(
            gettext("有效期只能选 ")
            + "、".join(str(d) for d in settings.FUPIN_API_TOKEN_DAYS)
            + gettext(" 天")
        )
    scopes = dict(scopes or {})
    unknown = sorted(set(scopes) - set(API_AREAS))
    if unknown:
        raise AccountError({"scopes": gettext("未知的领域：") + "、".join(unknown)})
    if any(v not in ("read", "write") for v in scopes.values()):
        raise AccountError({"scopes": gettext("每个领域只能选“只读”（read）或“读写”（write）")})
    if read_only:
        scopes = dict.fromkeys(scopes, "read")
    expires_at = timezone.now() + datetime.timedelta(days=days)
    with transaction.atomic():
        token, raw = ApiToken.issue(user, name, expires_at=expires_at, read_only=read_only, scopes=scopes)
        record(
            by=user,
            action="issue_token",
            target=token,
            changes={
                "name": [None, name],
                "expires_at": [None, expires_at.isoformat()],
                "read_only": [None, read_only],
                "scopes": [None, scopes],
            },
        )
    return token, raw


def revoke_token(user: User, token_id: str) -> None:
    with transaction.atomic():
        token = ApiToken.objects.filter(user=user, pk=token_id if str(token_id).isdigit() else 0).first()
        if token and not token.revoked:
            token.revoked = True
            token.save(update_fields=["revoked"])
            token_cache.forget(token.key_hash)  # this process at once; the others within the cache's seconds
            record(by=user, action="revoke_token", target=token, changes={"revoked": [False, True]})


# ---------------------------------------------------------------- sign-in lockout (django-axes)


@transaction.atomic
def unlock(user: User, *, by: User) -> int:
    """Clear a user's failed sign-ins (and so their lockout): system administrators only. Returns the records
    cleared."""
    if not by.is_superuser:
        raise AccountError(gettext("只有系统管理员可以解除登录锁定"))
    cleared, _ = AccessAttempt.objects.filter(username=user.username).delete()
    record(
        by=by,
        action="unlock_sign_in",
        target=user,
        scope_code=user.region_id or "",
        changes={"locked": [True, False]},
    )
    return cleared


# ---------------------------------------------------------------- the second factor (TOTP)


def start_totp_enrolment(user: User) -> TOTPDevice:
    """The user's unconfirmed TOTP device (a new secret unless one waits already); confirmed by
    confirm_totp()."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="fupin", confirmed=False)
    return device


def confirm_totp(user: User, token: str) -> TOTPDevice:
    """Enrolment ends when the authenticator's code matches: the device is confirmed, any older one
    removed."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
        if device is None:
            raise AccountError(gettext("请重新开始绑定验证器"))
        matched = device.verify_token((token or "").strip())
        if matched:
            TOTPDevice.objects.filter(user=user, confirmed=True).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            record(
                by=user,
                action="enrol_totp",
                target=user,
                scope_code=user.region_id or "",
                changes={"two_factor": [False, True]},
            )
    if not matched:  # raised after the commit, so django-otp's count of wrong codes is kept
        raise AccountError(gettext("验证码不正确，请核对手机时间后重试"))
    return device


def verify_totp(user: User, token: str) -> TOTPDevice:
    """The code given after the password; AccountError if it does not match.

    A wrong code is counted on the device (django-otp then waits longer before each next try), so the
    refusal is raised only after the transaction that counted it has committed.
    """
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        if device is None:
            problem = "您尚未绑定验证器"
        elif not device.verify_is_allowed()[0]:
            problem = "验证码错误次数过多，请稍后再试"
        elif not device.verify_token((token or "").strip()):
            problem = "验证码不正确"
        else:
            problem = None
    if problem:
        raise AccountError(problem)
    return device


@transaction.atomic
def remove_totp(user: User, *, by: User) -> None:
    """Remove a user's second factor: the user (on a verified session) or a system administrator (a lost
    phone)."""
    if by.pk != user.pk and not by.is_superuser:
        raise AccountError(gettext("只有系统管理员可以解除他人的两步验证"))
    removed, _ = TOTPDevice.objects.filter(user=user).delete()
    if removed:
        record(
            by=by,
            action="remove_totp",
            target=user,
            scope_code=user.region_id or "",
            changes={"two_factor": [True, False]},
        )
