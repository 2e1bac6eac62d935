"""How the JSON API knows who is calling: a bearer token, or the web UI's session (with CSRF); and GET
/me/."""

import datetime

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from ninja import Router, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from fupin.core.api import errors_for

from . import second_factor, token_cache
from .models import API_AREA_OF_SEGMENT, ApiToken
from .permissions import is_liaison

# A token's last use is written at most this often, so reads do not turn into writes.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
# What a department liaison's token reaches: uploading its lists, pushing single events, reading its own
# results (and itself).
LIAISON_PATHS = ("monitoring/cross-checks/", "department-events/", "me/")
# Operations that POST only to carry a query (the DCI search's envelope): reads, open to read-only tokens and
# roles.
READING_POSTS = ("dci/registry/sync/search",)


class RateLimited(HttpError):
    """429 with Retry-After: the token made more requests than FUPIN_API_RATE_LIMIT in the window."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            429,
            f"请求过于频繁：每个令牌每{settings.FUPIN_API_RATE_WINDOW}秒最多"
            f"{settings.FUPIN_API_RATE_LIMIT}次，请{retry_after}秒后再试",
        )
        self.headers = {"Retry-After": str(retry_after)}


def _operation_path(request: HttpRequest) -> str:
    """The path under /api/v1/, e.g. "procedures/batches/3/"."""
    prefix = "/api/v1/"
    return request.path[len(prefix) :] if request.path.startswith(prefix) else request.path.lstrip("/")


def _check_rate(token: ApiToken) -> None:
    """A fixed window per token in the shared cache (the server's processes count together where CACHE_URL
    says)."""
    limit, window = settings.FUPIN_API_RATE_LIMIT, settings.FUPIN_API_RATE_WINDOW
    if not limit:
        return
    now = int(timezone.now().timestamp())
    key = f"fupin:api-rate:{token.pk}:{now // window}"
    if cache.add(key, 1, timeout=window + 1):
        return
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window + 1)
        return
    if count > limit:
        raise RateLimited(window - now % window)


def _writes(request: HttpRequest) -> bool:
    return request.method not in SAFE_METHODS and _operation_path(request) not in READING_POSTS


def _check_scope(request: HttpRequest, token: ApiToken) -> None:
    path = _operation_path(request)
    write = _writes(request)
    if is_liaison(token.user) and not path.startswith(LIAISON_PATHS):
        raise HttpError(403, gettext("部门联络员的令牌只能上传比对名单并查看自己的比对结果"))
    area = API_AREA_OF_SEGMENT.get(path.split("/", 1)[0])
    if not token.allows(area, write=write):
        if write and token.read_only:
            raise HttpError(403, gettext("只读令牌不能修改数据：请使用可写的令牌"))
        message = (
            gettext("此令牌的范围不含修改“%(area)s”领域：请在“API 令牌”页面签发包含该领域的令牌")
            if write
            else gettext("此令牌的范围不含读取“%(area)s”领域：请在“API 令牌”页面签发包含该领域的令牌")
        )
        raise HttpError(403, message % {"area": area})


class TokenAuth(HttpBearer):
    """`Authorization: Bearer fp_…`: an ApiToken that is not revoked nor expired, of an active user (kept
    verified in the process for FUPIN_API_TOKEN_CACHE_SECONDS: fupin.accounts.token_cache says what that
    bounds).

    A read-only token is refused on every unsafe method (403). A token stands in for the second
    factor: it was made on a session that had given it.

    A request that presents a token which does not work is refused outright (401),
    rather than falling back to the session: the caller meant to use the token.
    """

    def __call__(self, request: HttpRequest):
        header = request.headers.get(self.header)
        if not header:
            return None
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != self.openapi_scheme or not raw.strip():
            raise AuthenticationError(message=gettext("Authorization 头应为 “Bearer <令牌>”"))
        return self.authenticate(request, raw.strip())

    def authenticate(self, request: HttpRequest, raw: str):
        token = token_cache.verified(raw)  # from the process's cache: no query for a token just shown
        if token is None:
            raise AuthenticationError(message=gettext("API 令牌无效或已撤销"))
        if token.expired:
            raise AuthenticationError(message=gettext("API 令牌已过期，请在“API 令牌”页面重新签发"))
        _check_rate(token)
        _check_scope(request, token)
        request.api_token = token  # what a subscription made with it may read (fupin.subscriptions.api)
        if _writes(request) and token.user.is_read_only:
            raise HttpError(403, gettext("您的角色只能查看，不能修改"))
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
            token_cache.used(token)
        return token.user


class SessionAuth(APIKeyCookie):
    """The signed-in web user (the htmx pages call the API with their session).

    Unsafe methods need the CSRF token (X-CSRFToken header), as Django's forms do. Unlike
    ninja's own `django_auth`, the CSRF check runs only once a session user is found, so a
    caller with no credentials at all gets 401, not 403.
    """

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if second_factor.pending(request):  # signed in with the password, the second factor not yet given
            return None
        if request.method not in SAFE_METHODS and not getattr(request, "_ninja_csrf_exempt", False):
            if check_csrf(request) is not None:
                raise HttpError(403, gettext("CSRF 校验失败：请在 X-CSRFToken 头中提供 CSRF 令牌"))
        return user

    def authenticate(self, request: HttpRequest, key):  # pragma: no cover - __call__ does the work
        return None


token_auth = TokenAuth()
session_auth = SessionAuth()


class RegionRef(Schema):
    code: str
    name: str
    level: int
    level_display: str


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    role: str
    role_display: str
    region: RegionRef | None
    scope_prefix: str | None
    can_edit_registry: bool
    sees_identifiers: bool


router = Router(tags=["me"])


@router.get("/me/", response={200: MeOut} | errors_for(), summary="当前用户：角色、所属区划和权限")
def me(request):
    user = request.auth
    region = user.region if user.region_id else None
    return {
        "id": user.pk,
        "username": user.username,
        "full_name": user.full_name,
        "role": user.role,
        "role_display": str(user.get_role_display()) if user.role else "",
        "region": region
        and {
            "code": region.code,
            "name": region.name,
            "level": region.level,
            "level_display": str(region.get_level_display()),
        },
        "scope_prefix": user.scope_prefix,
        "can_edit_registry": user.can_edit_registry,
        "sees_identifiers": user.sees_identifiers,
    }
