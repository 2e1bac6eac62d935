"""The dashboard: every figure equals the list behind it, for several regions and roles, after changes."""

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from fupin.core.params import this_year, year_param
from fupin.registry import services as registry_services
from fupin.reports import selectors, services
from fupin.reports.models import DirtyVillage, RegionStat, StatsState
from tests import factories

from .helpers import YEAR, assert_figures_match_lists, make

REGIONS_BY_ROLE = [
    ("province", ["", factories.VILLAGE[:4], factories.VILLAGE[:6]]),
    ("county", ["", factories.VILLAGE[:9], factories.OTHER_TOWNSHIP_VILLAGE[:9], factories.VILLAGE]),
    ("township", ["", factories.SIBLING_VILLAGE]),
    ("clerk", [""]),
]


def _user(users, name):
    from fupin.accounts.models import User

    return users.get(name) or User.objects.get(username=name)


def _check_all(client, users, year=YEAR) -> int:
    checked = 0
    for name, regions in REGIONS_BY_ROLE:
        user = _user(users, name)
        for code in regions:
            query = f"?year={year}" + (f"&region={code}" if code else "")
            checked += assert_figures_match_lists(client, user, "/reports/" + query)
            checked += assert_figures_match_lists(client, user, "/reports/casework/" + query)
    return checked


def _changes(users, registry):
    """A series of changes of the kind the procedures make: exits, new households, types, causes, removals."""
    county = users["county"]
    first = registry[factories.VILLAGE]
    registry_services.apply_key_facts(
        first[1], by=county, action="change_request", status="exited", exit_year=YEAR
    )
    registry_services.apply_key_facts(
        first[2], by=county, action="change_request", household_type="dibao", primary_cause="lack_labour"
    )
    registry_services.apply_key_facts(
        registry[factories.OTHER_TOWNSHIP_VILLAGE][0], by=county, action="change_request", status="removed"
    )
    make(factories.SIBLING_VILLAGE, "poor", type_="wubao", cause="disaster", members=3, reg=YEAR)
    make(factories.OTHER_TOWNSHIP_VILLAGE, "exited", cause="lack_skills", members=4, reg=2018, exit_year=YEAR)
    registry_services.apply_key_facts(
        registry[factories.OTHER_COUNTY_VILLAGE][0],
        by=users["admin"],
        action="change_request",
        status="exited",
        exit_year=YEAR,
    )


def test_every_figure_equals_its_list_for_regions_and_roles(client, users, registry):
    assert _check_all(client, users) > 150


def test_figures_still_equal_their_lists_after_a_series_of_changes(client, users, registry):
    _check_all(client, users)
    _changes(users, registry)
    assert _check_all(client, users) > 150
    assert _check_all(client, users, year=YEAR - 1) > 150


def test_figures_count_what_they_say(users, registry):
    figures = selectors.region_figures(users["county"], factories.VILLAGE[:6])
    village = registry[factories.VILLAGE]
    township_poor = [
        h
        for v in (factories.VILLAGE, factories.SIBLING_VILLAGE, factories.OTHER_TOWNSHIP_VILLAGE)
        for h in registry[v]
        if h.status == "poor"
    ]
    assert figures.get("status", "poor") == [len(township_poor), sum(h.size for h in township_poor)]
    assert (
        figures.get("exit_year", YEAR)[0] == 3
    )  # one exit this year in each of the three villages of the county
    assert figures.get("status", "poor", factories.VILLAGE[:9])[0] == 6
    assert village[0].status == "poor"


@pytest.mark.parametrize("code", ["36", "999999", "360723", "x' OR 1=1"])
def test_region_outside_scope_is_not_found(client, users, registry, code):
    client.force_login(users["county"])
    assert client.get(f"/reports/?region={code}").status_code == 404
    assert client.get(f"/reports/households/?region={code}&metric=registered").status_code == 404


@pytest.mark.parametrize("year", ["abc", "1900", "99999", "", "2016.5"])
def test_a_bad_year_falls_back_to_this_year(client, users, registry, year):
    client.force_login(users["county"])
    response = client.get(f"/reports/?year={year}")
    assert response.status_code == 200
    assert f"（{YEAR}年）" in response.content.decode()


