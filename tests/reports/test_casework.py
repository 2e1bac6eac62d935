"""The dashboard's case-work figures (helpers, visits, monitoring, measures, problems, loans): counted live
and read from the rollup patched with the villages written since its refresh, they equal each other and the
lists behind them — after writes, at every level, for a county with its own visit interval, and on later
days."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from fupin.assistance import roster
from fupin.assistance import selectors as assistance
from fupin.assistance import services as assistance_services
from fupin.assistance.models import AssistanceSettings, MeasureCatalogue, MeasureGroup
from fupin.funds import selectors as funds
from fupin.monitoring import problems as monitoring_problems
from fupin.monitoring import selectors as monitoring
from fupin.monitoring import services as monitoring_services
from fupin.monitoring.models import (
    MonitoredHousehold,
    MonitoringKind,
    MonitoringStage,
    Problem,
    ProblemStatus,
)
from fupin.registry import services as registry_services
from fupin.reports import casework_figures, selectors, services
from fupin.reports.models import CaseworkStat, DirtyVillage, StatsState
from tests import factories

from .helpers import TODAY, VILLAGES, YEAR
from .test_dashboard import _changes, _check_all

LEVELS = [
    "36",
    "3607",
    "360722",
    "360722100",
    factories.VILLAGE,
    "360722101",
    "360723",
    factories.OTHER_COUNTY_VILLAGE,
]
DAYS = [TODAY, TODAY + datetime.timedelta(days=30), TODAY + datetime.timedelta(days=250)]
PG = connection.vendor == "postgresql"


def expected(user, code: str, today: datetime.date) -> dict:
    """Each case-work figure as the length of the list behind it."""

    def behind(metric, key="", year=None):
        return selectors.households_behind(user, region=code, metric=metric, key=key, year=year).count()

    out = {
        "needing": behind("needs_helper"),
        "paired": behind("paired"),
        "overdue": assistance.overdue_households(user, region=code, today=today).count(),
    }
    for year in (YEAR - 1, YEAR):
        out[("eliminated", year)] = behind("eliminated", year=year)
        out.update({("measure", year, g.value): behind("measure", g.value, year) for g in MeasureGroup})
    out.update({("monitored", k.value): behind("monitored", k.value) for k in MonitoringKind})
    return out


def figures(counts: casework_figures.CaseworkCounts) -> dict:
    out = {"needing": counts.get("needing"), "paired": counts.get("paired"), "overdue": counts.overdue}
    for year in (YEAR - 1, YEAR):
        out[("eliminated", year)] = counts.get("eliminated", year)
        out.update({("measure", year, g.value): counts.get("measure", year, g.value) for g in MeasureGroup})
    out.update({("monitored", k.value): counts.get("monitored", 0, k.value) for k in MonitoringKind})
    return out


def rolled(code: str, today: datetime.date) -> casework_figures.CaseworkCounts:
    """The rollup's figures (the path large regions take on PostgreSQL), read directly so SQLite checks them
    too."""
    cutoffs, default = casework_figures.visit_cutoffs(code, today)
    counts = casework_figures._casework_from_rollup(code, cutoffs, default)
    assert counts is not None
    return counts


def assert_rollup_equals_lists(admin, settings) -> None:
    settings.FUPIN_STATS_LIVE_LEVEL = 0  # casework_counts counts live
    for code in LEVELS:
        for today in DAYS:
            lists = expected(admin, code, today)
            live = casework_figures.casework_counts(admin, code, today)
            assert live.source == "live"
            assert figures(live) == lists, (code, today)
            assert figures(rolled(code, today)) == lists, (code, today)


def log_written() -> None:
    """On SQLite no trigger logs the villages written: log every village, as the triggers would have."""
    if not PG:
        DirtyVillage.objects.bulk_create(DirtyVillage(village_code=v) for v in VILLAGES)


def other_county_helper(admin):
    unit = roster.create_unit(by=admin, name="大余县帮扶单位", region_code="360723")
    return roster.create_helper(by=admin, unit=unit, name="王帮扶", phone="13907970002", region_code="360723")


def casework_changes(users, registry) -> None:
    """Writes of the case-work kind: pairings made and ended, a visit, a measure, a monitored case reported
    and one eliminated, a county's own visit interval, a problem closed, a loan disbursed."""
    admin, county = users["admin"], users["county"]
    helper = assistance.helpers_for(county).get(name="李帮扶")
    sibling = registry[factories.SIBLING_VILLAGE]
    assistance_services.pair_household(
        sibling[0], helper, by=county, started_on=TODAY - datetime.timedelta(days=90)
    )
    assistance_services.record_visit(
        registry[factories.VILLAGE][0],
        by=county,
        visited_on=TODAY - datetime.timedelta(days=1),
        findings="入户走访",
    )
    registry_services.apply_key_facts(
        sibling[1], by=county, action="change_request", status="exited", exit_year=YEAR
    )
    assistance_services.end_pairing(sibling[1], by=county, on=TODAY, reason="已脱贫")
    assistance_services.save_plan(sibling[0], by=county, target_exit_year=YEAR + 1)
    catalogue = MeasureCatalogue.objects.filter(active=True).exclude(group=MeasureGroup.INDUSTRY).first()
    assistance_services.add_measure(
        sibling[0],
        by=county,
        catalogue=catalogue,
        content="务工",
        year=YEAR,
        deadline=TODAY + datetime.timedelta(days=30),
    )
    assistance_services.add_measure(
        sibling[0],
        by=county,
        catalogue=catalogue,
        content="务工二",
        year=YEAR - 1,
        deadline=TODAY + datetime.timedelta(days=30),
    )
    other = registry[factories.OTHER_COUNTY_VILLAGE]
    assistance_services.pair_household(
        other[1], other_county_helper(admin), by=admin, started_on=TODAY - datetime.timedelta(days=20)
    )
    AssistanceSettings.objects.create(
        county_id="360723", visit_interval_days=10
    )  # overdue there after 10 days, not 60
    monitoring_services.report_monitored(
        other[3],
        by=admin,
        kind=MonitoringKind.UNSTABLE_EXITED,
        source="village_survey",
        year=YEAR,
        risk_description="因病支出骤增",
    )
    MonitoredHousehold.objects.filter(household=registry[factories.VILLAGE][5]).update(
        stage=MonitoringStage.ELIMINATED, eliminated_at=timezone.now()
    )
    problem = Problem.objects.get(status=ProblemStatus.RECTIFIED)
    monitoring_problems.close_problem(problem, by=users["township"], note="已核实整改到位")


