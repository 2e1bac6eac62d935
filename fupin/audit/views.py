"""The audit chains' page: each chain's head and latest daily anchor, so that county and province staff
can keep copies of the anchors outside the system (printed, or written into their own records)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext

from . import selectors
from .verify import anchor_file


@login_required
def anchors(request):
    if not selectors.may_see_anchors(request.user):
        raise PermissionDenied(gettext("仅县级及以上用户可查看审计链锚点"))
    return render(
        request,
        "audit/anchors.html",
        {
            "chains": selectors.chains_for(request.user),
            "anchor_file": anchor_file() if request.user.is_superuser else None,
        },
    )
