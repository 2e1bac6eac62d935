"""A sync is one transaction with a savepoint per change (issue 21, the 2,000-change benchmark): the scope is
read once for the upload, not once per change, and the audit entries are chained and written together; a
refused change in the middle still undoes only itself, and the chain stays whole."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fupin.assistance.models import Visit
from fupin.audit.models import AuditEntry
from fupin.audit.verify import verify
from fupin.field.models import SyncedChange, VisitTrace
from tests import factories
from tests.assistance.conftest import pair

TODAY = timezone.localdate().isoformat()


def visit(phone, household, findings="家中一切正常"):
    return phone.change("visit", household, visited_on=TODAY, kind="home", findings=findings, latitude=25.4)


def _reads(queries, table: str) -> int:
    return sum(
        1 for q in queries if q["sql"].lstrip().upper().startswith("SELECT") and f'FROM "{table}"' in q["sql"]
    )


def test_the_scope_and_the_audit_chain_are_read_once_per_upload_not_once_per_change(
    phone, household, helper, users
):
    others = [factories.make_household(head=f"户主{i}") for i in range(3)]
    for h in others:
        pair(h, helper, users["county"])
    changes = [visit(phone, [household, *others][i % 4], f"第{i}次走访") for i in range(12)]
    with CaptureQueriesContext(connection) as captured:
        answer = phone.sync(*changes)
    assert answer.status_code == 200, answer.content
    assert answer.json()["counts"]["accepted"] == 12
    # before: each change read its household through the scope (household_for) and again in record_visit
    # (ensure_household), and locked the chain's head for its own audit entry: 24 and 12 reads for 12 changes
    assert _reads(captured.captured_queries, "registry_household") == 1
    assert _reads(captured.captured_queries, "audit_chainhead") == 1
    assert Visit.objects.count() == 12 and VisitTrace.objects.count() == 12
    assert AuditEntry.objects.filter(action="record_visit").count() == 12
    assert verify().ok


def test_a_refused_change_in_the_middle_undoes_only_itself_and_leaves_no_audit_entry(phone, household):
    good, bad, later = (
        visit(phone, household),
        visit(phone, household, "  "),
        visit(phone, household, "再次走访"),
    )
    before = AuditEntry.objects.count()
    body = phone.sync(good, bad, later).json()
    assert [line["outcome"] for line in body["results"]] == ["accepted", "refused", "accepted"]
    assert body["results"][1]["errors"] == {"findings": "请填写走访情况"}
    assert Visit.objects.count() == 2 and VisitTrace.objects.count() == 2
    assert AuditEntry.objects.count() - before == 2  # the refused visit's entry went with its savepoint
    assert list(SyncedChange.objects.order_by("seq").values_list("outcome", flat=True)) == [
        "accepted",
        "refused",
        "accepted",
    ]
    assert verify().ok
    assert phone.sync(good, bad, later).json()["counts"] == {
        "accepted": 2,
        "merged": 0,
        "refused": 1,
        "conflict": 0,
    }  # replayed: their first receipts, nothing recorded twice
    assert Visit.objects.count() == 2


def test_a_household_taken_out_of_scope_between_uploads_is_refused_by_the_next_one(phone, household, helper):
    phone.sync(visit(phone, household))
    household.pairings.update(ended_on=timezone.localdate())
    line = phone.sync(visit(phone, household)).json()["results"][0]
    assert line["outcome"] == "refused" and line["message"] == "未找到，或不在您的管辖范围内"
    assert Visit.objects.count() == 1
