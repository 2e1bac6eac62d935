"""The county's event subscriptions (事件订阅): made and stopped here, each with its delivery log."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from fupin.core.lookup import get_in_scope
from fupin.core.pagination import page_of

from . import permissions, selectors, services
from .models import EventType


@login_required
def subscription_list(request):
    if not permissions.can_manage(request.user):
        raise Http404
    created, errors, posted = None, {}, {}
    if request.method == "POST":
        posted = {
            "name": request.POST.get("name", "")[:200],
            "target_url": request.POST.get("target_url", "")[:600],
            "event_types": request.POST.getlist("event_types"),
            "region": request.POST.get("region", "")[:12],
        }
        try:
            created = services.create_subscription(
                by=request.user,
                name=posted["name"],
                target_url=posted["target_url"],
                event_types=posted["event_types"],
                region_code=posted["region"],
            )
        except services.SubscriptionError as e:
            errors = e.errors
    return render(
        request,
        "subscriptions/list.html",
        {
            "subscriptions": selectors.subscriptions_for(request.user),
            "event_types": EventType.choices,
            "created": created,
            "errors": errors,
            "posted": posted,
        },
    )


@login_required
def subscription_detail(request, pk: int):
    subscription = get_in_scope(selectors.subscriptions_for(request.user), pk=pk)
    if request.method == "POST" and "deactivate" in request.POST:
        services.deactivate_subscription(subscription, by=request.user)
        messages.success(request, gettext("订阅已停用"))
        return redirect("subscriptions:detail", pk=subscription.pk)
    page = page_of(request, selectors.deliveries_for(request.user, subscription).prefetch_related("tries"))
    return render(
        request,
        "subscriptions/detail.html",
        {"subscription": subscription, "page": page, "labels": dict(EventType.choices)},
    )
