"""Reading the region tree within a user's scope."""
from django.db.models import QuerySet

from fupin.accounts.scope import region_filter

from .models import Region


def regions_for(user) -> QuerySet[Region]:
    """Every region the user may read (their own subtree)."""
    scope = region_filter(user, "code")
    return Region.objects.none() if scope is None else Region.objects.filter(scope)


def region_for(user, code: str) -> Region:
    """One region in scope; Region.DoesNotExist otherwise."""
    return regions_for(user).get(code=code)


def children_for(user, region: Region) -> QuerySet[Region]:
    return regions_for(user).filter(parent=region).order_by("code")


def home_region(user) -> Region | None:
    """The region a user starts from: their own (the whole country for an administrator)."""
    if user.is_superuser and not user.region_id:
        return None
    return user.region