def test_an_unknown_metric_is_not_found(client, users, registry):
    client.force_login(users["county"])
    assert client.get("/reports/households/?metric=nothing").status_code == 404
    assert client.get("/reports/households/?metric=status&key=bogus").status_code == 404


def test_a_liaison_may_not_read_statistics(client, users, registry):
    client.force_login(users["liaison"])
    assert client.get("/reports/").status_code == 403


@pytest.mark.parametrize(
    "url", ["/reports/", "/reports/tables/", "/reports/assessment/", "/reports/households/?metric=registered"]
)
def test_a_helper_reads_no_region_as_a_whole(client, users, registry, url):
    """A helper (帮扶责任人) reads only their paired households, on the assistance pages; no regional
    statistics."""
    from fupin.accounts.models import User

    client.force_login(User.objects.get(username="helper1"))
    assert client.get(url).status_code == 403


def test_the_dashboard_serves_echarts_from_its_own_static_files(client, users, registry):
    client.force_login(users["county"])
    html = client.get("/reports/").content.decode()
    assert (
        "/static/vendor/echarts/echarts.min.js" in html
        and "http" not in html.split("echarts.min.js")[0].rsplit("src=", 1)[1]
    )
    assert client.get("/static/vendor/echarts/echarts.min.js").status_code == 200


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the rollup and its triggers are PostgreSQL's")
class TestRollup:
    def test_the_rollup_serves_large_regions_with_every_figure_equal_to_its_list(
        self, client, users, registry, settings
    ):
        settings.FUPIN_STATS_LIVE_LEVEL = 7  # every level from the rollup
        services.rebuild_stats()
        assert RegionStat.objects.filter(region_code="36").exists()
        assert selectors.region_figures(users["province"], "36").source == "rollup"
        assert _check_all(client, users) > 150

    def test_writes_are_counted_before_the_refresh_and_after_it(self, client, users, registry, settings):
        settings.FUPIN_STATS_LIVE_LEVEL = 7
        services.rebuild_stats()
        StatsState.objects.update(
            refresh_requested_at=timezone.now() + datetime.timedelta(days=1)
        )  # no refresh due in this test
        _changes(users, registry)
        assert DirtyVillage.objects.values("village_code").distinct().count() == 4
        assert selectors.region_figures(users["province"], "36").source == "rollup+live"
        _check_all(client, users)
        assert services.refresh_stats() == 4
        assert not DirtyVillage.objects.exists()
        assert selectors.region_figures(users["province"], "36").source == "rollup"
        _check_all(client, users)
        rolled = selectors.region_figures(users["admin"], "")
        settings.FUPIN_STATS_LIVE_LEVEL = 0  # every level counted live
        live = selectors.region_figures(users["admin"], "")
        assert rolled.source == "rollup" and live.source == "live"
        assert {k: v for k, v in rolled.total.items() if k[0] != "rural"} == dict(live.total)

    def test_a_read_that_finds_written_villages_queues_the_refresh(self, users, registry, settings):
        settings.FUPIN_STATS_LIVE_LEVEL = 7
        services.rebuild_stats()
        _changes(users, registry)
        selectors.region_figures(
            users["province"], "36"
        )  # the task runs at once: tests run tasks inline (tests/conftest.py)
        assert not DirtyVillage.objects.exists()
        assert selectors.region_figures(users["province"], "36").source == "rollup"

    def test_rebuild_command_and_task(self, users, registry):
        from django.core.management import call_command

        from fupin.reports import tasks

        call_command("rebuild_stats")
        before = RegionStat.objects.count()
        tasks.rebuild_stats.enqueue()
        assert RegionStat.objects.count() == before > 0


def test_statistics_years_and_dates_are_sane():
    assert year_param("2016") == 2016 and year_param("2012") is None and year_param("x", 2020) == 2020
    assert year_param(None, this_year()) == timezone.localdate().year


