"""The front door: each signed-in user goes to the page made for their role, others to the login page.

core sits below accounts: which role has a page of its own is the user's `home_page`
(accounts.models.ROLE_HOME).
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from . import id_queries


def home(request: HttpRequest) -> HttpResponseRedirect:
    user = request.user
    if not user.is_authenticated:
        return redirect("accounts:login")
    if user.home_page:
        return redirect(user.home_page)
    if user.scope_prefix is None:
        # Signed in without a role or region: nothing in the registry is theirs yet.
        return redirect("admin:index" if user.is_staff else "disclosure:notice_list")
    return redirect("registry:household_list")


@login_required
@require_POST
def id_search(request: HttpRequest) -> HttpResponse:
    """A search form that may hold an ID number, POSTed: 303 to its page with the number as a session token
    (fupin.core.id_queries), so no request line carries it."""
    address = id_queries.search_address(request)
    if address is None:
        return HttpResponse(gettext("查询地址无效"), status=400, content_type="text/plain; charset=utf-8")
    return _see_other(address)


def _see_other(address: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(address)
    response.status_code = 303
    return response
