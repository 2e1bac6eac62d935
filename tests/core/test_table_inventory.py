"""Every table to Excel (issue 18, build item 3): each list page's table beside the household list's — the
change requests' queue, the monitored households — exports the page's columns and rows, scoped as the page:
another county's user gets none of them, a role without the page is refused as the page refuses it."""

import io
import re
from pathlib import Path

import pytest
from django.urls import reverse
from openpyxl import load_workbook

import fupin
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


# ---- discovery: a list page without an export fails (issue 18, "every table to Excel")

ROOT = Path(fupin.__file__).parent
# a table whose rows a loop writes: {% for … %} then (past other tags) a <tr>
ROW_LOOP = re.compile(r"{%\s*for\s[^%]*%}\s*(?:{%[^%]*%}\s*)*<tr\b")
INCLUDE = re.compile(r'{%\s*include\s+"([^"]+)"')
EXPORT_BUTTON = re.compile(r'{%\s*export_button\s+"([\w.]+)"')
# a page with an export of its own, older than table_exports: the address of an .xlsx it writes
OWN_EXPORT = re.compile(
    r"{%\s*url\s+'core:export_start'|format=xlsx|\bexport\.xlsx|{%\s*url\s+'\w+:\w*export\w*'"
)

# Templates that write table rows but are not a list to export, each with the reason. A new template with a
# table of rows fails test_every_list_page_offers_its_export until it links its export or is named here.
NOT_LISTS = {
    "accounts/tokens.html": "the user's own API tokens: a few, and nothing to take away",
    "assistance/handbook.html": "the printed handbook of one household (a PDF's template)",
    "assistance/helper.html": "one helper's page: the households paired to them (a handful)",
    "assistance/household.html": "one household's help plan and visits",
    "assistance/import_helpers.html": "the rows of a file being imported, with their errors",
    "assistance/index.html": "the coverage figures of the regions below one (their lists have exports)",
    "assistance/my_households.html": "a helper's own paired households (a handful), on the phone",
    "assistance/pair_many.html": "a form: the households being paired at once",
    "assistance/public_summary.html": "one household's public summary (a QR code's page)",
    "assistance/visit_form.html": "a form",
    "audit/anchors.html": "the audit chain's anchors: one line per chain",
    "changes/_household_section.html": "one household's change requests, on its page",
    "changes/detail.html": "one change request: its fields before and after",
    "core/todo.html": "the user's to-do list: links to where each thing is done",
    "core/version_fields.html": "a form's conflicting fields",
    "core/work.html": "the background work of the last days, with its actions",
    "declarations/dashboard.html": "counts by region (the declarations list has the export)",
    "declarations/intake.html": "a form",
    "disclosure/_notice_body.html": "one notice's list as it is posted and printed (its PDF)",
    "funds/fund_detail.html": "one fund: its allocations",
    "funds/household_loans.html": "one household's loans",
    "funds/index.html": "the funds' overview figures (the lists under it have exports)",
    "funds/loan_detail.html": "one loan: its schedule and payments",
    "funds/policy.html": "the county's loan policy settings",
    "funds/project_detail.html": "one project: its funding, payments and beneficiaries",
    "funds/public/project_detail.html": "one project's public notice",
    "funds/reconciliation_index.html": "the reconciliation runs; each run's page exports its result",
    "funds/risk_fund.html": "the risk fund's balance and movements of one county",
    "monitoring/case_detail.html": "one monitored household's case",
    "procedures/allocations.html": "a form: the quotas of the regions below one",
    "procedures/batch_detail.html": "one batch: its households, votes and notices (the notice is printed)",
    "procedures/township.html": "a form: a township's review of its villages' lists",
    "procedures/yearly.html": "a form: the year's update of one village",
    "regions/region_detail.html": "the region tree's counts (statistics and the household list export)",
    "registry/_audit_entries.html": "one household's record: the history page exports it (registry.history)",
    "registry/_members.html": "one household's members",
    "registry/household_detail.html": "one household",
    "registry/import_progress.html": "an import's progress and its first errors (the errors file downloads)",
    "registry/import_upload.html": "a form, with the imports of the last days",
    "registry/national_form.html": "one household's printed registration form (a PDF's template)",
    "reports/_casework.html": "statistics (the standard tables export them)",
    "reports/_stat_table.html": "statistics (the standard tables export them)",
    "reports/dashboard.html": "statistics (the standard tables export them)",
    "subscriptions/detail.html": "one webhook's delivery log, for the administrator",
    "subscriptions/list.html": "the administrator's webhooks",
}


def _templates() -> dict[str, str]:
    """Every template by the name it is loaded by (the path under its app's templates/)."""
    out = {}
    for path in ROOT.rglob("*.html"):
        if "templates" in path.parts:
            name = "/".join(path.parts[path.parts.index("templates") + 1 :])
            out[name] = path.read_text(encoding="utf-8")
    return out


def _with_includes(name: str, templates: dict[str, str], seen: tuple = ()) -> str:
    text = templates.get(name, "")
    return text + "".join(
        _with_includes(inner, templates, (*seen, name))
        for inner in INCLUDE.findall(text)
        if inner not in seen
    )


def _tables_of_rows(templates: dict[str, str]) -> set[str]:
    return {name for name, text in templates.items() if ROW_LOOP.search(text)}


def test_every_list_page_offers_its_export():
    """Every template that writes a table row by row links an export (its own, an include's, or the page's it
    is included in), or is named in NOT_LISTS with the reason it is not a list."""
    templates = _templates()
    includers = {
        name: [outer for outer, text in templates.items() if name in INCLUDE.findall(text)]
        for name in templates
    }
    missing = []
    for name in sorted(_tables_of_rows(templates)):
        around = [name, *includers[name]]
        if any(
            EXPORT_BUTTON.search(_with_includes(t, templates))
            or OWN_EXPORT.search(_with_includes(t, templates))
            for t in around
        ):
            continue
        if name not in NOT_LISTS:
            missing.append(name)
    assert missing == [], (
        "list pages without an export (link one, or say in NOT_LISTS why not): " + ", ".join(missing)
    )


def test_the_reasons_for_not_exporting_are_not_stale():
    """A template named in NOT_LISTS still exists, still writes rows and links no export (else drop it)."""
    templates = _templates()
    rows = _tables_of_rows(templates)
    assert sorted(set(NOT_LISTS) - rows) == []
    assert [n for n in NOT_LISTS if EXPORT_BUTTON.search(templates[n])] == []


def test_every_export_link_names_a_table_and_every_table_is_linked():
    templates = _templates()
    linked = {m for text in templates.values() for m in EXPORT_BUTTON.findall(text)}
    registered = set(table_exports.tables())
    assert linked - registered == set()
    # the household list links its two by their address (registry/_household_results.html, import_views.py)
    sources = "".join(templates.values()) + "".join(
        p.read_text(encoding="utf-8") for p in ROOT.rglob("*views.py")
    )
    unlinked = {n for n in registered - linked if f"'{n}'" not in sources and f'"{n}"' not in sources}
    assert unlinked == set()
