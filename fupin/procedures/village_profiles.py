"""A village's yearly record (VillageProfile), entered or corrected by its township or county."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from fupin.accounts.models import User
from fupin.accounts.scope import ensure_can_edit
from fupin.audit.services import record
from fupin.core import versions
from fupin.regions.models import Region, RegionLevel

from .models import VillageProfile
from .services import ProcedureError

PROFILE_FIELDS = {f.name for f in VillageProfile._meta.concrete_fields} - {
    "id",
    "village",
    "year",
    "updated_at",
    "is_poor_village",
    "identified_year",
    "exit_year",
}


@transaction.atomic
def save_village_profile(
    *, by: User, village_code: str, year: int, expected_version: int | None = None, **fields: Any
) -> VillageProfile:
    """Enter or correct a village's yearly record (the poor-village flag only changes by procedure).

    `expected_version`: the version of the year's record the edit was based on (0: none yet); a record at
    another version is not overwritten (versions.VersionConflict)."""
    unknown = set(fields) - PROFILE_FIELDS
    if unknown:
        raise ProcedureError(gettext("未知字段：%(unknown)s") % {"unknown": ", ".join(sorted(unknown))})
    village = Region.objects.filter(code=village_code, level=RegionLevel.VILLAGE).first()
    if village is None:
        raise ProcedureError(gettext("请选择行政村"))
    ensure_can_edit(by, village.code)
    if (
        fields.get("rural_population", 0)
        and fields.get("population", 0)
        and fields["rural_population"] > fields["population"]
    ):
        raise ProcedureError(gettext("农业户籍人口不能超过总人口"))
    previous = VillageProfile.objects.filter(village=village, year__lt=year).order_by("-year").first()
    profile = VillageProfile.objects.select_for_update().filter(village=village, year=year).first()
    if profile is not None:
        versions.check(profile, expected_version, edit={})
    if profile is None:
        profile = VillageProfile(village=village, year=year)
        if previous:
            profile.is_poor_village, profile.identified_year, profile.exit_year = (
                previous.is_poor_village,
                previous.identified_year,
                previous.exit_year,
            )
    before = {f: getattr(profile, f) for f in fields}
    for k, v in fields.items():
        setattr(profile, k, v)
    profile.save()
    record(
        by=by,
        action="save_village_profile",
        target=profile,
        scope_code=village.code,
        changes={k: [str(before[k]), str(v)] for k, v in fields.items() if before[k] != v},
    )
    return profile
