"""Helpers of the statistics tests: a small registry spread over the test tree, with the records behind every
dashboard figure (relapses, monitored cases, pairings, visits, measures, problems), and the figure-vs-list
check."""

import datetime
import importlib
import re
from urllib.parse import parse_qs, urlsplit

from django.apps import apps
from django.utils import timezone

from fupin.assistance import roster
from fupin.assistance import selectors as assistance
from fupin.assistance import services as assistance_services
from fupin.assistance.models import MeasureCatalogue
from fupin.monitoring import selectors as monitoring
from fupin.monitoring.models import (
    MonitoredHousehold,
    MonitoringKind,
    MonitoringStage,
    Problem,
    ProblemSource,
    ProblemStatus,
)
from fupin.procedures.models import (
    Batch,
    BatchHousehold,
    EntryState,
    Procedure,
    ReductionPlan,
    Stage,
    VillageProfile,
)
from fupin.regions.models import Region
from fupin.registry import codes
from fupin.registry.selectors import households_for
from tests import factories

YEAR = timezone.localdate().year
TODAY = timezone.localdate()
VILLAGES = [
    factories.VILLAGE,
    factories.SIBLING_VILLAGE,
    factories.OTHER_TOWNSHIP_VILLAGE,
    factories.OTHER_COUNTY_VILLAGE,
]


def load_catalogue() -> None:
    importlib.import_module("fupin.assistance.migrations.0002_measure_catalogue").load(apps, None)


def make(
    village, status="poor", *, type_="general_poor", cause="illness", members=2, reg=2016, exit_year=None
):
    return factories.make_household(
        village,
        members=members,
        status=status,
        household_type=type_,
        primary_cause=cause,
        registration_year=reg,
        exit_year=exit_year,
        income=None,
    )


def build_registry(users) -> dict:
    """Households of every status, type and cause in four villages of two counties, and their case work."""
    admin = users["admin"]
    out = {}
    mixes = [
        ("poor", "general_poor", "illness", 2016, None),
        ("poor", "dibao_poor", "schooling", 2017, None),
        ("poor", "wubao", "disability", None, None),
        ("exited", "general_poor", "illness", 2016, YEAR - 1),
        ("exited", "dibao_poor", "lack_funds", 2016, YEAR),
        ("monitored", "general_poor", "illness", 2015, YEAR - 2),
        ("applicant", "", "", None, None),
        ("removed", "general_poor", "illness", 2016, None),
    ]
    for n, village in enumerate(VILLAGES):
        out[village] = [
            make(village, s, type_=t, cause=c, members=1 + (i + n) % 4, reg=r, exit_year=e)
            for i, (s, t, c, r, e) in enumerate(mixes[: 8 - n])
        ]
        VillageProfile.objects.create(village_id=village, year=YEAR, rural_population=100 + 10 * n)
    ReductionPlan.objects.create(region_id=factories.VILLAGE[:6], year=YEAR, persons=10)
    ReductionPlan.objects.create(region_id=factories.VILLAGE[:9], year=YEAR, persons=4)
    # a relapse announced this year in the first village
    batch = Batch.objects.create(
        kind=Procedure.RELAPSE,
        village_id=factories.VILLAGE,
        year=YEAR,
        stage=Stage.ANNOUNCED,
        opened_at=timezone.now(),
        stage_since=timezone.now(),
        announced_at=timezone.now(),
    )
    relapsed = out[factories.VILLAGE][0]
    BatchHousehold.objects.create(
        batch=batch, household=relapsed, state=EntryState.CONFIRMED, persons=relapsed.size
    )
    # monitored cases: one open in each county, one eliminated this year
    for village, kind in (
        (factories.VILLAGE, MonitoringKind.MARGINAL),
        (factories.OTHER_COUNTY_VILLAGE, MonitoringKind.SUDDEN_HARDSHIP),
    ):
        h = out[village][-1] if village == factories.OTHER_COUNTY_VILLAGE else out[village][5]
        MonitoredHousehold.objects.create(
            household=h,
            village_code=village,
            kind=kind,
            source="village_survey",
            year=YEAR,
            stage=MonitoringStage.MEASURES,
            risk_description="因病",
        )
    MonitoredHousehold.objects.create(
        household=out[factories.SIBLING_VILLAGE][3],
        village_code=factories.SIBLING_VILLAGE,
        kind=MonitoringKind.UNSTABLE_EXITED,
        source="village_survey",
        year=YEAR,
        stage=MonitoringStage.ELIMINATED,
        risk_description="因灾",
        eliminated_at=timezone.now(),
    )
    # a helper paired to two poor households, one visited long ago (overdue), and a measure
    unit = roster.create_unit(by=users["county"], name="信丰县农业农村局", region_code=factories.VILLAGE[:6])
    helper = roster.create_helper(
        by=users["county"], unit=unit, name="李帮扶", phone="13907970001", region_code=factories.VILLAGE[:9]
    )
    roster.give_helper_login(helper, by=users["county"], username="helper1", password="pw-secret-123")
    for h, days in ((out[factories.VILLAGE][0], 200), (out[factories.SIBLING_VILLAGE][1], 5)):
        assistance_services.pair_household(
            h, helper, by=users["county"], started_on=TODAY - datetime.timedelta(days=days)
        )
    assistance_services.save_plan(out[factories.VILLAGE][0], by=users["county"], target_exit_year=YEAR + 1)
    catalogue = MeasureCatalogue.objects.filter(active=True).first()
    assistance_services.add_measure(
        out[factories.VILLAGE][0],
        by=users["county"],
        catalogue=catalogue,
        content="养殖",
        year=YEAR,
        deadline=TODAY + datetime.timedelta(days=30),
        helper=helper,
    )
    # problems: one open and overdue, one rectified, one closed
    for status, deadline in (
        (ProblemStatus.OPEN, TODAY - datetime.timedelta(days=3)),
        (ProblemStatus.RECTIFIED, TODAY),
        (ProblemStatus.CLOSED, TODAY - datetime.timedelta(days=9)),
    ):
        Problem.objects.create(
            source=ProblemSource.MANUAL,
            region_code=factories.VILLAGE,
            description="住房待核实",
            deadline=deadline,
            status=status,
            created_by=admin,
        )
    return out


