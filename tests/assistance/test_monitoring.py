"""Helper monitoring (June, December) and demand lists: totals reconcile with the plans themselves."""

import datetime
import io
from decimal import Decimal

from django.db.models import Sum
from openpyxl import load_workbook

from fupin.assistance import exports, selectors, services
from fupin.assistance.models import HelpMeasure, MeasureCatalogue, MeasureStatus
from tests import factories

from .conftest import TODAY, pair

YEAR = TODAY.year


def _plans(county_user, make_helper):
    """Two helpers in two townships, measures in several states, one measure with no helper."""
    a, b = make_helper("甲干部"), make_helper("乙干部")
    item = {c.code: c for c in MeasureCatalogue.objects.all()}
    specs = [
        (
            factories.VILLAGE,
            a,
            [
                ("planting", "1000.00", "800.00", MeasureStatus.DONE),
                ("education", "500.50", "0", MeasureStatus.PLANNED),
            ],
        ),
        (factories.SIBLING_VILLAGE, a, [("housing", "15000.00", "15000.00", MeasureStatus.DONE)]),
        (
            factories.OTHER_TOWNSHIP_VILLAGE,
            b,
            [
                ("breeding", "2000.25", "1000.00", MeasureStatus.IN_PROGRESS),
                ("microcredit", "50000.00", "0", MeasureStatus.CANCELLED),
            ],
        ),
        (factories.OTHER_TOWNSHIP_VILLAGE, None, [("health", "300.00", "300.00", MeasureStatus.DONE)]),
    ]
    for i, (village, helper, measures) in enumerate(specs):
        household = factories.make_household(village, head=f"户主{i}")
        if helper:
            pair(household, helper, county_user, days_ago=20)
            services.record_visit(household, by=county_user, visited_on=TODAY, findings="走访")
        services.save_plan(household, by=county_user, target_exit_year=YEAR)
        for code, planned, actual, status in measures:
            m = services.add_measure(
                household,
                by=county_user,
                catalogue=item[code],
                content=code,
                year=YEAR,
                deadline=datetime.date(YEAR, 12, 31),
                planned_amount=planned,
            )
            services.update_measure(
                m,
                by=county_user,
                status=status,
                actual_amount=actual,
                result="有成效",
                income_increase="100.00" if status == MeasureStatus.DONE else "0",
            )
    return a, b


def test_monitoring_totals_reconcile_with_the_plans(users, county_user, make_helper):
    _plans(county_user, make_helper)
    month = 12 if TODAY.month > 6 else 6
    report = selectors.helper_monitoring(county_user, year=YEAR, month=month)
    live = HelpMeasure.objects.filter(year=YEAR).exclude(status=MeasureStatus.CANCELLED)
    sums = live.aggregate(
        planned=Sum("planned_amount"), actual=Sum("actual_amount"), inc=Sum("income_increase")
    )
    t = report["totals"]
    assert t["measures"] == live.count() == 5
    assert t["planned_amount"] == sums["planned"] == Decimal("18800.75")
    assert t["actual_amount"] == sums["actual"] and t["income_increase"] == sums["inc"]
    assert t["measures_done"] == live.filter(status=MeasureStatus.DONE).count()
    assert t["households"] == 3 and t["helpers"] == 2 and t["visits"] == 3
    # townships add up to the county, helpers' rows add up to their township
    for key in ("measures", "planned_amount", "actual_amount", "households", "visits"):
        assert sum(tw[key] for tw in report["townships"]) == t[key]
        for tw in report["townships"]:
            assert sum(r[key] for r in report["rows"] if r["township"] == tw["township"]) == tw[key]
    a_rows = [r for r in report["rows"] if r["helper"] == "甲干部"]
    assert (
        len(a_rows) == 1
        and a_rows[0]["planned_amount"] == Decimal("16500.50")
        and a_rows[0]["households"] == 2
    )
    assert any(
        r["helper"] == "（未指定责任人）" and r["planned_amount"] == Decimal("300.00") for r in report["rows"]
    )
    # the export carries the same totals
    wb = load_workbook(io.BytesIO(exports.monitoring_xlsx(report)))
    county_row = [c.value for c in wb["县汇总"][2]]
    assert county_row[3] == 5 and Decimal(str(county_row[7])) == Decimal("18800.75")


def test_monitoring_report_is_submitted_per_township(users, county_user, make_helper):
    _plans(county_user, make_helper)
    township = users["township"]
    report = services.submit_monitoring(by=township, region_code=factories.VILLAGE[:9], year=YEAR, month=12)
    assert report.totals["measures"] == 3 and report.totals["planned_amount"] == "16500.50"
    assert selectors.monitoring_reports_for(county_user).count() == 1


def test_demand_list_sums_by_village_and_township(users, county_user, make_helper):
    _plans(county_user, make_helper)
    data = selectors.demand_list(county_user, year=YEAR)
    villages = {(r["village_code"], r["item"].code): r for r in data["villages"]}
    assert villages[(factories.VILLAGE, "planting")]["planned_amount"] == Decimal("1000.00")
    assert (factories.OTHER_TOWNSHIP_VILLAGE, "microcredit") not in villages  # cancelled
    townships = {(r["township"], r["item"].code): r for r in data["townships"]}
    assert townships[(factories.VILLAGE[:9], "housing")]["households"] == 1
    assert sum(r["planned_amount"] for r in data["items"]) == sum(
        r["planned_amount"] for r in data["villages"]
    )
    assert sum(r["measures"] for r in data["townships"]) == 5
    wb = load_workbook(io.BytesIO(exports.demand_xlsx(data)))
    assert wb.sheetnames == ["按村汇总", "按乡镇汇总", "合计"]
    # a township office sees only its own township
    mine = selectors.demand_list(users["township"], year=YEAR)
    assert {r["township"] for r in mine["townships"]} == {factories.VILLAGE[:9]}
