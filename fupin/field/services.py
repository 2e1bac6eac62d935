"""The field app's verbs: a device signed in (its short-lived token), revoked by the county, a conflict
settled."""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from fupin.accounts.models import User
from fupin.accounts.scope import ensure_can_edit
from fupin.audit.services import record
from fupin.core.errors import ScopeError, ServiceError

from . import permissions
from .models import Conflict, Device, hash_token


class FieldError(ServiceError):
    """A refused field-app action; `errors` maps fields to Chinese messages."""


def token_hours() -> int:
    return int(getattr(settings, "FUPIN_FIELD_TOKEN_HOURS", 12))


def wipe_after_days() -> int:
    """Data on a phone that has not synced for this many days is cleared by the app
    (FUPIN_FIELD_WIPE_DAYS)."""
    return int(getattr(settings, "FUPIN_FIELD_WIPE_DAYS", 7))


@transaction.atomic
def issue_device(*, by: User, uid: str, name: str = "") -> tuple[Device, str]:
    """Sign a phone in (from the signed-in web session): a new short-lived token for the device, the old one
    void."""
    if not permissions.can_use_app(by):
        raise FieldError(gettext("帮扶 App 仅供帮扶责任人、村扶贫专干和驻村工作队使用"))
    uid = (uid or "").strip()
    if not uid or len(uid) > 64 or not all(c.isalnum() or c in "-_" for c in uid):
        raise FieldError({"uid": gettext("设备标识无效")})
    device = Device.objects.select_for_update().filter(user=by, uid=uid).first()
    if device is not None and device.revoked_at is not None:
        raise FieldError(gettext("此设备已被县扶贫办吊销，请清除本机数据后换用其他设备"))
    raw = Device.new_token()
    now = timezone.now()
    fields = {
        "key_hash": hash_token(raw),
        "issued_at": now,
        "expires_at": now + datetime.timedelta(hours=token_hours()),
        "name": (name or "").strip()[:100],
    }
    if device is None:
        device = Device.objects.create(user=by, uid=uid, **fields)
    else:
        for k, v in fields.items():
            setattr(device, k, v)
        device.save()
    record(
        by=by,
        action="field_device_signed_in",
        target=device,
        scope_code=by.region_id or "",
        changes={"device": [None, device.uid], "expires_at": [None, str(device.expires_at)]},
    )
    return device, raw


@transaction.atomic
def revoke_device(device: Device, *, by: User) -> Device:
    """The county voids a phone (lost, stolen, its user gone): at its next contact it is told to wipe its
    data."""
    if not permissions.can_revoke(by):
        raise ScopeError(gettext("只有县扶贫办可以吊销设备"))
    device = Device.objects.select_for_update().select_related("user").get(pk=device.pk)
    ensure_can_edit(by, device.user.region_id or "")
    if device.revoked_at is not None:
        raise FieldError(gettext("该设备已吊销"))
    device.revoked_at, device.revoked_by = timezone.now(), by
    device.save(update_fields=["revoked_at", "revoked_by"])
    record(
        by=by,
        action="field_device_revoked",
        target=device,
        scope_code=device.user.region_id or "",
        changes={"user": [None, device.user.username], "revoked_at": [None, str(device.revoked_at)]},
    )
    return device


@transaction.atomic
def resolve_conflict(conflict: Conflict, *, by: User) -> Conflict:
    """The reviewer has settled a conflict (kept the newer value, or made the phone's value on the web)."""
    if not permissions.can_see_conflicts(by):
        raise ScopeError(gettext("您的角色不能处理同步冲突"))
    conflict = Conflict.objects.select_for_update().get(pk=conflict.pk)
    ensure_can_edit(by, conflict.village_code)
    if conflict.resolved_at is not None:
        raise FieldError(gettext("该冲突已处理"))
    conflict.resolved_at, conflict.resolved_by = timezone.now(), by
    conflict.save(update_fields=["resolved_at", "resolved_by"])
    record(
        by=by,
        action="field_conflict_resolved",
        target=conflict.household,
        household=conflict.household_id,
        scope_code=conflict.village_code,
        changes={conflict.field: [conflict.mine, conflict.theirs], "record": [None, conflict.record]},
    )
    return conflict
