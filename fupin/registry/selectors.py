"""How the registry is read: every query starts from the user's scope."""

from collections.abc import Iterable
from decimal import Decimal
from typing import Any, cast

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, Substr

from fupin.accounts.models import User
from fupin.accounts.scope import household_filter
from fupin.audit.models import AuditEntry
from fupin.core.db import fetchone
from fupin.regions.models import CODE_LENGTHS, Region, RegionLevel, code_range, in_region

from . import codes, masking
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


def households_for(
    user: User,
    *,
    region: str | None = None,
    q: str = "",
    status: str = "",
    household_type: str = "",
    cause: str = "",
    income_band: str = "",
) -> QuerySet[Household]:
    """Households the user may see, narrowed by the list's filters.

    `q` matches a member's name (prefix), a full or partial ID number, the household
    number, or pinyin initials (ZSF for 张三丰). A role that may not see full ID numbers
    finds a member by a whole 18-character number only: a partial one would let them read
    the masked digits off the list one search at a time (fupin.registry.masking).
    """
    scope = household_filter(user)
    if scope is None:
        return Household.objects.none()
    qs = Household.objects.all()
    if region:
        # The region's range before the scope's: SQLite uses the first range on an indexed
        # column, and a village's range is a county's divided by a few hundred.
        qs = qs.filter(in_region("village_id", region))
    qs = qs.filter(scope)
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


def id_number_ending(members: QuerySet[Member], tail: str) -> QuerySet[Member]:
    """The members whose ID number ends with `tail` (six characters or more): the few sharing its last six are
    found by their blind index and read, and kept when their number ends so (numbers are encrypted at
    rest)."""
    found = members.filter(id_number_tail=Member._meta.get_field("id_number_tail").of(tail))
    return Member.objects.filter(
        pk__in=[pk for pk, n in found.values_list("pk", "id_number") if n.endswith(tail)]
    )


def _search(q: str, user: User, region: str | None) -> Q:
    members: QuerySet[Member] = Member.objects.all()
    if region:
        members = members.filter(in_region("village_code", region))  # the narrower range first, as above
    members = members.filter(household_filter(user, "household__", region_field="village_code"))
    upper = q.upper()
    if len(upper) >= 6 and upper[:-1].isdigit() and (upper[-1].isdigit() or upper[-1] == "X"):
        if len(upper) == 18:
            if not user.sees_identifiers and not masking.allow_id_search(user):
                return Q(pk__in=[])
            members = members.filter(id_number=upper)
        elif user.sees_identifiers:
            # ID numbers are encrypted at rest (fupin.core.crypto): found whole through their blind index, or
            # by their last six or more characters: the few members sharing the last six (a second blind
            # index) are read and kept when their number ends so. A part elsewhere cannot be searched.
            members = id_number_ending(members, upper)
        else:
            return Q(number__startswith=upper)
        return Q(Exists(members.filter(household_id=OuterRef("pk")))) | Q(number__startswith=upper)
    if upper.isascii() and upper.isalpha():
        members = members.filter(name_initials__startswith=upper)
    else:
        members = members.filter(name__startswith=q)
    return Q(Exists(members.filter(household_id=OuterRef("pk"))))


def household_for(user: User, pk: int | str) -> Household:
    """One household in the user's scope; Household.DoesNotExist otherwise (a 404, never a 403 that confirms
    it exists)."""
    scope = household_filter(user)
    if scope is None:
        raise Household.DoesNotExist
    return Household.objects.select_related("village", "group").get(scope, pk=pk)


def member_for(user: User, pk: int | str) -> Member:
    scope = household_filter(user, "household__", region_field="village_code")
    if scope is None:
        raise Member.DoesNotExist
    return Member.objects.select_related("household").get(scope, pk=pk)


LIST_FIELDS = (
    "number",
    "village__name",
    "group__name",
    "head_name",
    "size",
    "household_type",
    "status",
    "primary_cause",
    "latest_income",
)


