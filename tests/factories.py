"""Small factories: each test builds the few records it needs."""

import datetime
import itertools
import re
from decimal import Decimal

from django.utils import timezone

from fupin.accounts.models import User
from fupin.assistance import roster
from fupin.assistance import services as assistance
from fupin.core.idnumber import check_character
from fupin.monitoring import services as monitoring
from fupin.regions.models import Region, level_of, parent_code
from fupin.registry import codes, services

# A real corner of the tree: 江西省赣州市 with two counties, two townships each, two villages each.
TREE = [
    ("36", "江西省"),
    ("3607", "赣州市"),
    ("360722", "信丰县"),
    ("360722100", "嘉定镇"),
    ("360722101", "大塘埠镇"),
    ("360722100001", "南山居委会"),
    ("360722100003", "人民路居委会"),
    ("360722101200", "大塘埠村"),
    ("360722101201", "石坳村"),
    ("360723", "大余县"),
    ("360723100", "南安镇"),
    ("360723101", "新城镇"),
    ("360723100001", "余西街居民委员会"),
    ("360723100002", "北门河街社区居民委员会"),
    ("360723101200", "新城村"),
    ("360723101201", "周屋村"),
]
VILLAGE = "360722100001"
SIBLING_VILLAGE = "360722100003"  # same township
OTHER_TOWNSHIP_VILLAGE = "360722101200"  # same county, other township
OTHER_COUNTY_VILLAGE = "360723100001"


def make_tree() -> dict[str, Region]:
    regions = {}
    for code, name in TREE:
        regions[code] = Region.objects.create(
            code=code, name=name, level=level_of(code), parent_id=parent_code(code)
        )
    return regions


_seq = itertools.count(1)


def id_number(
    *, birth: datetime.date = datetime.date(1970, 5, 17), sex: str = "M", area: str = "360722"
) -> str:
    """A valid, unique 18-digit ID number with the given birth date and sex."""
    n = next(_seq) % 500
    seq = 2 * n + (1 if sex == "M" else 0)
    seq = seq % 1000 or (1 if sex == "M" else 2)
    first17 = f"{area}{birth:%Y%m%d}{seq:03d}"
    # a different birth day when the 500 sequences of one date run out keeps numbers unique
    return first17 + check_character(first17)


def make_user(
    username: str,
    role: str = "",
    region: str | None = None,
    *,
    superuser: bool = False,
    password: str = "pw-secret-123",
) -> User:
    user = User(
        username=username,
        role=role,
        region_id=region,
        full_name=username,
        is_superuser=superuser,
        is_staff=superuser,
    )
    user.set_password(password)
    user.save()
    return user


def admin_user() -> User:
    return User.objects.filter(username="root").first() or make_user("root", superuser=True)


def make_household(
    village: str = VILLAGE,
    *,
    head: str = "张三丰",
    members: int = 2,
    by=None,
    income: str | None = "3500.00",
    year: int = 2025,
    consent: bool = True,
    **fields,
) -> "services.Household":
    """A household with `members` members; each holds a consent in force for every department's data
    (电子授权书) unless `consent` is False, as the cross-checks match only members who gave one."""
    by = by or admin_user()
    fields.setdefault("status", codes.HouseholdStatus.POOR)
    fields.setdefault("primary_cause", codes.PovertyCause.ILLNESS)
    if fields["status"] in codes.REGISTERED_STATUSES:
        fields.setdefault("household_type", codes.HouseholdType.GENERAL_POOR)
        fields.setdefault("registration_year", 2016)
    # Members first, while the household is outside the registry; then its key facts, as the
    # county's load of the national system's data sets them (services.apply_key_facts).
    key = {k: fields.pop(k) for k in services.KEY_FIELDS if k in fields}
    wanted = key.get("status")
    if wanted in services.UNREGISTERED_STATUSES:
        fields["status"] = key.pop("status")
    household = services.create_household(by=by, village_code=village, **fields)
    services.add_member(
        household,
        by=by,
        name=head,
        id_number=id_number(birth=datetime.date(1968, 3, 1)),
        relation=codes.Relation.HEAD,
    )
    for i in range(members - 1):
        services.add_member(
            household,
            by=by,
            name=f"{head[0]}小{i + 1}",
            relation=codes.Relation.SON,
            id_number=id_number(birth=datetime.date(1995 + i, 6, 2)),
        )
    if consent:
        give_consent(household)
    if income is not None:
        services.record_income(household, by=by, year=year, wages=Decimal(income) * household.size)
    if key:
        household = services.apply_key_facts(household, by=admin_user(), action="initial_load", **key)
    return household


def give_consent(household, **scopes) -> None:
    """Every member's consent, in person, for every scope (or those given), written directly (no audit
    entry)."""
    from fupin.registry.models import Consent, ConsentScope

    scopes = scopes or {s: True for s in ConsentScope.values}
    Consent.objects.bulk_create(
        [
            Consent(
                member=m,
                household=household,
                given_on=datetime.date(2025, 1, 2),
                method="in_person",
                **scopes,
            )
            for m in household.members.all()
        ]
    )


def paired_helper(county: User, household, *, username: str = "helper1"):
    """李帮扶 of a county unit, with a login (password pw-secret-123), paired to `household` three days ago by
    `county` (the county office); read back with its user."""
    unit = roster.create_unit(by=county, name="信丰县农业农村局", region_code=VILLAGE[:6])
    helper = roster.create_helper(
        by=county, unit=unit, name="李帮扶", phone="13907970001", region_code=VILLAGE[:9]
    )
    roster.give_helper_login(helper, by=county, username=username, password="pw-secret-123")
    assistance.pair_household(
        household, helper, by=county, started_on=timezone.localdate() - datetime.timedelta(days=3)
    )
    helper.refresh_from_db()
    return helper


def lookback_item(
    by: User,
    household,
    *,
    year: int = 2025,
    starts_on: datetime.date = datetime.date(2025, 9, 1),
    ends_on: datetime.date = datetime.date(2025, 12, 31),
):
    """The household's item in a look-back (回头看) of its township, opened by `by` (a township office),
    against an income line of 4,500 yuan."""
    campaign = monitoring.open_lookback(
        by=by,
        region_code=household.village_id[:9],
        name=f"{year}年回头看",
        year=year,
        starts_on=starts_on,
        ends_on=ends_on,
        income_line=Decimal("4500"),
    )
    return campaign.items.get(household=household)


def based_on(client, url: str) -> dict:
    """An edit form's hidden version field as its page gives it (fupin.core.versions), to post with the
    form."""
    page = client.get(url).content.decode()
    return {"based_on": re.search(r'name="based_on" value="([^"]*)"', page).group(1)}
