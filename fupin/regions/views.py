"""The region tree, within the user's scope."""
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from . import selectors
from .models import Region


@login_required
def region_detail(request, code):
    try:
        region = selectors.region_for(request.user, code)
    except Region.DoesNotExist:
        raise Http404("不在您的管辖范围内或不存在") from None
    children = selectors.children_for(request.user, region)
    return render(request, "regions/region_detail.html", {"region": region, "children": children, "path": region.path()})
