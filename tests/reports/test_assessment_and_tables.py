"""Assessment (三率一度), the standard tables and their exports, and the satisfaction survey."""

import datetime
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from fupin.monitoring.models import CrossCheck, Department, Finding, LookBack, LookBackItem
from fupin.reports import assessment, tables
from fupin.reports.models import SatisfactionSurvey
from tests import factories

from .helpers import YEAR, assert_figures_match_lists, make, region


@pytest.fixture
def assessed(users, registry):
    """In the first village: two exits this year, one of them found wrong by a look-back; an unregistered
    household found below standard; three survey answers (two satisfied, one not, one unsure)."""
    admin = users["admin"]
    exits = [make(factories.VILLAGE, "exited", reg=2016, exit_year=YEAR, members=3) for _ in range(2)]
    outside = make(factories.VILLAGE, "unregistered", type_="", cause="", reg=None, members=2)
    campaign = LookBack.objects.create(
        name="回头看",
        region_id=factories.VILLAGE[:6],
        year=YEAR,
        starts_on=datetime.date(YEAR, 1, 1),
        ends_on=datetime.date(YEAR, 1, 31),
        income_line=Decimal("5000"),
        created_by=admin,
    )
    LookBackItem.objects.create(
        campaign=campaign,
        household=exits[0],
        village_code=factories.VILLAGE,
        group="registered",
        income=True,
        housing=False,
        checked_on=datetime.date(YEAR, 1, 5),
    )
    LookBackItem.objects.create(
        campaign=campaign,
        household=exits[1],
        village_code=factories.VILLAGE,
        group="registered",
        income=True,
        housing=True,
        checked_on=datetime.date(YEAR, 1, 5),
    )
    LookBackItem.objects.create(
        campaign=campaign,
        household=outside,
        village_code=factories.VILLAGE,
        group="unregistered",
        income=False,
        checked_on=datetime.date(YEAR, 1, 6),
    )
    for h, answer in zip(
        registry[factories.VILLAGE][:4], ["satisfied", "basically", "unsatisfied", "unsure"], strict=True
    ):
        SatisfactionSurvey.objects.create(
            household=h,
            village_code=factories.VILLAGE,
            year=YEAR,
            answer=answer,
            respondent="户主",
            surveyed_on=datetime.date(YEAR, 1, 9),
            recorded_by=admin,
        )
    return {"exits": exits, "outside": outside}


def test_the_three_rates_and_the_plan_follow_their_formulas(users, assessed):
    result = assessment.assessment(users["county"], region(factories.VILLAGE[:6]), YEAR)
    township = next(r for r in result["rows"] if r.code == factories.VILLAGE[:9])
    # exits this year in the township: one per village of the fixture (2) + the two above
    assert township.exits == 4 and township.wrong_exits == 1
    assert township.wrong_exit_rate == Decimal("25.00")
    assert township.omitted == 1
    assert township.omission_rate == tables.percent(1, township.poor_end + 1)
    assert (township.satisfied, township.answered) == (2, 3)
    assert township.satisfaction == Decimal("66.67")
    assert township.plan == 4 and township.plan_rate == tables.percent(township.exit_persons, 4)
    total = result["total"]
    assert (
        total.plan == 10
        and total.exits == township.exits + next(r for r in result["rows"] if r.code != township.code).exits
    )


def test_a_confirmed_cross_check_finding_makes_an_exit_wrong(users, assessed):
    check = CrossCheck.objects.create(
        department=Department.VEHICLE,
        original_name="车辆.xlsx",
        uploaded_by=users["admin"],
        retain_until=timezone.localdate(),
    )
    Finding.objects.create(
        cross_check=check,
        household=assessed["exits"][1],
        village_code=factories.VILLAGE,
        department=Department.VEHICLE,
        rule="vehicle",
        severity=2,
        detail="有小汽车",
        decision="rectify",
    )
    result = assessment.assessment(users["township"], region(factories.VILLAGE[:9]), YEAR)
    village = next(r for r in result["rows"] if r.code == factories.VILLAGE)
    assert village.wrong_exits == 2


