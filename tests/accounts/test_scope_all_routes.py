"""Scope is security: as users of one village, one township and one county, try every route
the app has (pages, htmx fragments, exports, the JSON API) against records of a sibling
region, with GET and POST, and get nothing: no foreign data in any response, no change in
the database, no audit entry written.

The routes are enumerated from the URL resolver, so a route added later is tried too.
"""
import io
import re
import subprocess

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from fupin.audit.models import AuditEntry
from fupin.registry.models import GuaranteeCheck, Household, IncomeRecord, Member
from tests import factories

SKIP_PREFIXES = ("admin/", "i18n/", "static/", "media/", "accounts/login", "accounts/logout")
PUBLIC_PREFIXES = ("public/",)  # published notices: public by design, tested for masking elsewhere


def all_routes():
    """(path template, converters) for every URL pattern, e.g. ('households/<int:pk>/', {'pk': 'int'})."""
    out = []

    def walk(patterns, prefix):
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route)
            elif isinstance(p, URLPattern):
                out.append(route)

    walk(get_resolver().url_patterns, "")
    return sorted(set(out))


PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def fill(route: str, values: dict) -> list[str]:
    """Concrete paths for a route template, one per candidate value of its parameters."""
    route = route.lstrip("^").rstrip("$")
    params = PARAM.findall(route)
    if not params:
        return ["/" + route]
    paths = []
    for conv, name in params[:1]:
        kind = "int" if conv == "int" else "str"
        for v in values[kind]:
            rest = PARAM.sub(lambda m, v=v: str(v), route, count=1)
            paths.extend(fill(rest, values) if PARAM.search(rest) else ["/" + rest])
    return paths[:40]


def text_of(response) -> str:
    content = getattr(response, "content", None)
    if content is None:
        content = b"".join(response.streaming_content)
    ctype = response.get("Content-Type", "")
    if "spreadsheet" in ctype or content[:2] == b"PK":
        import openpyxl

        try:
            wb = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
            return " ".join(str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None)
        except Exception:
            return content.decode("latin-1")
    if "pdf" in ctype or content[:4] == b"%PDF":
        try:
            return subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True, timeout=30).stdout.decode()
        except FileNotFoundError:
            return content.decode("latin-1")
    return content.decode("utf-8", "replace")


def state(household: Household) -> tuple:
    return (
        tuple(Household.objects.filter(pk=household.pk).values_list()),
        tuple(Member.objects.filter(household=household).order_by("pk").values_list()),
        tuple(IncomeRecord.objects.filter(household=household).order_by("pk").values_list()),
        tuple(GuaranteeCheck.objects.filter(household=household).order_by("pk").values_list()),
    )


CASES = [
    ("clerk", factories.SIBLING_VILLAGE),
    ("township", factories.OTHER_TOWNSHIP_VILLAGE),
    ("county", factories.OTHER_COUNTY_VILLAGE),
]


@pytest.mark.parametrize("who, foreign_village", CASES)
def test_no_route_reaches_a_sibling_region(client, users, who, foreign_village):
    own = factories.make_household(factories.VILLAGE, head="本村甲")
    foreign = factories.make_household(foreign_village, head="外区乙", members=2)
    foreign_head = foreign.members.get(relation="head")
    foreign_ids = {foreign.pk} | set(foreign.members.values_list("pk", flat=True)) \
        | set(IncomeRecord.objects.filter(household=foreign).values_list("pk", flat=True))
    before = state(foreign)
    last_audit = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
    secrets = ["外区乙", foreign_head.id_number, foreign.number]
    values = {"int": sorted(foreign_ids), "str": [foreign_village, foreign_village[:9], foreign_village[:6], str(foreign.pk)]}
    client.force_login(users[who])
    tried = 0
    for route in all_routes():
        if route.startswith(SKIP_PREFIXES) or route.startswith(PUBLIC_PREFIXES):
            continue
        for path in fill(route, values):
            for method in ("get", "post"):
                query = {"q": "外区", "region": foreign_village}  # a prefix: echoing the search term is not a leak
                if method == "get":
                    response = client.get(path, query)
                else:
                    response = client.post(path + "?region=" + foreign_village, {"q": "外区", "name": "改名", "phone": "1"})
                tried += 1
                assert response.status_code < 500, f"{method.upper()} {path} → {response.status_code}"
                if response.status_code == 200:
                    body = text_of(response)
                    for secret in secrets:
                        assert secret not in body, f"{who}: {method.upper()} {path} shows {secret}"
    assert tried > 10
    assert state(foreign) == before
    assert not AuditEntry.objects.filter(pk__gt=last_audit, scope_code__startswith=foreign_village).exists()
    assert not AuditEntry.objects.filter(pk__gt=last_audit, household=foreign).exists()
    # the same user does reach their own household: the harness can see data when it is there
    assert "本村甲" in text_of(client.get(f"/households/{own.pk}/"))