def test_live_case_work_figures_equal_their_lists_at_every_level_and_day(users, registry, settings):
    settings.FUPIN_STATS_LIVE_LEVEL = 0
    casework_changes(users, registry)
    for code in LEVELS:
        for today in DAYS:
            assert figures(casework_figures.casework_counts(users["admin"], code, today)) == expected(
                users["admin"], code, today
            ), code


def test_the_rollup_equals_the_lists_when_built_patched_and_refreshed(users, registry, settings):
    admin = users["admin"]
    services.rebuild_stats()
    assert CaseworkStat.objects.filter(region_code="36", metric="needing").exists()
    assert_rollup_equals_lists(admin, settings)
    StatsState.objects.update(
        refresh_requested_at=timezone.now() + datetime.timedelta(days=1)
    )  # no refresh due in this test
    casework_changes(users, registry)
    _changes(users, registry)
    log_written()
    assert rolled("36", TODAY).source == "rollup+live"
    assert_rollup_equals_lists(admin, settings)  # the written villages patched with live counts
    assert services.refresh_stats() == 4
    assert rolled("36", TODAY).source == "rollup"
    assert_rollup_equals_lists(admin, settings)  # folded into the rollup, ancestors changed by the difference
    before = {(r.region_code, r.metric, r.year, r.key): r.households for r in CaseworkStat.objects.all()}
    services.rebuild_stats()
    assert {
        (r.region_code, r.metric, r.year, r.key): r.households for r in CaseworkStat.objects.all()
    } == before


