"""`fupin run-cycle` on a small demo county: every village through every stage."""

from io import StringIO

import pytest
from django.core.management import call_command

from fupin.procedures.models import Batch, Stage
from fupin.registry import codes
from fupin.registry.demo import build_demo_county, income_years
from fupin.registry.models import Household


@pytest.mark.django_db
def test_run_cycle_announces_every_batch_of_the_demo_county():
    build_demo_county(persons=600, seed=7)
    applicants = Household.objects.filter(status=codes.HouseholdStatus.APPLICANT).count()
    out = StringIO()
    year = income_years()[-1]  # the demo's latest survey, with its guarantee checks
    call_command("run_cycle", year=year, stdout=out)
    assert "合计" in out.getvalue()
    assert Batch.objects.exists() and not Batch.objects.exclude(stage=Stage.ANNOUNCED).exists()
    assert Household.objects.filter(status=codes.HouseholdStatus.APPLICANT).count() < applicants
    assert Household.objects.filter(status=codes.HouseholdStatus.EXITED, exit_year=year).exists()
