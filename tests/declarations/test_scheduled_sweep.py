"""The deadline sweep is one of the daily jobs: a declaration left unverified past its deadline opens its
problem-ledger item without anyone running a command (issue 20: "automatically")."""

import datetime

import pytest
from django.utils import timezone

from fupin.core import schedule
from fupin.declarations.models import Overdue
from tests import factories

from .conftest import declare

pytestmark = pytest.mark.django_db


def test_an_overdue_declaration_opens_its_problem_without_anyone_running_a_command(tree, outbox, settings):
    # every other daily job off, whichever the apps register (a job added later must not change this test)
    others = [job.name for job in schedule.jobs() if job.name != "declaration-deadlines"]
    settings.FUPIN_SCHEDULE = ",".join(f"{name}=off" for name in others)
    d = declare(outbox=outbox, now=timezone.now() - datetime.timedelta(days=30))
    assert d.verify_due < timezone.localdate()
    assert schedule.run_due(
        timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time(23, 59)))
    ) == ["declaration-deadlines"]
    overdue = Overdue.objects.get(declaration=d)
    assert overdue.step == "verify" and overdue.problem.region_code == factories.VILLAGE
