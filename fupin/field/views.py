"""The field app's pages: the app itself (/field/: a shell page, its service worker and manifest; everything
else is static JS talking to /api/v1/field/), the sync conflicts the village and township settle, the county's
devices."""

import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fupin.core.actions import perform
from fupin.core.lookup import get_in_scope
from fupin.core.pagination import page_of

from . import permissions, selectors, services, tables

# The static files the app needs offline, cached by its service worker when it installs.
APP_FILES = (
    "field/rules.js",
    "field/app.js",
    "field/app.css",
    "field/icon.svg",
    "vendor/dexie/dexie.min.js",
    "vendor/workbox/workbox-window.prod.umd.js",
)


@login_required
@require_GET
def app(request):
    """The installable app's shell; it works offline once the service worker has cached it."""
    return render(
        request,
        "field/app.html",
        {
            "allowed": permissions.can_use_app(request.user),
            "wipe_days": services.wipe_after_days(),
            "time_zone": timezone.get_current_timezone_name(),
        },
    )


@require_GET
def service_worker(request):
    """The service worker, served under /field/ so that its scope is the app (static files live elsewhere)."""
    path = finders.find("field/sw.js")
    with open(path, encoding="utf-8") as f:
        body = f.read()
    precache = [static(name) for name in APP_FILES]
    body = (
        body.replace("__WORKBOX__", static("vendor/workbox/workbox-sw.js"))
        .replace("__STATIC__", settings.STATIC_URL)
        .replace("__PRECACHE__", json.dumps(precache))
    )
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/field/"
    return response


@require_GET
def manifest(request):
    return JsonResponse(
        {
            "name": gettext("帮扶 App"),
            "short_name": gettext("帮扶"),
            "lang": "zh-CN",
            "start_url": "/field/",
            "scope": "/field/",
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#b22222",
            "icons": [{"src": static("field/icon.svg"), "sizes": "any", "type": "image/svg+xml"}],
        },
        content_type="application/manifest+json",
        json_dumps_params={"ensure_ascii": False},
    )


@login_required
@require_GET
def conflicts(request):
    show_all = request.GET.get("all") == "1"
    page = page_of(request, tables.conflict_query(request.user, request.GET))  # its export's rows too
    for c in page.object_list:  # a phone's or an ID number's values masked, as everywhere (issue 17)
        c.base, c.theirs, c.mine = tables.masked_values(c)
    return render(request, "field/conflicts.html", {"page": page, "show_all": show_all})


def _resolve(request, conflict) -> str:
    services.resolve_conflict(conflict, by=request.user)
    return _("已标记为已处理")


@login_required
@require_POST
def resolve(request, pk):
    conflict = get_in_scope(
        selectors.conflict_for, request.user, pk, message=_("冲突不存在或不在您的管辖范围内")
    )
    perform(request, {"resolve": _resolve}, "resolve", conflict)
    return redirect("field:conflicts")


@login_required
@require_GET
def devices(request):
    rows = tables.device_query(request.user, request.GET)  # its export's rows too
    return render(request, "field/devices.html", {"page": page_of(request, rows)})


def _revoke(request, device) -> str:
    services.revoke_device(device, by=request.user)
    return _("设备已吊销：下次联网时将清除本机数据")


@login_required
@require_POST
def revoke(request, pk):
    if not permissions.can_revoke(request.user):
        raise PermissionDenied(_("只有县扶贫办可以吊销设备"))
    device = get_in_scope(selectors.device_for, request.user, pk, message=_("设备不存在或不在您的管辖范围内"))
    perform(request, {"revoke": _revoke}, "revoke", device)
    return redirect("field:devices")
