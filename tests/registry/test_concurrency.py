"""The registry's invariants hold when two requests race (issue 16, finding 4): the database decides
(PostgreSQL)."""

import threading
import time
from decimal import Decimal

import pytest
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.test import Client

from fupin.registry import codes, services
from fupin.registry.models import Household, Member
from tests import factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(*calls):
    """Run the calls at once, each on its own connection; their results (or exceptions) in order."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite takes one writer at a time")
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            outcomes[i] = call()
        except Exception as e:  # noqa: BLE001 - the test reads what each call ended with
            outcomes[i] = e
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _post_json(user, url, body):
    return lambda: _client(user).post(url, body, content_type="application/json").status_code


def test_two_heads_posted_at_once_make_one_head(users):
    household = factories.make_household(members=0, income=None, status=codes.HouseholdStatus.UNREGISTERED)
    url = f"/api/v1/households/{household.pk}/members/"
    first = {"name": "王一", "relation": "head", "id_number": factories.id_number()}
    second = {"name": "王二", "relation": "head", "id_number": factories.id_number()}
    statuses = []
    for _ in range(3):
        Member.objects.filter(household=household).delete()
        statuses = race(_post_json(users["clerk"], url, first), _post_json(users["team"], url, second))
        assert Member.objects.filter(household=household, relation="head").count() == 1, statuses
        assert sorted(statuses) in ([201, 409], [201, 422]), statuses


def test_two_members_made_head_at_once_leave_one_head(users):
    household = factories.make_household(members=3, income=None, status=codes.HouseholdStatus.UNREGISTERED)
    head = household.members.get(relation="head")
    sons = list(household.members.exclude(pk=head.pk))
    services.update_member(head, by=users["clerk"], relation=codes.Relation.FATHER)
    outcomes = race(
        *[
            lambda m=m: services.update_member(m, by=users["clerk"], relation=codes.Relation.HEAD)
            for m in sons
        ]
    )
    assert household.members.filter(relation="head").count() == 1, outcomes
    assert sum(isinstance(o, Member) for o in outcomes) == 1, outcomes


def test_the_database_refuses_a_second_head_whatever_writes_it(users):
    household = factories.make_household(members=2, income=None, status=codes.HouseholdStatus.UNREGISTERED)
    son = household.members.exclude(relation="head").get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.filter(pk=son.pk).update(relation=codes.Relation.HEAD)
    assert household.members.filter(relation="head").count() == 1


def test_the_same_person_posted_to_two_households_at_once_lands_once(users):
    first = factories.make_household(members=1, income=None, status=codes.HouseholdStatus.UNREGISTERED)
    second = factories.make_household(
        head="李四", members=1, income=None, status=codes.HouseholdStatus.UNREGISTERED
    )
    person = {"name": "赵五", "relation": "son", "id_number": factories.id_number()}
    statuses = race(
        *[_post_json(users["clerk"], f"/api/v1/households/{h.pk}/members/", person) for h in (first, second)]
    )
    assert Member.objects.filter(id_number=person["id_number"]).count() == 1
    assert sorted(statuses) in ([201, 409], [201, 422]), statuses


def _waiting(count: int, errors=()) -> None:
    """Until `count` other connections wait for a lock (this test holds it). pg_locks, not pg_stat_activity,
    whose rows are read once per transaction."""
    for _ in range(200):
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(DISTINCT pid) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0] >= count:
                return
        time.sleep(0.05)
    raise AssertionError(f"{count} connections never waited for the lock: {list(errors)}")


def test_two_years_of_income_at_once_leave_the_latest_year_as_latest_income(users):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    household = factories.make_household(members=2, income=None, status=codes.HouseholdStatus.UNREGISTERED)
    threads, errors = [], []

    def enter(year, wages):
        def run():
            try:
                services.record_income(household, by=users["clerk"], year=year, wages=wages)
            except Exception as e:  # noqa: BLE001
                errors.append(e)
            finally:
                connection.close()

        return threading.Thread(target=run)

    # While this test holds the household's row, the later year is entered first, then the earlier one: each
    # queues behind the lock in that order, and the earlier year's entry is the last to write.
    with transaction.atomic():
        Household.objects.select_for_update().get(pk=household.pk)
        for n, (year, wages) in enumerate(((2025, "9000"), (2024, "5000")), start=1):
            threads.append(enter(year, wages))
            threads[-1].start()
            _waiting(n, errors)
    for t in threads:
        t.join()
    assert not errors, errors
    household.refresh_from_db()
    assert household.incomes.count() == 2
    assert household.latest_income == Decimal("4500.00")