def test_assessment_page_numbers_equal_their_lists_and_show_the_formulas(client, users, assessed):
    assert assert_figures_match_lists(client, users["county"], f"/reports/assessment/?year={YEAR}") >= 12
    html = client.get(f"/reports/assessment/?year={YEAR}").content.decode()
    for name, formula, _ in assessment.FORMULAS:
        assert name in html and formula in html


def test_assessment_exports_xlsx_and_prints(client, users, assessed):
    client.force_login(users["county"])
    response = client.get(f"/reports/assessment/?year={YEAR}&format=xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(response.getvalue())).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[2][:4] == ("区划代码", "区划名称", "当年脱贫户", "错退户")
    assert any(r[0] == factories.VILLAGE[:9] and r[3] == 1 for r in rows)
    printed = client.get(f"/reports/assessment/print/?year={YEAR}").content.decode()
    assert "data-print" in printed and "fupin/fupin.js" in printed  # the print button, without inline script


def test_standard_tables_numbers_equal_their_lists(client, users, registry):
    for user, code in (
        (users["province"], ""),
        (users["county"], factories.VILLAGE[:9]),
        (users["clerk"], ""),
    ):
        url = f"/reports/tables/?year={YEAR}" + (f"&region={code}" if code else "")
        assert assert_figures_match_lists(client, user, url) > 20


def test_standard_tables_export_the_same_numbers_as_the_page(client, users, registry):
    client.force_login(users["county"])
    result = tables.standard_tables(users["county"], region(factories.VILLAGE[:6]), YEAR)
    response = client.get(f"/reports/tables/?year={YEAR}&format=xlsx")
    wb = load_workbook(io.BytesIO(response.getvalue()))
    assert wb.sheetnames == ["表1", "表2", "表3"]
    for table, ws in zip(result, wb.worksheets, strict=True):
        rows = list(ws.iter_rows(min_row=4, values_only=True))
        # strict=False: the sheet's notes follow the total row
        for expected, got in zip(table.rows + [table.total], rows, strict=False):
            values = [
                float(v) if isinstance(v, Decimal) else v for v in map(tables.value_of, expected["cells"])
            ]
            assert list(got[2 : 2 + len(values)]) == values


def test_standard_tables_of_a_village_and_a_year_long_ago(client, users, registry):
    client.force_login(users["clerk"])
    assert client.get("/reports/tables/?year=2014").status_code == 200
    page = client.get("/reports/tables/print/?year=2014").content.decode()
    assert "填报单位" in page and "2014年" in page


def test_survey_answers_are_recorded_once_per_household_and_year(client, users, registry):
    household = registry[factories.VILLAGE][0]
    client.force_login(users["clerk"])
    data = {
        "number": household.number,
        "year": YEAR,
        "answer": "satisfied",
        "respondent": "张三丰",
        "surveyed_on": "2024-01-02",
    }
    assert client.post("/reports/survey/", data).status_code == 302
    assert client.post("/reports/survey/", {**data, "answer": "unsatisfied"}).status_code == 302
    survey = SatisfactionSurvey.objects.get(household=household, year=YEAR)
    assert survey.answer == "unsatisfied" and survey.village_code == factories.VILLAGE


def test_survey_refuses_households_outside_scope_and_read_only_roles(client, users, registry):
    other = registry[factories.OTHER_COUNTY_VILLAGE][0]
    client.force_login(users["clerk"])
    data = {
        "number": other.number,
        "year": YEAR,
        "answer": "satisfied",
        "respondent": "某",
        "surveyed_on": "2024-01-02",
    }
    response = client.post("/reports/survey/", data)
    assert response.status_code == 200 and "不在您的管辖范围内" in response.content.decode()
    client.force_login(users["province"])
    assert client.post("/reports/survey/", data).status_code == 403
    assert not SatisfactionSurvey.objects.exists()
