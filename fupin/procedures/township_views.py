"""The township's page across its villages (乡镇统一审核、统一公示): thin views over `township.py`."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from fupin.accounts.scope import ScopeError, region_filter
from fupin.core.actions import perform
from fupin.core.lookup import get_in_scope
from fupin.core.params import int_param, request_year, this_year
from fupin.regions.models import Region, RegionLevel
from fupin.regions.selectors import region_for

from . import selectors, township
from .models import HOUSEHOLD_PROCEDURES, Procedure, Stage
from .permissions import ensure_level

KINDS = [(v, label) for v, label in Procedure.choices if v in HOUSEHOLD_PROCEDURES]


def _kind(request) -> str:
    kind = request.GET.get("kind") or request.POST.get("kind") or Procedure.IDENTIFICATION
    return kind if kind in HOUSEHOLD_PROCEDURES else Procedure.IDENTIFICATION


def _township(request) -> Region | None:
    """The user's own township, or the township named by `region` in the user's scope (404 outside it)."""
    code = (request.GET.get("region") or request.POST.get("region") or "").strip()
    own = request.user.region
    if not code and own is not None and own.level == RegionLevel.TOWNSHIP:
        return own
    if not code:
        return None
    region = get_in_scope(region_for, request.user, code)
    if region.level != RegionLevel.TOWNSHIP:
        raise Http404
    return region


def _can_act(user, region: Region) -> bool:
    try:
        ensure_level(user, region.code, "township")
    except ScopeError:
        return False
    return True


def _notice_rows(user, region: Region, year: int, kind: str) -> list[dict]:
    now = timezone.now()
    rows = []
    for notice in township.joint_notices(user, region, year=year, kind=kind)[:50]:
        links = list(notice.joint_batches.all())
        rows.append(
            {
                "notice": notice,
                "villages": links,
                "open": [link for link in links if link.closed_at is None],
                "over": now >= notice.ends_at,
                "photographed": all(
                    selectors.notice_photographed(link.batch, notice)
                    for link in links
                    if link.closed_at is None
                ),
            }
        )
    return rows


@login_required
def township_page(request):
    year = request_year(request, this_year()) or this_year()
    kind = _kind(request)
    region = _township(request)
    context = {"year": year, "kind": kind, "kinds": KINDS, "region": region}
    if region is None:
        scope = region_filter(request.user, "code")
        townships = Region.objects.filter(scope, level=RegionLevel.TOWNSHIP) if scope is not None else []
        context["townships"] = townships.order_by("code")[:300] if scope is not None else []
        return render(request, "procedures/township.html", context)
    to_post = [
        b
        for b in township.township_batches(
            request.user, region, year=year, kind=kind, stage=Stage.SECOND_NOTICE
        )
        if selectors.running_notice(b) is None
    ]
    context |= {
        "reviewing": township.township_batches(
            request.user, region, year=year, kind=kind, stage=Stage.TOWNSHIP_REVIEW
        ),
        "to_post": to_post,
        "notices": _notice_rows(request.user, region, year, kind),
        "can_act": _can_act(request.user, region),
    }
    return render(request, "procedures/township.html", context)


def _report(request, done: list[str], refused: dict[str, str], what: str) -> str:
    for village, why in refused.items():
        messages.error(request, f"{village}：{why}")
    return gettext("%(what)s：%(villages)s") % {"what": what, "villages": "、".join(done) or gettext("无")}


def _review(request, region):
    decisions = {}
    for key, value in request.POST.items():
        pk = int_param(key[9:]) if key.startswith("decision_") else None
        if pk is not None and value in ("approve", "send_back"):
            decisions[pk] = (value, request.POST.get(f"reason_{pk}", ""))
    done, refused = township.review_villages(
        decisions, by=request.user, opinion=request.POST.get("opinion", "")
    )
    return _report(request, done, refused, gettext("已审核"))


def _post(request, region):
    ids = [int_param(v) for v in request.POST.getlist("batches")]
    notice = township.post_township_notice([i for i in ids if i is not None], by=request.user)
    return gettext("《%(title)s》已生成，公示期开始：请打印张贴，并上传张贴现场照片") % {
        "title": notice.title
    }


def _notice(request, region):
    return get_in_scope(township.joint_notice_for, request.user, int_param(request.POST.get("notice"), 0))


def _photo(request, region):
    n = township.add_township_notice_photo(
        _notice(request, region), by=request.user, photo=request.FILES.get("photo")
    )
    return gettext("公示张贴照片已上传（%(n)s 个村）") % {"n": n}


def _close(request, region):
    done, refused = township.close_township_notice(_notice(request, region), by=request.user)
    return _report(request, done, refused, gettext("公示期满，已进入县级复审"))


TOWNSHIP_ACTIONS = {"review": _review, "post": _post, "photo": _photo, "close": _close}


@login_required
@require_POST
def township_action(request, action):
    region = _township(request)
    if region is None:
        raise Http404
    perform(request, TOWNSHIP_ACTIONS, action, region)
    query = urlencode(
        {"region": region.code, "year": request_year(request, this_year()), "kind": _kind(request)}
    )
    return redirect(f"{reverse('procedures:township')}?{query}")
