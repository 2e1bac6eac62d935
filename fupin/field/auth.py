"""The sync API's authentication: a device token (`Authorization: Bearer fd_…`). A revoked device or a
disabled account is answered 401 with `"wipe": true`, so the phone clears what it holds; an expired token only
asks the user to sign in again online."""

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from .models import Device, hash_token


class DeviceRefused(AuthenticationError):
    """The device may not sync; `wipe`: it must also clear its data (fupin/api.py answers 401 with both)."""

    def __init__(self, message: str, *, wipe: bool = False) -> None:
        super().__init__(message=message)
        self.wipe = wipe


class DeviceAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        device = (
            Device.objects.select_related("user", "user__region").filter(key_hash=hash_token(token)).first()
        )
        if device is None:
            raise DeviceRefused(gettext("设备令牌无效，请联网登录后重新打开帮扶 App"))
        if not device.user.is_active:
            raise DeviceRefused(gettext("账号已停用：本机数据已清除"), wipe=True)
        if device.revoked_at is not None:
            raise DeviceRefused(gettext("此设备已被县扶贫办吊销：本机数据已清除"), wipe=True)
        if device.expires_at <= timezone.now():
            raise DeviceRefused(gettext("设备令牌已过期，请联网登录后重新打开帮扶 App"))
        request.device = device  # type: ignore[attr-defined]
        return device.user


device_auth = DeviceAuth()
