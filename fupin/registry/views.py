"""Registry pages: thin views over selectors and services."""
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from . import selectors
from .models import Household


@login_required
def household_list(request):
    households = selectors.households_for(request.user, q=request.GET.get("q", ""))[:50]
    return render(request, "registry/household_list.html", {"households": households})


@login_required
def household_detail(request, pk):
    try:
        household = selectors.household_for(request.user, pk)
    except Household.DoesNotExist:
        raise Http404 from None
    return render(request, "registry/household_detail.html", {"household": household})
