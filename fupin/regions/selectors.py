"""Reading the region tree within a user's scope."""

from typing import Any

from django.db.models import QuerySet

from .models import Region, RegionLevel, in_region
from .scope import region_filter


def regions_for(user: Any) -> QuerySet[Region]:
    """Every region the user may read (their own subtree)."""
    scope = region_filter(user, "code")
    return Region.objects.none() if scope is None else Region.objects.filter(scope)


def region_for(user: Any, code: str) -> Region:
    """One region in scope; Region.DoesNotExist otherwise."""
    return regions_for(user).get(code=code)


def children_for(user: Any, region: Region | None) -> QuerySet[Region]:
    """The regions directly under `region` (the provinces under None), in scope."""
    return regions_for(user).filter(parent=region).order_by("code")


def home_region(user: Any) -> Region | None:
    """The region a user starts from: their own (the whole country for an administrator)."""
    if user.is_superuser and not user.region_id:
        return None
    return user.region


def villages_for(user: Any, under: Region) -> QuerySet[Region]:
    """The villages in scope under a region, with their township for grouping a picker."""
    return (
        regions_for(user)
        .filter(in_region("code", under.code), level=RegionLevel.VILLAGE)
        .select_related("parent")
    )


def groups_of(village: Region) -> QuerySet[Region]:
    """A village's groups (自然村／村民小组)."""
    return Region.objects.filter(parent=village, level=RegionLevel.GROUP).order_by("code")


def path_for(user: Any, region: Region | None) -> list[Region]:
    """The breadcrumb from the user's own region down to `region`: never a region above their scope."""
    if region is None:
        return []
    prefix = getattr(user, "scope_prefix", None) or ""
    codes = [c for c in region.ancestors_codes() if len(c) >= len(prefix)]
    found = {r.code: r for r in regions_for(user).filter(code__in=codes)} if codes else {}
    return [found[c] for c in codes if c in found] + [region]