def test_overdue_is_counted_by_day_so_it_moves_with_today(users, registry, settings):
    """A paired household last visited 200 days ago is overdue; one paired 5 days ago becomes overdue 56 days
    on."""
    services.rebuild_stats()
    county = "360722"
    assert rolled(county, TODAY).overdue == 1
    assert rolled(county, TODAY + datetime.timedelta(days=56)).overdue == 2
    assert (
        rolled(county, TODAY + datetime.timedelta(days=56)).overdue
        == assistance.overdue_households(
            users["admin"], region=county, today=TODAY + datetime.timedelta(days=56)
        ).count()
    )


def test_the_case_work_fragment_takes_a_fixed_number_of_queries(
    client, users, registry, django_assert_max_num_queries
):
    client.force_login(users["province"])
    client.get("/reports/casework/")
    for url in (
        "/reports/casework/",
        "/reports/casework/?region=360722",
        f"/reports/casework/?region={factories.VILLAGE}",
    ):
        with django_assert_max_num_queries(30):
            assert client.get(url).status_code == 200


def test_problems_and_loans_equal_their_lists_after_writes(users, registry):
    from tests.funds.test_loans import disbursed_loan

    county = users["county"]
    for code in ("36", "360722", factories.VILLAGE):
        problems = casework_figures.problem_figures(users["province"], code)
        assert (
            problems["open"] == monitoring.problems_for(users["province"], status="open", region=code).count()
        )
        assert (
            problems["overdue"]
            == monitoring.problems_for(users["province"], overdue=True, region=code).count()
        )
    problem = Problem.objects.get(status=ProblemStatus.RECTIFIED)
    monitoring_problems.close_problem(problem, by=users["township"], note="已核实整改到位")
    loan = disbursed_loan(
        users,
        registry[factories.VILLAGE][1],
        amount=3_000_000,
        disbursed_on=TODAY - datetime.timedelta(days=9),
    )
    for code in ("36", "360722", factories.VILLAGE):
        problems = casework_figures.problem_figures(users["province"], code)
        assert (
            problems["open"]
            == monitoring.problems_for(users["province"], status="open", region=code).count()
            == 1
        )
        assert (
            problems["overdue"]
            == monitoring.problems_for(users["province"], overdue=True, region=code).count()
            == 1
        )
        loans = selectors.funds_figures(county, code, YEAR)
        assert (
            loans["loans"]
            == funds.loans_for(county, region=code).filter(disbursed_on__isnull=False).count()
            == 1
        )
        assert loans["loan_amount"] == loans["outstanding"] == 30_000 and loans["open_loans"] == 1
    assert selectors.funds_figures(users["other_county"], "360723", YEAR)["loans"] == 0
    assert loan.region_id.startswith("360722")


@pytest.mark.parametrize(
    "name, code", [("county", "36"), ("county", ""), ("other_county", "360722"), ("township", "360722")]
)
def test_a_region_above_or_beside_the_users_scope_is_counted_live_within_it(
    users, registry, settings, name, code
):
    """The rollup's rows count every household of a region: a user who may not read all of it never gets
    them."""
    settings.FUPIN_STATS_LIVE_LEVEL = 7
    services.rebuild_stats()
    user = users[name]
    counts = casework_figures.casework_counts(user, code)
    assert counts.source == "live" and selectors.region_figures(user, code).source == "live"
    scope = user.region_id
    inside = scope if scope.startswith(code) else None
    assert counts.get("needing") == (
        selectors.households_behind(user, region=inside, metric="needs_helper").count() if inside else 0
    )


def test_a_helper_counts_only_their_paired_households(users, registry):
    from fupin.accounts.models import User

    helper = User.objects.get(username="helper1")
    counts = casework_figures.casework_counts(helper, "")
    assert counts.source == "live"
    assert counts.get("needing") == counts.get("paired") == 2
    assert counts.overdue == assistance.overdue_households(helper).count() == 1


