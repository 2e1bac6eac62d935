"""Helpers for walking batches through their stages with a controllable clock."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fupin.procedures import quotas, services, village_profiles
from fupin.procedures.models import Batch
from fupin.registry import codes
from tests import factories

YEAR = 2025


def at(day: int, hour: int = 9) -> datetime.datetime:
    """A moment `day` days after 1 September 2025, local time."""
    base = datetime.datetime(2025, 9, 1, hour)
    return timezone.make_aware(base + datetime.timedelta(days=day))


def upload(name: str = "evidence.jpg", content: bytes = b"\xff\xd8\xff fake jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/jpeg")


def applicant(head: str, income: str, *, members: int = 2, village: str = factories.VILLAGE):
    return factories.make_household(
        village,
        head=head,
        members=members,
        income=income,
        year=YEAR,
        status=codes.HouseholdStatus.UNREGISTERED,
        household_type="",
        primary_cause="",
        registration_year=None,
    )


def batch_in_survey(clerk):
    """An identification batch of the test village past its application, in its survey (调查与初选):
    赵一 has an income of YEAR, 钱二 only one of the year before (issue 18, finding 3)."""
    household = applicant("赵一", "2000")
    late = factories.make_household(
        head="钱二",
        income="4100.00",
        year=YEAR - 1,
        status=codes.HouseholdStatus.UNREGISTERED,
        household_type="",
        primary_cause="",
        registration_year=None,
    )
    batch = services.open_batch(
        by=clerk, village_code=factories.VILLAGE, kind="identification", year=YEAR, now=at(0)
    )
    services.add_households(
        batch, by=clerk, household_ids=[household.pk, late.pk], primary_cause="illness", now=at(0)
    )
    services.complete_application(batch, by=clerk, now=at(1))
    return Batch.objects.get(pk=batch.pk)


def selected_batch(clerk):
    """An identification batch of the test village whose three applicants (two persons each: 赵一, 钱二,
    孙三) are surveyed and appraised (the quota fixture set first)."""
    from .test_identification import _survey_and_appraise  # that module imports this one

    households = [applicant("赵一", "2000"), applicant("钱二", "2500"), applicant("孙三", "3000")]
    batch = services.open_batch(
        by=clerk, village_code=factories.VILLAGE, kind="identification", year=YEAR, now=at(0)
    )
    services.add_households(
        batch, by=clerk, household_ids=[h.pk for h in households], primary_cause="illness", now=at(0)
    )
    services.complete_application(batch, by=clerk, now=at(1))
    _survey_and_appraise(Batch.objects.get(pk=batch.pk), clerk, day=2)
    return batch


@pytest.fixture
def quota(users):
    """信丰县 quota for 2025: 60 persons allocated on estimated poor population; the test village gets 8."""
    county = users["county"]
    for code, estimated in (
        (factories.VILLAGE, 8),
        (factories.SIBLING_VILLAGE, 22),
        ("360722101200", 20),
        ("360722101201", 10),
    ):
        village_profiles.save_village_profile(
            by=users["admin"],
            village_code=code,
            year=YEAR,
            population=1000,
            rural_population=900,
            estimated_poor=estimated,
        )
    return quotas.set_county_allocation(
        by=county, county_code="360722", year=YEAR, persons=60, basis="estimated_poor"
    )


def votes_for_all(batch, present: int, against: dict | None = None) -> dict:
    against = against or {}
    return {
        e.pk: (present - against.get(e.pk, 0), against.get(e.pk, 0))
        for e in batch.entries.filter(state="selected")
    }