def test_the_rollup_rebuilt_and_refreshed_equals_live_counts_at_every_level(users, registry):
    services.rebuild_stats()
    _changes(users, registry)
    if (
        connection.vendor != "postgresql"
    ):  # no trigger logs the villages written: log them as the trigger would
        DirtyVillage.objects.bulk_create(
            DirtyVillage(village_code=v)
            for v in (
                factories.VILLAGE,
                factories.SIBLING_VILLAGE,
                factories.OTHER_TOWNSHIP_VILLAGE,
                factories.OTHER_COUNTY_VILLAGE,
            )
        )
    assert services.refresh_stats() == 4  # the villages recounted, their ancestors changed by the difference
    admin = users["admin"]
    for code in ("36", "3607", "360722", "360722100", factories.VILLAGE, "360723"):
        rows = RegionStat.objects.filter(region_code=code)
        stored = {(r.metric, r.key): [r.households, r.persons] for r in rows if r.metric != "rural"}
        live = {k: v for k, v in selectors.region_figures(admin, code).total.items() if v[0]}
        assert stored == live, code
        rural = {int(r.key): r.persons for r in rows if r.metric == "rural" and r.persons}
        assert rural == {
            y: n for y, n in selectors.rural_population(admin, code, [YEAR - 1, YEAR]).items() if n
        }, code


def test_pages_take_a_fixed_number_of_queries_however_many_children(
    client, users, registry, django_assert_max_num_queries
):
    client.force_login(users["province"])
    client.get("/reports/")  # sessions and the user, once
    for url in (
        "/reports/",
        "/reports/?region=360722",
        "/reports/casework/",
        "/reports/tables/",
        "/reports/assessment/?region=360722",
    ):
        with django_assert_max_num_queries(40):
            assert client.get(url).status_code == 200


def test_the_households_behind_a_figure_export_the_page_s_list(client, users, registry):
    import re

    from django.urls import reverse

    from fupin.registry.models import Household
    from tests.core.test_table_inventory import _export

    client.force_login(users["county"])
    query = {"metric": "registered", "year": YEAR, "region": factories.VILLAGE[:9]}
    page = client.get("/reports/households/", query).content.decode()
    assert reverse("core:export_start", args=["reports.households"]) in page
    shown = int(re.search(r'id="list-count">(\d+)<', page).group(1))
    status, rows = _export(client, "reports.households", **query)
    assert status == 200 and rows[0][:3] == ["户编号", "行政村", "户主"] and len(rows) == shown + 1 > 1
    numbers = {r[0] for r in rows[1:]}
    assert (
        not Household.objects.filter(number__in=numbers)
        .exclude(village__code__startswith=query["region"])
        .exists()
    )
    assert isinstance(rows[1][3], (int, float))  # 人数, a number
    client.force_login(users["other_county"])
    assert _export(client, "reports.households", **query)[0] == 404
    client.force_login(users["liaison"])
    assert _export(client, "reports.households", **query)[0] == 403
    client.force_login(users["county"])
    assert _export(client, "reports.households", metric="nothing")[0] == 404


def test_the_survey_s_answers_export_the_page_s_list(client, users, registry):
    from django.urls import reverse

    from fupin.reports import survey
    from tests.core.test_table_inventory import _export

    household = registry[factories.VILLAGE][0]
    survey.record_answer(
        by=users["clerk"],
        number=household.number,
        year=YEAR,
        answer="satisfied",
        respondent="户主本人",
        surveyed_on=datetime.date(YEAR, 6, 1),
        note="入户调查",
    )
    client.force_login(users["county"])
    page = client.get("/reports/survey/", {"year": YEAR}).content.decode()
    assert reverse("core:export_start", args=["reports.survey"]) in page
    status, rows = _export(client, "reports.survey", year=YEAR)
    assert status == 200 and rows[0][:4] == ["户编号", "行政村", "户主", "评价"]
    assert (
        len(rows) == 2
        and rows[1][0] == household.number
        and rows[1][3] == "满意"
        and rows[1][4] == "户主本人"
    )
    assert _export(client, "reports.survey", year=YEAR - 1)[1][1:] == []
    assert (
        _export(client, "reports.survey", year=YEAR, region=factories.OTHER_TOWNSHIP_VILLAGE[:9])[1][1:] == []
    )
    client.force_login(users["other_county"])
    assert _export(client, "reports.survey", year=YEAR)[1][1:] == []
    client.force_login(users["liaison"])
    assert _export(client, "reports.survey", year=YEAR)[0] == 403
