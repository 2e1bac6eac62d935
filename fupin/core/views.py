"""The front door: each signed-in user goes to the page made for their role, others to the login page.

core sits below accounts: which role has a page of its own is the user's `home_page`
(accounts.models.ROLE_HOME).
"""

from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect


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
