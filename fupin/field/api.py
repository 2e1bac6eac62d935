"""The field app's sync API under /api/v1/field/ (OpenAPI, so a native app can use it too): a phone signs in
from
the web session and gets a short-lived device token; with it, it downloads its work set and sends its changes
in
order, each with a sequence number and an idempotency key, and gets a receipt line for each."""

import datetime
from typing import Any

from ninja import Field, Path, Router, Schema
from ninja.responses import Status

from fupin.accounts.api import session_auth, token_auth
from fupin.core.api import errors_for
from fupin.registry.api import MAX_ID
from fupin.registry.api_fields import InputSchema

from . import selectors, services, sync
from .auth import device_auth
from .ops import KINDS

router = Router(tags=["field"])
ERRORS = errors_for(409)
MAX_CHANGES = 5000


class DeviceIn(InputSchema):
    uid: str = Field(..., min_length=1, max_length=64, description="手机生成的设备标识（UUID）")
    name: str = Field("", max_length=100)


class DeviceOut(Schema):
    id: int
    uid: str
    name: str
    user: str
    issued_at: datetime.datetime
    expires_at: datetime.datetime
    last_sync_at: datetime.datetime | None
    revoked_at: datetime.datetime | None


class SignedIn(Schema):
    token: str = Field(..., description="设备令牌：Authorization: Bearer <令牌>，短期有效")
    device: DeviceOut
    wipe_after_days: int = Field(..., description="超过此天数未同步，App 清除本机数据")
    full_name: str
    role: str


class ChangeIn(InputSchema):
    key: str = Field(..., min_length=8, max_length=64, description="幂等键：重发同一键不会重复记录")
    seq: int = Field(..., ge=1, le=MAX_ID, description="本设备的递增序号")
    kind: str = Field(..., description="、".join(KINDS))
    household: int | None = Field(None, ge=1, le=MAX_ID)
    at: datetime.datetime | None = Field(None, description="手机上记录的时间")
    data: dict[str, Any] = Field(default_factory=dict)


class SyncIn(InputSchema):
    changes: list[ChangeIn] = Field(..., max_length=MAX_CHANGES)


class ReceiptLine(Schema):
    key: str
    seq: int
    kind: str
    outcome: str = Field(..., description="accepted、merged、refused、conflict")
    message: str
    errors: dict[str, str] | None = None
    record: dict[str, Any] | None = None
    kept: list[str] | None = None
    conflicts: list[dict[str, Any]] | None = None
    replayed: bool = False


class Receipt(Schema):
    results: list[ReceiptLine]
    counts: dict[str, int]
    last_seq: int
    received_at: datetime.datetime


def _device(d) -> dict:
    return {
        "id": d.pk,
        "uid": d.uid,
        "name": d.name,
        "user": str(d.user),
        "issued_at": d.issued_at,
        "expires_at": d.expires_at,
        "last_sync_at": d.last_sync_at,
        "revoked_at": d.revoked_at,
    }


@router.post(
    "/devices", response={201: SignedIn} | ERRORS, auth=[session_auth], summary="手机登录：签发设备令牌"
)
def sign_in(request, body: DeviceIn):
    device, raw = services.issue_device(by=request.auth, uid=body.uid, name=body.name)
    return Status(
        201,
        {
            "token": raw,
            "device": _device(device),
            "wipe_after_days": services.wipe_after_days(),
            "full_name": str(request.auth),
            "role": request.auth.role,
        },
    )


@router.get("/devices", response={200: list[DeviceOut]} | ERRORS, auth=[token_auth, session_auth])
def list_devices(request):
    return [_device(d) for d in selectors.devices_for(request.auth).order_by("-issued_at")[:500]]


@router.post(
    "/devices/{device_id}/revoke",
    response={200: DeviceOut} | ERRORS,
    auth=[token_auth, session_auth],
    summary="吊销设备（县扶贫办）：该设备下次联网时清除数据",
)
def revoke(request, device_id: int = Path(..., ge=1, le=MAX_ID)):
    return _device(services.revoke_device(selectors.device_for(request.auth, device_id), by=request.auth))


@router.get("/work-set", response={200: dict[str, Any]} | ERRORS, auth=[device_auth], summary="下载工作数据")
def work_set(request):
    return selectors.work_set(request.auth) | {"wipe_after_days": services.wipe_after_days()}


@router.post("/sync", response={200: Receipt} | ERRORS, auth=[device_auth], summary="上传离线记录，返回回执")
def upload(request, body: SyncIn):
    changes = [c.model_dump() for c in body.changes]
    return sync.sync(request.device, by=request.auth, changes=changes)
