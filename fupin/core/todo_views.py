"""The to-do page (待办): everything waiting for the signed-in user, each item linking to where it is done."""

from itertools import groupby

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .todo import todos_for


@login_required
def todo_page(request: HttpRequest) -> HttpResponse:
    items = todos_for(request, fresh=True)
    sections = [
        (section, list(group))
        for section, group in groupby(sorted(items, key=lambda t: t.section), key=lambda t: t.section)
    ]
    return render(request, "core/todo.html", {"items": items, "sections": sections})


def todo_context(request: HttpRequest) -> dict:
    """`todo_count` for the navigation and `todo_panel` for the landing page, computed only when a template
    reads them (fupin.core.todo keeps the items 30 s)."""
    from django.utils.functional import SimpleLazyObject
    from django.utils.safestring import mark_safe

    from .todo import on_landing, panel, todo_count

    return {
        "todo_count": SimpleLazyObject(lambda: todo_count(request)),
        # the landing page of the user's role shows the items themselves (issue 18, build item 2)
        "todo_panel": SimpleLazyObject(lambda: mark_safe(panel(request)) if on_landing(request) else ""),
    }
