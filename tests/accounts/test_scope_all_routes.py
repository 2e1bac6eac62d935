"""Scope is security: every route the app has (pages, htmx fragments, exports, PDFs, error reports, the JSON
API), tried by every role — village clerk and work team, township, county, prefecture, province, helper,
inactive helper, department liaison, anonymous — against the records of a sibling region and of a role above,
with GET, POST and the API's PATCH, PUT and DELETE: no foreign data in any response, no change in the
database, no audit entry written. The roles that may not see full ID numbers see none, nor a birth date,
anywhere. And every read-only role is refused by every POST/PUT/PATCH/DELETE route and API operation, changing
nothing.

The routes are enumerated from the URL resolver and the API's OpenAPI document, so a route added later is
tried too. The records are built once for the module; each test runs in a savepoint of that transaction.
"""

import contextlib
import datetime
import io
import re
import subprocess
from collections.abc import Iterator

import pytest
from django.apps import apps
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from fupin.accounts.services import issue_token
from fupin.api import api as ninja_api
from fupin.assistance import roster
from fupin.assistance import services as assistance
from fupin.assistance.models import Helper
from fupin.audit.models import AuditEntry
from fupin.core import table_exports
from fupin.monitoring import cross_checks as monitoring_cross_checks
from fupin.monitoring import problems as monitoring_problems
from fupin.monitoring.models import Finding
from fupin.regions.models import Region, level_of, parent_code
from fupin.registry import imports
from fupin.registry import selectors as registry_selectors
from fupin.registry.models import GuaranteeCheck, Household, ImportJob, IncomeRecord, Member
from tests import factories
from tests.registry.import_files import household as import_rows
from tests.registry.import_files import write_csv

SKIP_PREFIXES = ("admin/", "i18n/", "static/", "media/", "accounts/login", "accounts/logout")
# Routes that show no record, whoever asks (a blank template, the API's own description): slow to build,
# nothing to leak.
NO_RECORDS = ("households/import/template/", "api/v1/openapi.json", "api/v1/docs")
PUBLIC_PREFIXES = ("public/",)  # published notices: public by design; only the anonymous case reads them
# Unsafe requests a read-only role may still make: its own account (sign-in, password, tokens) and the
# language.
READ_ONLY_ALLOWED = ("accounts/", "i18n/")

# Operations of the field app's sync API that no API token opens (fupin/field/api.py).
FIELD_APP_ONLY = {"/api/v1/field/devices", "/api/v1/field/sync"}
# POSTs that only carry a query (fupin.accounts.api.READING_POSTS): a read-only role searches; "{}" is no
# envelope (422)
READING_POSTS = {"/api/v1/dci/registry/sync/search"}

OTHER_PREFECTURE_VILLAGE = "360821100001"
OTHER_PROVINCE_VILLAGE = "430121100001"
EXTRA_TREE = [
    ("3608", "吉安市"),
    ("360821", "吉安县"),
    ("360821100", "敦厚镇"),
    (OTHER_PREFECTURE_VILLAGE, "敦厚村"),
    ("43", "湖南省"),
    ("4301", "长沙市"),
    ("430121", "长沙县"),
    ("430121100", "星沙街道"),
    (OTHER_PROVINCE_VILLAGE, "星沙村"),
]
FOREIGN_VILLAGES = [
    factories.SIBLING_VILLAGE,
    factories.OTHER_TOWNSHIP_VILLAGE,
    factories.OTHER_COUNTY_VILLAGE,
    OTHER_PREFECTURE_VILLAGE,
    OTHER_PROVINCE_VILLAGE,
]
MASKED_ROLES = {"prefecture", "province", "liaison", "anonymous"}
READ_ONLY_ROLES = ["prefecture", "province"]
TODAY = timezone.localdate()


# ---------------------------------------------------------------- the routes


def all_routes():
    """Every URL pattern as a path template, e.g. 'households/<int:pk>/'."""
    out = []

    def walk(patterns, prefix):
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route)
            elif isinstance(p, URLPattern):
                out.append(route.lstrip("^").rstrip("$"))

    walk(get_resolver().url_patterns, "")
    return sorted(set(out))


PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


EXPORT_ROUTE = "exports/table/<str:name>/"


def fill(route: str, values: dict) -> list[str]:
    """Concrete paths for a route template, one per candidate value of its parameters; the table export's, one
    per registered table (fupin.core.table_exports), so a table added later is tried too."""
    if route == EXPORT_ROUTE:
        return [f"/exports/table/{name}/" for name in sorted(table_exports.tables())]
    params = PARAM.findall(route)
    if not params:
        return ["/" + route]
    paths = []
    conv, _ = params[0]
    for v in values["int" if conv == "int" else "str"]:
        rest = PARAM.sub(lambda m, v=v: str(v), route, count=1)
        paths.extend(fill(rest, values) if PARAM.search(rest) else ["/" + rest])
    return paths[:12]


def requests_of(route: str, methods, foreign_village: str, foreign_household) -> list[tuple[str, dict]]:
    """The requests tried on a route: (method, GET parameters). A table export is asked for twice: filtered to
    the foreign region, and unfiltered (the role's whole scope), naming the foreign household for a table of
    one household's."""
    tried = [
        (m, {"q": "外区", "region": foreign_village, "format": "xlsx"} if m == "get" else {}) for m in methods
    ]
    if route == EXPORT_ROUTE:
        tried += [("get", {"household": str(foreign_household.pk)})]
        tried[0][1]["household"] = str(foreign_household.pk)
    return tried


def api_operations():
    """(method, path template with {param}s) for every operation of the JSON API's OpenAPI document."""
    schema = ninja_api.get_openapi_schema()
    return [(method, path) for path, methods in schema["paths"].items() for method in methods]


def fill_api(path: str, ints: list[int], village: str) -> str:
    def value(m):
        name = m.group(1)
        return (
            village
            if name in ("code", "region", "village")
            else village[:6]
            if name == "county"
            else str(ints[0] if "year" not in name else 2025)
        )

    return re.sub(r"\{(\w+)\}", value, path)


def text_of(response) -> str:
    content = getattr(response, "content", None)
    if content is None:
        content = b"".join(response.streaming_content)
    ctype = response.get("Content-Type", "")
    if "spreadsheet" in ctype or content[:2] == b"PK":
        import openpyxl

        try:
            wb = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
            return " ".join(
                str(c)
                for ws in wb.worksheets
                for row in ws.iter_rows(values_only=True)
                for c in row
                if c is not None
            )
        except Exception:
            return content.decode("latin-1")
    if "pdf" in ctype or content[:4] == b"%PDF":
        try:
            return subprocess.run(
                ["pdftotext", "-", "-"], input=content, capture_output=True, timeout=30
            ).stdout.decode()
        except FileNotFoundError:
            return content.decode("latin-1")
    return content.decode("utf-8", "replace")


def database_state() -> tuple:
    """Every fupin table's row count, and the registry's rows in full."""
    counts = tuple(
        (m._meta.label, m.objects.count())
        for m in apps.get_models()
        if m._meta.app_label
        in (
            "accounts",
            "registry",
            "assistance",
            "monitoring",
            "procedures",
            "funds",
            "reports",
            "audit",
            "changes",
        )
    )
    rows = tuple(
        tuple(m.objects.order_by("pk").values_list())
        for m in (Household, Member, IncomeRecord, GuaranteeCheck)
    )
    return counts, rows


# ---------------------------------------------------------------- the records, built once


