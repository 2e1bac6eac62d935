"""Bulk pairing page (批量结对): a township or county officer ticks households on the unpaired list and gives
them one helper in one step (`bulk.pair_many`, all or nothing)."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from fupin.core.errors import ScopeError

from . import bulk, permissions, selectors
from .services import AssistanceError

SHOWN = 200


def _region_param(request) -> str:
    code = (request.GET.get("region") or request.POST.get("region") or "").strip()
    return code if code.isdigit() and request.user.in_scope(code) else ""


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit()][: bulk.MAX_PAIRS]


def _date(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text.strip())
    except ValueError:
        return None


@login_required
@require_http_methods(["GET", "POST"])
def pair_many(request):
    user = request.user
    if not permissions.can_manage(user):
        raise PermissionDenied(_("只有乡镇、县扶贫办可以安排结对帮扶"))
    region = _region_param(request)
    helpers = list(selectors.helpers_for(user, region=region)[:500])
    chosen, status = set(), 200
    if request.method == "POST":
        chosen = set(_ids(request.POST.getlist("household")))
        helper_id = request.POST.get("helper", "")
        helper = next((h for h in helpers if str(h.pk) == helper_id), None)
        started_on = _date(request.POST.get("started_on", ""))
        try:
            if helper is None:
                raise AssistanceError({"helper": _("请选择帮扶责任人")})
            if started_on is None:
                raise AssistanceError({"started_on": _("请填写结对日期")})
            made = bulk.pair_many(
                [(pk, helper.pk) for pk in sorted(chosen)],
                by=user,
                started_on=started_on,
                reason=request.POST.get("reason", ""),
            )
        except (AssistanceError, ScopeError) as e:
            messages.error(request, str(e))
            status = 400
        else:
            messages.success(
                request, _("已安排%(name)s结对帮扶%(n)s户") % {"name": helper.name, "n": len(made)}
            )
            return redirect(request.path + (f"?region={region}" if region else ""))
    households = list(selectors.unpaired_households(user, region=region)[:SHOWN])
    return render(
        request,
        "assistance/pair_many.html",
        {
            "households": households,
            "helpers": helpers,
            "chosen": chosen,
            "region": region,
            "today": timezone.localdate(),
            "more": len(households) == SHOWN,
        },
        status=status,
    )
