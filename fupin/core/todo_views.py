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
    """`todo_count` for the navigation, computed only when a template reads it (fupin.core.todo keeps it 30 s)."""
    from django.utils.functional import SimpleLazyObject

    from .todo import todo_count

    return {"todo_count": SimpleLazyObject(lambda: todo_count(request))}
