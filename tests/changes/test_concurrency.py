"""Two reviewers approving at once, or two clerks proposing at once on the same household: row locks decide
(PostgreSQL)."""

import threading

import pytest
from django.core.exceptions import PermissionDenied
from django.db import close_old_connections, connection

from fupin.audit.models import AuditEntry
from fupin.changes import services
from fupin.changes.models import ChangeKind, ChangeRequest, ChangeStatus
from tests import factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(*calls):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    barrier = threading.Barrier(len(calls))
    outcomes = []

    def run(call):
        try:
            barrier.wait()
            call()
            outcomes.append("done")
        except (services.ChangeError, PermissionDenied) as e:
            outcomes.append(str(e))
        except Exception as e:  # a deadlock or a constraint violation: what the locks are there to prevent
            outcomes.append(f"error: {type(e).__name__}: {e}")
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == len(calls) and not any(o.startswith("error: ") for o in outcomes), outcomes
    return outcomes


def test_two_approvals_at_once_apply_the_change_once(users):
    household = factories.make_household(members=2)
    request = services.propose(
        household,
        by=users["clerk"],
        kind=ChangeKind.TYPE_CHANGE,
        payload={"household_type": "dibao_poor"},
        reason="低保认定",
        evidence_reference="认定表",
    )
    outcomes = _race(
        lambda: services.approve(request, by=users["township"]),
        lambda: services.approve(request, by=users["county"]),
    )
    assert sorted(outcomes)[0] == "done" and outcomes.count("done") == 1
    assert ChangeRequest.objects.get().status == ChangeStatus.APPROVED
    assert AuditEntry.objects.filter(action="approve_change").count() == 1


def test_two_proposals_at_once_on_one_household_make_one_request(users):
    household = factories.make_household(members=2)

    def propose(user, household_type):
        return lambda: services.propose(
            household,
            by=user,
            kind=ChangeKind.TYPE_CHANGE,
            payload={"household_type": household_type},
            reason="认定",
            evidence_reference="表",
        )

    outcomes = _race(propose(users["clerk"], "dibao_poor"), propose(users["team"], "wubao"))
    assert outcomes.count("done") == 1
    assert ChangeRequest.objects.count() == 1


def test_two_crossing_moves_at_once_make_one_request_and_no_deadlock(users):
    first = factories.make_household(head="张甲", members=2)
    second = factories.make_household(head="李乙", members=2)

    def move(source, target):
        son = source.members.exclude(relation="head").get()
        return lambda: services.propose(
            source,
            by=users["clerk"],
            kind=ChangeKind.MOVE_MEMBER,
            reason="迁户",
            evidence_reference="户口簿",
            payload={"member_id": son.pk, "target_household_id": target.pk, "relation": "son"},
        )

    outcomes = _race(move(first, second), move(second, first))
    assert outcomes.count("done") == 1 and ChangeRequest.objects.count() == 1
