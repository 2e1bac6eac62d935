"""Reading the audit chains' state: each chain's head and latest anchor, for the users who oversee them."""

from typing import Any

from django.db.models import Max

from .models import Anchor, ChainHead


def may_see_anchors(user: Any) -> bool:
    """An administrator, or a role overseeing counties (accounts.models.User.oversees_counties: audit sits
    below accounts, whose services write to the trail, so it asks the user rather than importing the
    roles)."""
    return getattr(user, "is_authenticated", False) and (user.is_superuser or user.oversees_counties)


def chains_for(user: Any) -> list[dict]:
    """The chains in the user's scope (their county's, or every county's under them; administrators also the
    global chain): head and latest anchor each. Empty for roles that do not oversee a county."""
    if not may_see_anchors(user):
        return []
    prefix = (user.scope_prefix or "")[:6]
    heads = ChainHead.objects.filter(chain__startswith=prefix).order_by("chain")
    if not user.is_superuser:
        heads = heads.exclude(chain="")
    head_list = list(heads)
    latest: dict[str, int] = dict(
        Anchor.objects.filter(chain__in=[h.chain for h in head_list])
        .values("chain")
        .annotate(seq=Max("seq"))
        .values_list("chain", "seq")
    )
    anchors: dict[tuple[str, int | None], Anchor] = {
        (a.chain, a.seq): a
        for a in Anchor.objects.filter(chain__in=list(latest), seq__in=set(latest.values()))
    }
    return [{"head": h, "anchor": anchors.get((h.chain, latest.get(h.chain)))} for h in head_list]
