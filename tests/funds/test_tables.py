"""The funds lists to Excel (issue 18, build item 3): the project library and the microloans export the page's
columns and rows for the county the page shows, filtered as the page; another county's user gets none of them,
a user who may read no county is refused as the page refuses."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from fupin.funds.models import ProjectCategory
from fupin.registry import codes
from tests import factories
from tests.funds.test_funds import make_project
from tests.funds.test_loans import apply

pytestmark = pytest.mark.django_db


def _export(client, name, **params):
    response = client.get(reverse("core:export_start", args=[name]), params)
    if response.status_code != 200:
        return response.status_code, []
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return 200, [[c.value for c in row] for row in sheet.iter_rows()]


def test_project_library_exports_the_pages_rows(client, users):
    make_project(users["county"], code="XF2025-001", name="南山村产业路硬化", budget=12_345_600)
    make_project(users["county"], code="XF2025-002", name="北岭村饮水工程", category=ProjectCategory.WATER)
    client.force_login(users["county"])
    page = client.get(reverse("funds:project_list")).content.decode()
    assert reverse("core:export_start", args=["funds.projects"]) in page
    status, rows = _export(client, "funds.projects")
    assert status == 200 and rows[0][:2] == ["项目编号", "项目名称"]
    assert sorted(r[0] for r in rows[1:]) == ["XF2025-001", "XF2025-002"]
    road = next(r for r in rows[1:] if r[0] == "XF2025-001")
    assert road[1] == "南山村产业路硬化" and road[2] == 2025
    assert Decimal(str(road[7])) == Decimal("123456.00")  # yuan, a number
    # the page's filters: category and the search box
    assert [r[0] for r in _export(client, "funds.projects", category=ProjectCategory.WATER)[1][1:]] == [
        "XF2025-002"
    ]
    assert [r[0] for r in _export(client, "funds.projects", q="XF2025-001")[1][1:]] == ["XF2025-001"]
    assert _export(client, "funds.projects", year="2019")[1][1:] == []
    client.force_login(users["other_county"])
    assert _export(client, "funds.projects")[1][1:] == []
    # asking for our county by name still gives the other county's own (none of ours)
    assert _export(client, "funds.projects", county=factories.VILLAGE[:6])[1][1:] == []
    client.force_login(users["liaison"])
    assert _export(client, "funds.projects")[0] == 404


def test_microloans_export_the_pages_rows(client, users):
    household = factories.make_household(head="张三丰")
    loan = apply(users, household, amount=5_000_000)
    client.force_login(users["county"])
    page = client.get(reverse("funds:loan_list")).content.decode()
    assert reverse("core:export_start", args=["funds.loans"]) in page
    status, rows = _export(client, "funds.loans")
    assert status == 200 and len(rows) == 2
    assert rows[1][0] == loan.borrower_name and rows[1][1] == household.number
    assert Decimal(str(rows[1][4])) == Decimal("50000.00") and rows[1][5] == "申请"
    assert rows[1][6] == 36 and rows[1][7] is not None and rows[1][10] == "已申请"
    assert _export(client, "funds.loans", kind="enterprise")[1][1:] == []
    assert len(_export(client, "funds.loans", q=household.number)[1]) == 2
    # never more than the page: no ID number in any cell
    head_id = household.members.get(relation=codes.Relation.HEAD).id_number
    assert not any(head_id in str(c) for r in rows for c in r)
    client.force_login(users["other_county"])
    assert _export(client, "funds.loans")[1][1:] == []
    client.force_login(users["liaison"])
    assert _export(client, "funds.loans")[0] == 404


def test_the_funds_list_exports_the_page_s_rows(client, users):
    from tests.funds.test_funds import make_fund

    make_fund(users["county"])
    client.force_login(users["county"])
    page = client.get(reverse("funds:fund_list")).content.decode()
    assert reverse("core:export_start", args=["funds.funds"]) in page
    status, rows = _export(client, "funds.funds")
    assert status == 200 and rows[0][:3] == ["年度", "资金名称", "来源"]
    assert len(rows) == 2 and rows[1][0] == 2025 and rows[1][1] == "2025年中央财政专项扶贫资金"
    assert Decimal(str(rows[1][4])) == Decimal("200000.00")  # yuan, a number
    assert _export(client, "funds.funds", year="2019")[1][1:] == []
    assert _export(client, "funds.funds", source="provincial")[1][1:] == []
    client.force_login(users["other_county"])
    assert _export(client, "funds.funds")[1][1:] == []
    assert _export(client, "funds.funds", county=factories.VILLAGE[:6])[1][1:] == []
    client.force_login(users["liaison"])
    assert _export(client, "funds.funds")[0] == 404  # as the page: no county to read


def test_the_public_projects_export_for_a_signed_in_user(client, users):
    import datetime

    from fupin.funds import projects

    project = make_project(users["county"], code="XF2025-009", name="公示的产业路")
    projects.publish_project(project, by=users["county"], on=datetime.date(2025, 3, 1))
    make_project(users["county"], code="XF2025-010", name="未公示的项目")
    assert "导出Excel" not in client.get(reverse("funds:public_projects")).content.decode()
    client.force_login(users["other_county"])  # public: any signed-in user sees what the public sees
    page = client.get(reverse("funds:public_projects")).content.decode()
    assert reverse("core:export_start", args=["funds.public_projects"]) in page
    status, rows = _export(client, "funds.public_projects")
    assert status == 200 and [r[2] for r in rows[1:]] == ["公示的产业路"]
    assert rows[1][0] == 2025 and rows[1][10] is not None
    assert _export(client, "funds.public_projects", year="2019")[1][1:] == []
    assert _export(client, "funds.public_projects", county=factories.OTHER_COUNTY_VILLAGE[:6])[1][1:] == []
