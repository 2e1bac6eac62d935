"""Reading subscriptions and their deliveries: a county office its county's, an administrator all."""

from typing import Any

from django.db.models import QuerySet

from . import permissions
from .models import Delivery, Subscription


def subscriptions_for(user: Any) -> QuerySet[Subscription]:
    if not permissions.can_manage(user):
        return Subscription.objects.none()
    if user.is_superuser:
        return Subscription.objects.all()
    return Subscription.objects.filter(region_id=user.region_id)


def deliveries_for(user: Any, subscription: Subscription) -> QuerySet[Delivery]:
    """A subscription's deliveries, newest first, with their event; the subscription read through
    subscriptions_for."""
    subscription = subscriptions_for(user).get(pk=subscription.pk)
    return subscription.deliveries.select_related("event").order_by("-id")
