"""Every table to Excel (issue 18, build item 3): each list page's table beside the household list's — the
change requests' queue, the monitored households — exports the page's columns and rows, scoped as the page:
another county's user gets none of them, a role without the page is refused as the page refuses it."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from fupin.changes import services as changes
from fupin.changes.models import ChangeKind
from fupin.core import table_exports
from fupin.monitoring import services as monitoring
from fupin.registry import codes
from tests import factories

pytestmark = pytest.mark.django_db


def _export(client, name, **params):
    response = client.get(reverse("core:export_start", args=[name]), params)
    if response.status_code != 200:
        return response.status_code, []
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return 200, [[c.value for c in row] for row in sheet.iter_rows()]


def test_the_inventory_of_tables():
    assert {
        "registry.households",
        "registry.household_form",
        "changes.queue",
        "monitoring.cases",
        "declarations.list",
        "funds.projects",
        "funds.loans",
        "assistance.unpaired",
        "assistance.overdue",
        "assistance.helpers",
        "monitoring.signals",
        "monitoring.lookbacks",
        "monitoring.findings",
        "procedures.batches",
    } <= set(table_exports.tables())


def test_change_requests_queue(client, users):
    household = factories.make_household(head="张三丰")
    changes.propose(
        household,
        by=users["clerk"],
        kind=ChangeKind.TYPE_CHANGE,
        payload={"household_type": codes.HouseholdType.DIBAO_POOR},
        reason="低保认定",
        evidence_reference="认定表",
    )
    client.force_login(users["township"])
    status, rows = _export(client, "changes.queue")
    assert status == 200 and rows[0][:3] == ["编号", "状态", "变更类型"]
    assert (
        len(rows) == 2 and rows[1][4] == "张三丰" and isinstance(rows[1][0], (int, float))
    )  # a number, not text
    client.force_login(users["other_county"])
    assert _export(client, "changes.queue")[1][1:] == []
    client.force_login(users["liaison"])
    assert _export(client, "changes.queue")[0] == 403
    client.force_login(users["township"])
    assert _export(client, "changes.queue", household="999999")[0] == 404


def test_monitored_households(client, users):
    household = factories.make_household(
        head="脱贫户", status=codes.HouseholdStatus.EXITED, exit_year=2020, income="4200.00", year=2025
    )
    monitoring.report_monitored(
        household,
        by=users["clerk"],
        kind="unstable_exited",
        source="village_survey",
        year=2025,
        risk_description="户主突发脑梗，收入下降",
    )
    client.force_login(users["county"])
    status, rows = _export(client, "monitoring.cases")
    assert status == 200 and len(rows) == 2 and rows[1][1] == "脱贫户"
    assert rows[1][6] is not None  # the day it was reported, as a date
    page = client.get(reverse("monitoring:case_list")).content.decode()
    assert reverse("core:export_start", args=["monitoring.cases"]) in page
    client.force_login(users["other_county"])
    assert _export(client, "monitoring.cases")[1][1:] == []
    client.force_login(users["liaison"])
    assert _export(client, "monitoring.cases")[0] == 403


def test_problem_ledger_masks_an_id_number_typed_into_the_text(client, users):
    import datetime

    from fupin.monitoring import problems
    from fupin.monitoring.models import ProblemSource

    number = factories.id_number()
    problems.create_problem(
        by=users["township"],
        source=ProblemSource.INSPECTION,
        region_code=factories.VILLAGE,
        description=f"危房改造滞后 {number}",
        deadline=datetime.date.today() + datetime.timedelta(days=3),
    )
    client.force_login(users["county"])
    status, rows = _export(client, "monitoring.problems")
    assert status == 200 and len(rows) == 2 and rows[1][2].startswith("危房改造滞后")
    assert number not in rows[1][2]
    client.force_login(users["other_county"])
    assert _export(client, "monitoring.problems")[1][1:] == []