@pytest.mark.skipif(
    not PG, reason="the rollup is read by the pages on PostgreSQL, and its triggers are PostgreSQL's"
)
class TestRollupPages:
    def test_every_case_work_figure_equals_its_list_through_the_rollup_after_writes(
        self, client, users, registry, settings
    ):
        settings.FUPIN_STATS_LIVE_LEVEL = 7  # every level from the rollups
        services.rebuild_stats()
        assert casework_figures.casework_counts(users["province"], "36").source == "rollup"
        assert _check_all(client, users) > 150
        StatsState.objects.update(
            refresh_requested_at=timezone.now() + datetime.timedelta(days=1)
        )  # no refresh due in this test
        casework_changes(users, registry)
        assert casework_figures.casework_counts(users["province"], "36").source == "rollup+live"
        client.force_login(users["county"])
        page = client.get("/reports/casework/?region=360722")
        assert 'data-source="rollup+live"' in page.content.decode()
        assert _check_all(client, users) > 150
        assert services.refresh_stats() == 3
        assert casework_figures.casework_counts(users["province"], "36").source == "rollup"
        assert _check_all(client, users) > 150

    @pytest.mark.parametrize("write", ["pairing", "visit", "measure", "monitored", "catalogue"])
    def test_each_kind_of_case_work_write_logs_its_village(self, users, registry, write):
        services.rebuild_stats()
        county = users["county"]
        household = registry[factories.VILLAGE][0]
        match write:
            case "pairing":
                assistance_services.pair_household(
                    registry[factories.SIBLING_VILLAGE][0],
                    assistance.helpers_for(county).get(name="李帮扶"),
                    by=county,
                    started_on=TODAY,
                )
                village = factories.SIBLING_VILLAGE
            case "visit":
                assistance_services.record_visit(household, by=county, visited_on=TODAY, findings="走访")
                village = factories.VILLAGE
            case "measure":
                measure = household.help_plan.measures.first()
                assistance_services.update_measure(measure, by=county, content="养殖扩大")
                village = factories.VILLAGE
            case "monitored":
                MonitoredHousehold.objects.filter(village_code=factories.OTHER_COUNTY_VILLAGE).update(
                    stage=MonitoringStage.ELIMINATED, eliminated_at=timezone.now()
                )
                village = factories.OTHER_COUNTY_VILLAGE
            case "catalogue":
                MeasureCatalogue.objects.filter(pk=household.help_plan.measures.first().catalogue_id).update(
                    group=MeasureGroup.OTHER
                )
                village = factories.VILLAGE
        assert list(DirtyVillage.objects.values_list("village_code", flat=True).distinct()) == [village]


def test_loan_figures_from_their_rollup_equal_live_counts_after_loan_writes(users, registry, settings):
    """LoanStat is kept by triggers on PostgreSQL (so the county's figures come from it); SQLite counts live.
    Both must give the live count of the loans behind them: disbursed, repaid in part, repaid in full,
    rebuilt."""
    from fupin.funds import services as funds_services
    from fupin.reports.models import LoanStat
    from tests.funds.test_loans import disbursed_loan

    admin, county = users["admin"], users["county"]
    first = disbursed_loan(
        users,
        registry[factories.VILLAGE][1],
        amount=3_000_000,
        disbursed_on=TODAY - datetime.timedelta(days=60),
    )
    second = disbursed_loan(
        users,
        registry[factories.VILLAGE][0],
        amount=2_000_000,
        disbursed_on=TODAY - datetime.timedelta(days=30),
    )

    def assert_rollup_equals_live(expected_county: dict) -> None:
        for code in ("36", "3607", "360722", "360722100", factories.VILLAGE, "360723", ""):
            settings.FUPIN_STATS_LIVE_LEVEL = 7
            rolled = selectors.loan_figures(admin, code)
            settings.FUPIN_STATS_LIVE_LEVEL = 0
            assert rolled == selectors.loan_figures(admin, code), code
        settings.FUPIN_STATS_LIVE_LEVEL = 7
        assert selectors.loan_figures(county, "360722") == expected_county
        if PG:
            assert LoanStat.objects.values(*selectors.LOAN_SUMS).get(region_code="360722") == expected_county

    assert_rollup_equals_live(
        {
            "loans": 2,
            "amount_fen": 5_000_000,
            "open_loans": 2,
            "open_amount_fen": 5_000_000,
            "open_repaid_fen": 0,
        }
    )
    funds_services.record_repayment(
        first, by=county, repaid_on=TODAY - datetime.timedelta(days=1), principal_fen=1_000_000
    )
    assert_rollup_equals_live(
        {
            "loans": 2,
            "amount_fen": 5_000_000,
            "open_loans": 2,
            "open_amount_fen": 5_000_000,
            "open_repaid_fen": 1_000_000,
        }
    )
    funds_services.record_repayment(second, by=county, repaid_on=TODAY, principal_fen=2_000_000)  # settled
    assert_rollup_equals_live(
        {
            "loans": 2,
            "amount_fen": 5_000_000,
            "open_loans": 1,
            "open_amount_fen": 3_000_000,
            "open_repaid_fen": 1_000_000,
        }
    )
    services.rebuild_stats()
    assert_rollup_equals_live(
        {
            "loans": 2,
            "amount_fen": 5_000_000,
            "open_loans": 1,
            "open_amount_fen": 3_000_000,
            "open_repaid_fen": 1_000_000,
        }
    )
    assert selectors.funds_figures(county, "360722", YEAR)["outstanding"] == 20_000


