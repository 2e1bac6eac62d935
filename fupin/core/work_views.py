"""The 后台任务 page: which workers are alive, and each app's queued, running, interrupted and failed work,
with retry and cancel (system administrators: everything; county offices: their county)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from . import schedule, work
from .errors import ServiceError


def _allowed(user: Any) -> None:
    if not work.may_manage(user):
        raise PermissionDenied(gettext("只有县扶贫办和系统管理员可以查看后台任务"))


@login_required
@require_GET
def work_page(request: HttpRequest) -> HttpResponse:
    _allowed(request.user)
    kinds = [
        {"name": k.name, "title": k.title, "items": k.items_for(request.user)} for k in work.KINDS.values()
    ]
    uses_worker = work.uses_worker()
    last = schedule.last_runs()
    daily = [{"job": job, "last": last.get(job.name)} for job in schedule.jobs()]
    return render(
        request,
        "core/work.html",
        {
            "kinds": kinds,
            "daily": daily,
            "uses_worker": uses_worker,
            "workers": work.live_workers() if uses_worker else 0,
        },
    )


@login_required
@require_POST
def work_action(request: HttpRequest, kind: str, pk: int, action: str) -> HttpResponse:
    _allowed(request.user)
    if kind not in work.KINDS or action not in ("retry", "cancel"):
        raise Http404(gettext("没有这种后台任务"))
    verb = getattr(work.KINDS[kind], action)
    try:
        messages.success(request, verb(pk, by=request.user))
    except ServiceError as e:
        messages.error(request, str(e))
    return redirect("core:work")
