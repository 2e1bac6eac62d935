"""How the registry is read: every query starts from the user's scope."""
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, QuerySet

from fupin.accounts.scope import region_filter
from fupin.regions.models import in_region

from .models import Household, Member

INCOME_BANDS = {
    # label: (min inclusive, max exclusive) per-capita net income, yuan
    "below_3000": (None, Decimal("3000")),
    "3000_4000": (Decimal("3000"), Decimal("4000")),
    "4000_5000": (Decimal("4000"), Decimal("5000")),
    "5000_8000": (Decimal("5000"), Decimal("8000")),
    "above_8000": (Decimal("8000"), None),
    "none": (None, None),
}


def households_for(user, *, region: str | None = None, q: str = "", status: str = "", household_type: str = "",
                   cause: str = "", income_band: str = "") -> QuerySet[Household]:
    """Households the user may see, narrowed by the list's filters.

    `q` matches a member's name (prefix), a full or partial ID number, the household
    number, or pinyin initials (ZSF for 张三丰).
    """
    scope = region_filter(user, "village_id")
    if scope is None:
        return Household.objects.none()
    qs = Household.objects.filter(scope)
    if region:
        qs = qs.filter(in_region("village_id", region))
    if status:
        qs = qs.filter(status=status)
    if household_type:
        qs = qs.filter(household_type=household_type)
    if cause:
        qs = qs.filter(primary_cause=cause)
    if income_band:
        lo, hi = INCOME_BANDS[income_band]
        if income_band == "none":
            qs = qs.filter(latest_income__isnull=True)
        else:
            if lo is not None:
                qs = qs.filter(latest_income__gte=lo)
            if hi is not None:
                qs = qs.filter(latest_income__lt=hi)
    q = (q or "").strip()
    if q:
        qs = qs.filter(_search(q, user, region))
    return qs


def _search(q: str, user, region: str | None) -> Q:
    members = Member.objects.filter(region_filter(user, "village_code"))
    if region:
        members = members.filter(in_region("village_code", region))
    upper = q.upper()
    if len(upper) >= 6 and upper[:-1].isdigit() and (upper[-1].isdigit() or upper[-1] == "X"):
        if len(upper) == 18:
            members = members.filter(id_number=upper)
        else:
            members = members.filter(id_number__contains=upper)
        return Q(Exists(members.filter(household_id=OuterRef("pk")))) | Q(number__startswith=upper)
    if upper.isascii() and upper.isalpha():
        members = members.filter(name_initials__startswith=upper)
    else:
        members = members.filter(name__startswith=q)
    return Q(Exists(members.filter(household_id=OuterRef("pk"))))


def household_for(user, pk) -> Household:
    """One household in the user's scope; Household.DoesNotExist otherwise (a 404, never a 403 that confirms it exists)."""
    scope = region_filter(user, "village_id")
    if scope is None:
        raise Household.DoesNotExist
    return Household.objects.select_related("village", "group").get(scope, pk=pk)


def member_for(user, pk) -> Member:
    scope = region_filter(user, "village_code")
    if scope is None:
        raise Member.DoesNotExist
    return Member.objects.select_related("household").get(scope, pk=pk)