def test_problem_figures_from_their_rollup_equal_live_counts_and_lists_after_writes(
    users, registry, settings
):
    """ProblemStat (kept by triggers on PostgreSQL, by deadline) gives the problems being rectified and those
    overdue on any day as the live count and the ledger list do: after problems are registered at a township
    and a county, rectified, closed out, and one deleted."""
    from fupin.monitoring.models import ProblemSource
    from fupin.reports.models import ProblemStat

    admin, county = users["admin"], users["county"]
    township_problem = monitoring_problems.create_problem(
        by=county,
        source=ProblemSource.MANUAL,
        region_code="360722101",
        description="道路硬化未完成",
        deadline=TODAY - datetime.timedelta(days=1),
    )
    monitoring_problems.create_problem(
        by=users["other_county"],
        source=ProblemSource.MANUAL,
        region_code="360723",
        description="饮水安全待核实",
        deadline=TODAY + datetime.timedelta(days=20),
    )
    problem = monitoring_problems.create_problem(
        by=county,
        source=ProblemSource.MANUAL,
        region_code=factories.SIBLING_VILLAGE,
        description="危房改造",
        deadline=TODAY + datetime.timedelta(days=5),
    )

    def assert_rollup_equals_live_and_lists() -> None:
        for code in (
            "36",
            "3607",
            "360722",
            "360722100",
            "360722101",
            factories.VILLAGE,
            factories.SIBLING_VILLAGE,
            "360723",
            "",
        ):
            for today in DAYS:
                settings.FUPIN_STATS_LIVE_LEVEL = 7
                rolled = casework_figures.problem_figures(admin, code, today)
                settings.FUPIN_STATS_LIVE_LEVEL = 0
                assert rolled == casework_figures.problem_figures(admin, code, today), (code, today)
                lists = monitoring.problems_for(admin, region=code, today=today)
                assert rolled == {
                    "open": lists.filter(status=ProblemStatus.OPEN).count(),
                    "overdue": monitoring.problems_for(admin, region=code, overdue=True, today=today).count(),
                }, code
        if PG:
            assert ProblemStat.objects.filter(region_code="36").exists()

    assert_rollup_equals_live_and_lists()
    monitoring_problems.rectify_problem(
        problem,
        by=users["sibling_clerk"],
        rectification="已完成加固",
        evidence=SimpleUploadedFile("evidence.pdf", b"%PDF-1.4\n%%EOF\n"),
    )
    assert_rollup_equals_live_and_lists()
    monitoring_problems.close_problem(
        Problem.objects.get(status=ProblemStatus.RECTIFIED, region_code=factories.VILLAGE),
        by=users["township"],
        note="已核实整改到位",
    )
    Problem.objects.filter(pk=township_problem.pk).delete()
    assert_rollup_equals_live_and_lists()
    services.rebuild_stats()
    assert_rollup_equals_live_and_lists()
