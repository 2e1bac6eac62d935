"""Sign-in lockout on django-axes: an account locks after a few wrong passwords, a source address after more.

django-axes counts failures per lockout parameter (settings.AXES_LOCKOUT_PARAMETERS: the username, then the
address) against one limit. An office reaches fupin from one address, so its users' typos must not lock
the office out as soon as one account's would: the address's failures count against its own, larger limit
(FUPIN_LOGIN_ADDRESS_FAILURES). Failures are counted for any username, existing or not, so the lockout
answers the same for both and never tells whether an account exists.
"""

import ipaddress

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum


class LoginThrottle(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        """Failures measured against AXES_FAILURE_LIMIT: the account's, or the address's scaled to that
        limit."""
        by_account, by_address = (
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        account_limit, address_limit = settings.AXES_FAILURE_LIMIT, settings.FUPIN_LOGIN_ADDRESS_FAILURES
        # by_address >= address_limit  <=>  scaled >= account_limit
        scaled = by_address * account_limit // address_limit if by_address < address_limit else account_limit
        return max(by_account, scaled)


def client_address(request) -> str | None:
    """The caller's address: REMOTE_ADDR, or behind fupin's reverse proxy the address that proxy saw; None if
    neither is one.

    Only the last X-Forwarded-For entry is trusted (the one the proxy appended); the entries before
    it come from the client and are whatever it chose to send.
    """
    candidates = []
    if settings.FUPIN_BEHIND_PROXY:
        candidates.append(request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip())
    candidates.append(request.META.get("REMOTE_ADDR", ""))
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None  # a request made in-process (the test client's force_login): django-axes stores no address
