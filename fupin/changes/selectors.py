"""How change requests are read: every query starts from the user's scope (accounts.scope)."""

from django.db.models import Case, IntegerField, QuerySet, Value, When

from fupin.accounts.models import User
from fupin.accounts.scope import household_filter
from fupin.regions.models import in_region

from .models import ChangeAction, ChangeRequest, ChangeStatus


def change_requests_for(
    user: User, *, status: str = "", kind: str = "", region: str = "", household: int | None = None
) -> QuerySet[ChangeRequest]:
    """The requests on households the user may read, pending ones first, newest first within each."""
    scope = household_filter(user, "household__", region_field="village_code")
    if scope is None:
        return ChangeRequest.objects.none()
    qs = ChangeRequest.objects.all()
    if region:
        qs = qs.filter(in_region("village_code", region))
    qs = qs.filter(scope)
    if household is not None:
        qs = qs.filter(household=household)
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    pending_first = Case(
        When(status=ChangeStatus.PROPOSED, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return qs.select_related("household", "proposed_by", "decided_by").order_by(
        pending_first, "-proposed_at", "-id"
    )


def change_request_for(user: User, pk: int) -> ChangeRequest:
    """One request in scope; ChangeRequest.DoesNotExist otherwise (out of scope reads as missing)."""
    return change_requests_for(user).select_related("household__village", "created_household").get(pk=pk)


def history(request: ChangeRequest) -> QuerySet[ChangeAction]:
    return request.actions.select_related("by").order_by("at", "id")
