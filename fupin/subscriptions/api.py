"""Subscriptions (webhooks) in the JSON API, under /api/v1/subscriptions/: a county office makes, reads and
stops its
county's, and reads each one's delivery log. Made with a token limited to some areas, a subscription receives
only
the events of the areas that token could read."""

from typing import Literal

from ninja import Field, Path, Query, Router, Schema
from ninja.responses import Status

from fupin.core.api import CursorQuery, bounded_text, cursor_list, errors_for, model_schema, page_schema
from fupin.registry.api import MAX_ID
from fupin.registry.api_fields import InputSchema

from . import selectors, services
from .models import Delivery, DeliveryAttempt, EventType, Subscription

router = Router(tags=["subscriptions"])
ERRORS = errors_for(409)
Id = Path(..., ge=1, le=MAX_ID)

SUBSCRIPTION_FIELDS = ("id", "name", "region", "target_url", "event_types", "areas", "active", "created_at")
DELIVERY_FIELDS = (
    "id",
    "status",
    "attempts",
    "next_attempt_at",
    "last_status_code",
    "last_error",
    "delivered_at",
)
ATTEMPT_FIELDS = ("at", "status_code", "error", "milliseconds")


class SubscriptionOut(Schema):
    id: int
    name: str
    region: str
    target_url: str
    event_types: list[str]
    areas: dict[str, str]
    active: bool
    created_at: str


class SubscriptionCreated(SubscriptionOut):
    secret: str = Field(..., description="签名密钥：只在创建时返回这一次")


AttemptOut = model_schema("DeliveryAttemptOut", DeliveryAttempt, ATTEMPT_FIELDS)


class EventOut(Schema):
    id: str
    type: str
    region: str
    occurred_at: str


DeliveryOut = model_schema(
    "DeliveryOut",
    Delivery,
    DELIVERY_FIELDS,
    extra={"event": (EventOut, ...), "tries": (list[AttemptOut], ...)},
)


class SubscriptionIn(InputSchema):
    name: bounded_text(100)
    target_url: bounded_text(500) = Field(
        ..., description="接收地址（https:// 或 http://；不允许内网和本机地址）"
    )
    event_types: list[Literal[tuple(EventType.values)]] = Field(..., min_length=1, max_length=len(EventType))
    region: str = Field("", pattern=r"^(\d{6})?$", description="系统管理员：订阅范围的县级代码")


def subscription_out(subscription: Subscription) -> dict:
    return {
        "id": subscription.pk,
        "name": subscription.name,
        "region": subscription.region_id,
        "target_url": subscription.target_url,
        "event_types": list(subscription.event_types),
        "areas": dict(subscription.areas),
        "active": subscription.active,
        "created_at": subscription.created_at.isoformat(),
    }


def delivery_out(delivery: Delivery) -> dict:
    event = delivery.event
    return {
        **{name: getattr(delivery, name) for name in DELIVERY_FIELDS},
        "status_display": str(delivery.get_status_display()),
        "event": {
            "id": str(event.event_id),
            "type": event.type,
            "region": event.region_code,
            "occurred_at": event.occurred_at.isoformat(),
        },
        "tries": [
            {name: getattr(t, name) for name in ATTEMPT_FIELDS} for t in delivery.tries.order_by("at", "id")
        ],
    }


@router.get(
    "/", response={200: page_schema("SubscriptionPage", SubscriptionOut)} | ERRORS, summary="事件订阅（县）"
)
def list_subscriptions(request, params: Query[CursorQuery]):
    rows = selectors.subscriptions_for(request.auth)
    return cursor_list(rows, params, subscription_out, where="subscriptions")


@router.post("/", response={201: SubscriptionCreated} | ERRORS, summary="新建事件订阅（县扶贫办）")
def create_subscription(request, payload: SubscriptionIn):
    token = getattr(request, "api_token", None)
    subscription, secret = services.create_subscription(
        by=request.auth,
        name=payload.name,
        target_url=payload.target_url,
        event_types=list(payload.event_types),
        areas=dict(token.scopes) if token is not None else {},
        region_code=payload.region,
    )
    return Status(201, subscription_out(subscription) | {"secret": secret})


@router.get("/{subscription_id}/", response={200: SubscriptionOut} | ERRORS, summary="一个事件订阅")
def get_subscription(request, subscription_id: int = Id):
    return subscription_out(selectors.subscriptions_for(request.auth).get(pk=subscription_id))


@router.post(
    "/{subscription_id}/deactivate/", response={200: SubscriptionOut} | ERRORS, summary="停用事件订阅"
)
def deactivate_subscription(request, subscription_id: int = Id):
    subscription = selectors.subscriptions_for(request.auth).get(pk=subscription_id)
    return subscription_out(services.deactivate_subscription(subscription, by=request.auth))


@router.get(
    "/{subscription_id}/deliveries/",
    response={200: page_schema("DeliveryPage", DeliveryOut)} | ERRORS,
    summary="投递记录：每次尝试的时间、状态码、下次尝试时间",
)
def list_deliveries(request, params: Query[CursorQuery], subscription_id: int = Id):
    subscription = selectors.subscriptions_for(request.auth).get(pk=subscription_id)
    rows = selectors.deliveries_for(request.auth, subscription)
    return cursor_list(rows, params, delivery_out, where=f"deliveries-{subscription.pk}")
