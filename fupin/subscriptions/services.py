"""Making and stopping subscriptions (county offices), audited; the secret is shown once and kept
encrypted."""

import secrets
from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from fupin.accounts.scope import ScopeError
from fupin.audit.services import record
from fupin.core.errors import ServiceError
from fupin.regions.models import Region, RegionLevel

from . import delivery, permissions
from .models import EVENT_AREA, EventType, Subscription
from .selectors import subscriptions_for


class SubscriptionError(ServiceError):
    """A subscription refused; the message is Chinese."""


def _region(by: Any, region_code: str) -> Region:
    if not by.is_superuser:
        return by.region
    try:
        return Region.objects.get(code=(region_code or "").strip(), level=RegionLevel.COUNTY)
    except Region.DoesNotExist:
        raise SubscriptionError({"region": gettext("请填写订阅范围的6位县级区划代码")}) from None


def _checked(name: str, target_url: str, event_types: list[str], areas: dict) -> dict[str, str]:
    errors = {}
    if not name.strip() or len(name.strip()) > 100:
        errors["name"] = gettext("请填写名称（最多100个字符）")
    if len(target_url) > 500:
        errors["target_url"] = gettext("接收地址最多500个字符")
    else:
        try:
            _scheme, host, port = delivery.check_url(target_url)
            delivery.resolve(host, port)
        except delivery.UnsafeTarget as e:
            errors["target_url"] = str(e)
    unknown = [t for t in event_types if t not in EventType.values]
    if not event_types or unknown:
        errors["event_types"] = gettext("请选择事件类型")
    elif areas:
        unreadable = [t for t in event_types if areas.get(EVENT_AREA[EventType(t)]) not in ("read", "write")]
        if unreadable:
            errors["event_types"] = gettext("此令牌的范围不含这些事件所属的领域：%(types)s") % {
                "types": "、".join(unreadable)
            }
    return errors


@transaction.atomic
def create_subscription(
    *,
    by: Any,
    name: str,
    target_url: str,
    event_types: list[str],
    areas: dict | None = None,
    region_code: str = "",
) -> tuple[Subscription, str]:
    """A subscription in the county office's county (an administrator names the county), for the event types
    its
    token's areas may read (`areas`: the token's scopes; None or empty: every area); (it, its secret)."""
    if not permissions.can_manage(by):
        raise ScopeError(gettext("只有县扶贫办可以管理事件订阅"))
    if by.is_read_only:
        raise ScopeError(gettext("您的角色只能查看，不能修改"))
    target_url = (target_url or "").strip()
    event_types = list(dict.fromkeys(event_types or []))
    errors = _checked(name or "", target_url, event_types, areas or {})
    if errors:
        raise SubscriptionError(errors)
    region = _region(by, region_code)
    secret = "whsec_" + secrets.token_urlsafe(32)
    subscription = Subscription.objects.create(
        owner=by,
        region=region,
        name=name.strip(),
        target_url=target_url,
        secret=secret,
        event_types=event_types,
        areas=areas or {},
    )
    record(
        by=by,
        action="create_subscription",
        target=subscription,
        scope_code=region.code,
        changes={"target_url": [None, target_url], "event_types": [None, event_types]},
    )
    return subscription, secret


@transaction.atomic
def deactivate_subscription(subscription: Subscription, *, by: Any) -> Subscription:
    """Stop a subscription: nothing more is raised for it, and its pending deliveries are not sent."""
    if by.is_read_only:
        raise ScopeError(gettext("您的角色只能查看，不能修改"))
    subscription = subscriptions_for(by).select_for_update().get(pk=subscription.pk)
    if subscription.active:
        subscription.active = False
        subscription.save(update_fields=["active"])
        record(
            by=by,
            action="deactivate_subscription",
            target=subscription,
            scope_code=subscription.region_id,
            changes={"active": [True, False]},
        )
    return subscription
