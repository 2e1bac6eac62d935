"""The to-do list (待办): what waits for the signed-in user, gathered from every app without core importing
them.

Each app registers a provider in its `AppConfig.ready()` (`register_todo`): a function of (user, today) that
returns `Todo` items from its own selectors, scoped to the user, one query per kind. `todos_for(request)` asks
every provider once per request (and keeps the answer for a short while per user, so the count in the
navigation costs nothing on most pages); the to-do page lists the items, each linking to where it is done.
"""

import datetime
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import get_language

CACHE_SECONDS = 30


@dataclass(frozen=True)
class Todo:
    kind: str  # a stable key, e.g. "procedures.township_review"
    section: str  # the section's name, as the navigation shows it
    label: str  # what waits, e.g. "待乡镇审核的批次"
    count: int
    url: str  # where it is done
    urgent: bool = False  # overdue, or ending within days


Provider = Callable[[object, datetime.date], list[Todo]]
_PROVIDERS: list[Provider] = []


def register_todo(provider: Provider) -> None:
    """Called from an app's AppConfig.ready(); registering the same provider twice keeps one."""
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)


def collect(user: Any, today: datetime.date | None = None) -> list[Todo]:
    """Every registered provider's items for `user` that have something waiting, urgent ones first."""
    today = today or timezone.localdate()
    items = [item for provider in _PROVIDERS for item in provider(user, today) if item.count]
    return sorted(items, key=lambda t: not t.urgent)


def _cache_key(user: Any) -> str:
    # the labels are in the page's language
    return f"todo:{user.pk}:{user.role}:{user.region_id}:{get_language()}"


def todos_for(request: HttpRequest, *, fresh: bool = False) -> list[Todo]:
    """The user's items, computed once per request and kept CACHE_SECONDS per user (`fresh` skips the
    cache)."""
    user = request.user
    if not getattr(user, "is_authenticated", False):
        return []
    memo = getattr(request, "_fupin_todos", None)
    if memo is not None and not fresh:
        return memo
    items = None if fresh else cache.get(_cache_key(user))
    if items is None:
        items = collect(user)
        cache.set(_cache_key(user), items, CACHE_SECONDS)
    request._fupin_todos = items  # type: ignore[attr-defined]
    return items


def todo_count(request: HttpRequest) -> int:
    return sum(t.count for t in todos_for(request))


# The landing page of a user with a region and no page of its own (core.views.home sends them there).
LIST_LANDING = "registry:household_list"
# What a cached page (the household list's, fupin.core.fragments) holds where the panel goes: filled on each
# request.
PANEL_MARK = "<!--todo-panel-->"
# And where the navigation's count goes: a cached page never serves the count it was rendered with.
BADGE_MARK = "<!--todo-badge-->"


def landing_view(user: Any) -> str | None:
    """The URL name of the page the user lands on after sign-in (core.views.home), if it is one of fupin's
    lists."""
    if not getattr(user, "is_authenticated", False):
        return None
    if user.home_page:
        return user.home_page
    return LIST_LANDING if user.scope_prefix is not None else None


def on_landing(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    return match is not None and match.view_name == landing_view(request.user)


def panel(request: HttpRequest) -> str:
    """The to-do panel the landing page shows above its own content: each item linking to where it is done.
    Kept with the items it shows (CACHE_SECONDS): it is on every request of the household list, the landing
    page, whose rendering otherwise took a quarter of a cached list's time."""
    from django.template.loader import render_to_string

    items = todos_for(request)
    key = _cache_key(request.user) + ":panel"
    kept = cache.get(key)
    if kept is not None and kept[0] == items:
        return kept[1]
    html = render_to_string("core/_todo_panel.html", {"items": items})
    cache.set(key, (items, html), CACHE_SECONDS)
    return html


def badge(request: HttpRequest) -> str:
    """The navigation's count of waiting items, for a cached page's BADGE_MARK (kept CACHE_SECONDS)."""
    return _badge_html(todo_count(request), get_language())


@functools.lru_cache(maxsize=256)
def _badge_html(count: int, language: str) -> str:
    """The badge of a count in a language (rendered once: it is on every cached list page)."""
    from django.template.loader import render_to_string

    return render_to_string("core/_todo_badge.html", {"todo_count": count})