LINK = re.compile(r'<a[^>]*href="([^"]+)"[^>]*>\s*(\d+)\s*</a>')


def linked_figures(html: str) -> list[tuple[str, int]]:
    """Every number on the page that is a link: (url, number)."""
    return [(url.replace("&amp;", "&"), int(n)) for url, n in LINK.findall(html)]


def count_behind(client, user, url: str) -> int | None:
    """The length of the list a figure links to, read the way that list reads it; None: not a household
    list."""
    parts = urlsplit(url)
    params = {k: v[0] for k, v in parse_qs(parts.query).items()}
    region = params.get("region", "")
    if parts.path == "/households/":
        filters = {k: params[k] for k in ("status", "household_type", "cause") if k in params}
        if region and region != user.region_id:
            filters["region"] = region
        return households_for(user, **filters).count()
    if parts.path == "/reports/households/":
        page = client.get(url)
        assert page.status_code == 200, url
        return int(re.search(r'id="list-count">(\d+)<', page.content.decode()).group(1))
    if parts.path == "/assistance/unpaired/":
        return assistance.unpaired_households(user, region=region).count()
    if parts.path == "/assistance/overdue/":
        return assistance.overdue_households(user, region=region).count()
    if parts.path == "/monitoring/problems/":
        qs = monitoring.problems_for(
            user, status=params.get("status", ""), overdue=params.get("overdue") == "1"
        )
        if region:
            qs = qs.filter(region_code__startswith=region)
        return qs.count()
    return None


def assert_figures_match_lists(client, user, url: str) -> int:
    """Open a statistics page and check every linked number against the list behind it; how many were
    checked."""
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, url
    checked = 0
    for link, number in linked_figures(response.content.decode()):
        behind = count_behind(client, user, link)
        if behind is None:
            continue
        assert behind == number, f"{url}: {link} shows {number}, its list has {behind}"
        checked += 1
    return checked


def region(code: str) -> Region:
    return Region.objects.get(code=code)


HOUSEHOLD_STATUSES = codes.HouseholdStatus
