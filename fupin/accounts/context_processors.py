"""Template context for every page: the role enum, so templates compare a user's role with `Role.COUNTY`,
never a string."""

from django.http import HttpRequest

from .models import Role


def roles(request: HttpRequest) -> dict[str, type[Role]]:
    return {"Role": Role}