def list_region(user: User, code: str) -> tuple[Region | None, str | None]:
    """The region a household list is narrowed to, if it exists in the user's scope, and the version of a
    village's list.

    The version changes with every write to the village's households and members and to any
    region (triggers, registry migration 0003), so a page rendered from rows read after it may
    be cached under it: the version is read first, in this one query with the region.
    None for a region above a village, where no single version covers the list.
    """
    prefix = getattr(user, "scope_prefix", None)
    if prefix is None or not code or user.helper_region:
        return None, None
    lo, hi = code_range(prefix)
    row = fetchone(
        connection.alias,
        "SELECT r.code, r.name, r.level, r.parent_id,"
        " (SELECT token FROM registry_listversion WHERE village_code = r.code),"
        " (SELECT token FROM registry_listversion WHERE village_code = '')"
        " FROM regions_region r WHERE r.code = %s AND r.code >= %s AND r.code <= %s",
        [code, lo, hi],
    )
    if row is None:
        return None, None
    region = Region.from_db(connection.alias, ["code", "name", "level", "parent_id"], row[:4])
    if region.level != RegionLevel.VILLAGE:
        return region, None
    return region, f"{row[4] or '-'}.{row[5] or '-'}"


def household_rows(households: QuerySet[Household]) -> QuerySet[Household]:
    """The household list's columns and each head's ID number: two queries per page, however long the list.

    The head comes by a prefetch rather than an annotation so that counting the list stays a
    plain index range count.
    """
    heads = Member.objects.filter(relation=codes.Relation.HEAD).only("household_id", "id_number")
    return (
        households.select_related("village", "group")
        .only(*LIST_FIELDS)
        .prefetch_related(Prefetch("members", queryset=heads, to_attr="heads"))
    )


def region_breakdown(user: User, region_code: str, level: int | None) -> dict[str | None, dict[str, int]]:
    """Households, persons and households by status under a region, per child region, in one query.

    Children are found by code prefix (a village's, by its group), so the count is one
    grouped range scan rather than a query per child. `region_code` "" is the whole country.
    """
    scope = household_filter(user)
    if scope is None:
        return {}
    households = Household.objects.filter(scope)
    if region_code:
        households = households.filter(in_region("village_id", region_code))
    child: F | Substr
    if level == RegionLevel.VILLAGE:
        child = F("group_id")
    else:
        child_level = RegionLevel(level + 1) if level else RegionLevel.PROVINCE
        child = Substr("village_id", 1, CODE_LENGTHS[child_level])
    rows = cast(
        Iterable[dict[str, Any]],
        (
            households.order_by()
            .annotate(child=child)
            .values("child")
            .annotate(
                households=Count("pk"),
                persons=Coalesce(Sum("size"), 0),
                **{status: Count("pk", filter=Q(status=status)) for status in codes.HouseholdStatus.values},
            )
        ),
    )
    return {row.pop("child"): row for row in rows}


def household_history(household: Household) -> QuerySet[AuditEntry]:
    """The audit trail of one household (already read through household_for), newest first."""
    return household.audit_entries.select_related("user").only(
        "at",
        "username",
        "role",
        "region_code",
        "action",
        "target_type",
        "target_label",
        "changes",
        "user__full_name",
        "user__username",
    )


def household_sequences(villages: Iterable[str]) -> dict[str, int]:
    """The highest 户编号 sequence of each village (0 when it has none): a number is the village's code and
    digits, compared as a number, so 10000 comes after 9999 (as text it sorts before). 户编号 of another
    shape (a file may give any) are left out."""
    found = dict.fromkeys(villages, 0)
    table = Household._meta.db_table
    todo = sorted(found)
    for start in range(0, len(todo), 300):
        batch = todo[start : start + 300]
        if connection.vendor == "postgresql":
            sql = (
                f'SELECT v, (SELECT number FROM "{table}" '
                "WHERE number >= v AND number <= v || repeat('9', 20 - length(v)) "
                "AND substr(number, length(v) + 1) ~ '^[0-9]+$' "
                "ORDER BY length(number) DESC, number DESC LIMIT 1) FROM unnest(%s::text[]) AS v"
            )
            params: list[Any] = [batch]
        else:
            sql = " UNION ALL ".join(
                f'SELECT %s, (SELECT number FROM "{table}" WHERE number >= %s AND number <= %s '
                "AND length(number) > %s AND substr(number, %s) NOT GLOB '*[^0-9]*' "
                "ORDER BY length(number) DESC, number DESC LIMIT 1)"
                for _ in batch
            )
            params = [p for v in batch for p in (v, v, v + "9" * (20 - len(v)), len(v), len(v) + 1)]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for village, last in cursor.fetchall():
                found[village] = int(last[len(village) :]) if last else 0
    return found