def build_world(media_root) -> dict:
    f = factories
    f.make_tree()
    for code, name in EXTRA_TREE:
        Region.objects.create(code=code, name=name, level=level_of(code), parent_id=parent_code(code))
    users = {
        "admin": f.admin_user(),
        "clerk": f.make_user("clerk", "village_clerk", f.VILLAGE),
        "team": f.make_user("team", "village_team", f.VILLAGE),
        "township": f.make_user("township", "township", f.VILLAGE[:9]),
        "county": f.make_user("county", "county", f.VILLAGE[:6]),
        "other_county": f.make_user("other_county", "county", f.OTHER_COUNTY_VILLAGE[:6]),
        "prefecture": f.make_user("prefecture", "prefecture", f.VILLAGE[:4]),
        "province": f.make_user("province", "province", f.VILLAGE[:2]),
        "liaison": f.make_user("liaison", "liaison", None),
    }
    county = users["county"]
    own = f.make_household(f.VILLAGE, head="本村甲", phone="13800000001", bank_account="6217000000000000001")
    neighbour = f.make_household(f.VILLAGE, head="邻户丙")  # in the helpers' village, paired to neither
    left = f.make_household(f.VILLAGE, head="离岗户丁")  # paired to the helper who has left
    foreign = {
        v: f.make_household(v, head=f"外区{v}", phone="13900000002", bank_account="6217000000000000002")
        for v in FOREIGN_VILLAGES
    }

    # helpers: one bound to the county (a role above the village), paired across townships; one who signs in;
    # one who signs in and has left (离岗) with a household still paired
    unit = roster.create_unit(by=county, name="县直单位", region_code=f.VILLAGE[:6])
    above = roster.create_helper(
        by=county, unit=unit, name="县直帮扶人", phone="13700000001", region_code=f.VILLAGE[:6]
    )
    for household in (foreign[f.SIBLING_VILLAGE], foreign[f.OTHER_TOWNSHIP_VILLAGE]):
        assistance.pair_household(household, above, by=county, started_on=TODAY)
    for name, username, household in (("在岗帮扶人", "helper", own), ("离岗帮扶人", "inactive_helper", left)):
        helper = roster.create_helper(
            by=county,
            unit=unit,
            name=name,
            phone="1370000000" + str(len(username) % 10),
            region_code=f.VILLAGE[:9],
        )
        assistance.pair_household(household, helper, by=county, started_on=TODAY)
        users[username] = roster.give_helper_login(
            helper, by=county, username=username, password="pw-secret-123"
        )
    Helper.objects.filter(user=users["inactive_helper"]).update(active=False)
    assistance.record_visit(foreign[f.SIBLING_VILLAGE], by=county, visited_on=TODAY, findings="外区走访记录")

    # monitoring: a suspect record, a problem and a department list of the other county
    other = foreign[f.OTHER_COUNTY_VILLAGE]
    Finding.objects.create(
        household=other,
        member=other.members.get(relation="head"),
        village_code=other.village_id,
        department="registry",
        rule="identity_mismatch",
        severity=2,
        detail=f"外区疑点 {other.head_name}",
    )
    monitoring_problems.create_problem(
        by=users["other_county"],
        source="manual",
        region_code=other.village_id,
        household=other,
        description=f"外区问题 {other.head_name}",
        deadline=TODAY + datetime.timedelta(days=30),
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    monitoring_cross_checks.upload_cross_check(
        by=users["liaison"],
        department="vehicle",
        county=other.village_id[:6],
        upload=SimpleUploadedFile(
            "外县名单.csv", f"身份证号,车牌号\n{other.members.get(relation='head').id_number},赣C1\n".encode()
        ),
    )

    # an import of the other county whose error report repeats its household's ID number
    rows = import_rows("外县导入")
    rows[1]["证件号码"] = other.members.get(relation="head").id_number
    path = write_csv(media_root / "other.csv", rows)
    job = ImportJob(user=users["other_county"], scope_code=other.village_id[:6], original_name="外县导入.csv")
    job.file.save("other.csv", io.BytesIO(path.read_bytes()), save=True)
    imports.process_job(job)
    return {"users": users, "own": own, "neighbour": neighbour, "left": left, "foreign": foreign}


@contextlib.contextmanager
def world_for_a_module(django_db_blocker, media) -> Iterator[dict]:
    """build_world in a transaction rolled back when the module's tests are done (a module-scoped fixture's
    body: the records are built once for all the module's requests)."""
    with (
        django_db_blocker.unblock(),
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            MEDIA_ROOT=media,
            TASKS={"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}},
        ),
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield build_world(media)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    with world_for_a_module(django_db_blocker, tmp_path_factory.mktemp("media")) as built:
        yield built


def secrets_of(household: Household) -> list[str]:
    head = household.members.get(relation="head")
    return [household.head_name, head.id_number, household.number]


def ids_of(households) -> list[int]:
    """The values tried for <int:…>: the households' pks, a member's, and an import job's and a suspect
    record's (records of a role above); other records' pks are small integers too, so these reach them as
    well."""
    ids = [h.pk for h in households[:2]] + list(households[0].members.values_list("pk", flat=True)[:1])
    ids += list(ImportJob.objects.values_list("pk", flat=True)[:1]) + list(
        Finding.objects.values_list("pk", flat=True)[:1]
    )
    return sorted(set(ids))


def foreign_of(world, who):
    """The households a role must not reach, and extra strings it must not see."""
    f, foreign = factories, world["foreign"]
    # the helper bound to the county (a role above the village) is listed by design: its households are the
    # secrets
    cases = {
        "clerk": ([foreign[f.SIBLING_VILLAGE]], ["外区走访记录", "外县名单", "外县导入"]),
        "team": ([foreign[f.SIBLING_VILLAGE]], ["外区走访记录", "外县名单", "外县导入"]),
        "township": ([foreign[f.OTHER_TOWNSHIP_VILLAGE]], ["外县名单", "外县导入"]),
        "county": ([foreign[f.OTHER_COUNTY_VILLAGE]], ["外县名单", "外县导入", "外区疑点", "外区问题"]),
        "prefecture": ([foreign[OTHER_PREFECTURE_VILLAGE]], []),
        "province": ([foreign[OTHER_PROVINCE_VILLAGE]], []),
        "helper": (
            [world["neighbour"], world["left"], foreign[f.SIBLING_VILLAGE]],
            ["外区走访记录", "外县导入"],
        ),
        "inactive_helper": ([world["left"], world["neighbour"], world["own"]], ["外区走访记录", "外县导入"]),
        "liaison": (
            [world["own"], foreign[f.SIBLING_VILLAGE], foreign[f.OTHER_COUNTY_VILLAGE]],
            ["外区走访记录", "外县导入"],
        ),
        "anonymous": (
            [world["own"], foreign[f.OTHER_COUNTY_VILLAGE]],
            ["外区走访记录", "外县名单", "外县导入"],
        ),
    }
    return cases[who]


def client_for(world, who) -> Client:
    client = Client()
    if who != "anonymous":
        client.force_login(world["users"][who])
    return client


def masked_secrets(world) -> list[str]:
    """What a role that may not see full ID numbers never sees of the households it does read: numbers and
    birth dates."""
    out = []
    for member in Member.objects.filter(household__in=[world["own"], world["neighbour"]]):
        out += [member.id_number, member.birth_date.isoformat(), f"{member.birth_date:%Y%m%d}"]
    return out + ["13800000001", "6217000000000000001"]


# ---------------------------------------------------------------- every role, every route

ROLES = [
    "clerk",
    "team",
    "township",
    "county",
    "prefecture",
    "province",
    "helper",
    "inactive_helper",
    "liaison",
    "anonymous",
]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ROLES)
def test_no_route_reaches_another_region_or_role(world, who):
    households, extra = foreign_of(world, who)
    secrets = [s for h in households for s in secrets_of(h)] + extra
    if who in MASKED_ROLES:
        secrets += masked_secrets(world)
    foreign_village = households[0].village_id
    values = {
        "int": ids_of(households),
        "str": [foreign_village, foreign_village[:9], foreign_village[:6], str(households[0].pk)],
    }
    client = client_for(world, who)
    user = world["users"].get(who)
    readable = set(registry_selectors.households_for(user).values_list("pk", flat=True)) if user else set()
    api_client = client  # the API by the role's token: a session's unsafe API calls stop at the CSRF check
    if who != "anonymous":
        api_client = Client(
            headers={"Authorization": f"Bearer {issue_token(world['users'][who], name='scope')[1]}"}
        )
    before = database_state()
    last_audit = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
    tried = 0
    for route in all_routes():
        if route.startswith(SKIP_PREFIXES + NO_RECORDS) or (
            route.startswith(PUBLIC_PREFIXES) and who != "anonymous"
        ):
            continue
        methods = ("get", "post", "patch", "put", "delete") if route.startswith("api/") else ("get", "post")
        for path in fill(route, values):
            if (
                path.endswith(".pdf")
                and who not in MASKED_ROLES
                and any(f"/{pk}/" in path for pk in readable)
            ):
                continue  # a PDF of a household the role works with (a second to make): nothing foreign in it
            for method, query in requests_of(route, methods, foreign_village, households[0]):
                if method == "get":
                    response = client.get(path, query)
                elif route.startswith("api/"):
                    response = getattr(api_client, method)(
                        path,
                        {"name": "改名", "address": "改", "reason": "改"},
                        content_type="application/json",
                    )
                else:
                    response = client.post(
                        path + "?region=" + foreign_village, {"q": "外区", "name": "改名", "phone": "1"}
                    )
                tried += 1
                assert response.status_code < 500, f"{who}: {method.upper()} {path} → {response.status_code}"
                if response.status_code == 200:
                    body = text_of(response)
                    for secret in secrets:
                        assert secret not in body, f"{who}: {method.upper()} {path} {query} shows {secret}"
    assert tried > 100
    if who in MASKED_ROLES | {"inactive_helper"}:
        assert database_state() == before  # these roles change nothing, anywhere
    for household in households:
        assert Household.objects.filter(pk=household.pk).values_list().get() == next(
            r for r in before[1][0] if r[0] == household.pk
        )
        assert not AuditEntry.objects.filter(pk__gt=last_audit or 0, household=household).exists()
        if household.village_id != factories.VILLAGE:  # a helper writes their own households of that village
            assert not AuditEntry.objects.filter(
                pk__gt=last_audit or 0, scope_code__startswith=household.village_id
            ).exists()
    if who in ("clerk", "team", "township", "county", "prefecture", "province", "helper"):
        # the same user does reach their own household: the harness sees data when it is there
        assert "本村甲" in text_of(client.get(f"/households/{world['own'].pk}/"))


# ---------------------------------------------------------------- read-only roles write nothing


@pytest.mark.django_db
@pytest.mark.parametrize("who", READ_ONLY_ROLES)
def test_read_only_roles_are_refused_by_every_unsafe_route_and_api_operation(world, who):
    own = world["own"]
    values = {
        "int": ids_of([own]),
        "str": [own.village_id, own.village_id[:9], own.village_id[:6], str(own.pk)],
    }
    before = database_state()
    client = client_for(world, who)
    tried = 0
    for route in all_routes():
        if (
            route.startswith(SKIP_PREFIXES)
            or route.startswith(READ_ONLY_ALLOWED)
            or route.startswith(PUBLIC_PREFIXES)
        ):
            continue
        for path in fill(route, values)[:1]:  # refused before the view runs: one path of each route is enough
            for method in ("post", "put", "patch", "delete"):
                if method == "post":
                    response = client.post(path, {"name": "改名", "year": 2025, "kind": "suspect"})
                else:
                    response = getattr(client, method)(
                        path, {"name": "改名"}, content_type="application/json"
                    )
                tried += 1
                assert response.status_code == 403, f"{who}: {method.upper()} {path} → {response.status_code}"
    assert database_state() == before
    # the API by token as well: refused at authentication, before the body is even read
    _, raw = issue_token(world["users"][who], name="read-only")
    before = database_state()
    token = Client(headers={"Authorization": f"Bearer {raw}"})
    for method, path in api_operations():
        if method in ("post", "put", "patch", "delete"):
            response = getattr(token, method)(
                fill_api(path, values["int"], own.village_id), "{}", content_type="application/json"
            )
            tried += 1
            # the field app's sign-in takes the web session only, its sync a device token only: an API token
            # is refused there at authentication (401), whatever the role
            expected = 401 if path in FIELD_APP_ONLY else 422 if path in READING_POSTS else 403
            assert response.status_code == expected, (
                f"{who}: token {method.upper()} {path} → {response.status_code}"
            )
    assert tried > 100
    assert database_state() == before
