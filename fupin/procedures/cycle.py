"""The whole yearly cycle for a county from the command line (`fupin run-cycle`): village records,
quota and reduction plan, then identification, relapse and exit batches for every village through
every stage, on a simulated clock so each notice runs its full period.

Every step goes through the same services a user's clicks do; the simulated evidence files say
that they are simulated. It acts as the inactive system account `fupin-system`.
"""

import datetime
import time
from collections import defaultdict

from django.core.files.base import ContentFile
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext

from fupin.accounts.models import User
from fupin.regions.models import Region, RegionLevel, in_region
from fupin.registry import codes
from fupin.registry.models import GuaranteeCheck, Household, IncomeRecord

from . import notices, quotas, rules, selection, selectors, services
from .models import Batch, Procedure, VillageProfile
from .services import ProcedureError

SYSTEM_USERNAME = "fupin-system"


def system_user() -> User:
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"full_name": "系统（程序模拟运行）", "is_superuser": True, "is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _file(name: str, text: str) -> ContentFile:
    return ContentFile(text.encode("utf-8"), name=name)


def write_village_profiles(county: str, year: int) -> int:
    """Village records for the year from the registry where none has been entered (population,
    estimated poor = poor and applicant persons)."""
    rows = (
        Household.objects.filter(in_region("village_id", county))
        .values("village_id")
        .annotate(
            households=Count("pk"),
            population=Sum("size"),
            poor=Sum(
                "size", filter=Q(status__in=[codes.HouseholdStatus.POOR, codes.HouseholdStatus.APPLICANT])
            ),
        )
    )
    have = set(
        VillageProfile.objects.filter(in_region("village_id", county), year=year).values_list(
            "village_id", flat=True
        )
    )
    new = [
        VillageProfile(
            village_id=r["village_id"],
            year=year,
            households=r["households"],
            population=r["population"] or 0,
            rural_population=r["population"] or 0,
            estimated_poor=r["poor"] or 0,
            is_poor_village=False,
        )
        for r in rows
        if r["village_id"] not in have
    ]
    VillageProfile.objects.bulk_create(new, batch_size=2000)
    return len(new)


class Clock:
    """Simulated time: each village's batch starts at `start` and moves on by whole days."""

    def __init__(self, start: datetime.datetime):
        self.start = start

    def day(self, n: int, hour: int = 9) -> datetime.datetime:
        return self.start + datetime.timedelta(days=n, hours=hour - self.start.hour)


def walk(batch: Batch, *, by, clock: Clock, helper_confirm: bool = False) -> Batch:
    """Take an opened batch with its households through every stage to the announcement."""
    if helper_confirm:
        services.confirm_by_helper(
            list(batch.entries.select_related("batch")),
            by=by,
            helper_name="帮扶责任人（模拟运行）",
            now=clock.day(0),
        )
    services.complete_application(batch, by=by, now=clock.day(1))
    batch.refresh_from_db()
    selection.complete_survey(batch, by=by, now=clock.day(2))
    batch.refresh_from_db()
    votes = {e.pk: (28, 2) for e in batch.entries.filter(state="selected")}
    selection.record_appraisal(
        batch,
        by=by,
        held_on=clock.day(3).date(),
        representatives=35,
        present=30,
        votes=votes,
        minutes=_file("minutes.txt", f"{batch} 村民代表会议记录（模拟运行生成）"),
        now=clock.day(3),
    )
    first_end = notices.post_notice(
        batch,
        by=by,
        photo=_file("notice-photo.txt", "公示张贴记录（模拟运行生成，无照片）"),
        now=clock.day(3, 15),
    ).ends_at
    notices.close_notice(batch, by=by, now=first_end)
    services.approve_review(
        batch, by=by, opinion="乡镇审核通过（模拟运行）", now=first_end + datetime.timedelta(hours=9)
    )
    second_end = notices.post_notice(
        batch,
        by=by,
        photo=_file("notice-photo.txt", "公示张贴记录（模拟运行生成，无照片）"),
        now=first_end + datetime.timedelta(hours=15),
    ).ends_at
    notices.close_notice(batch, by=by, now=second_end)
    services.announce(
        batch, by=by, opinion="县扶贫办复审通过（模拟运行）", now=second_end + datetime.timedelta(hours=10)
    )
    batch.refresh_from_db()
    return batch


def run_cycle(
    *,
    county: str,
    year: int,
    start: datetime.date | None = None,
    progress=None,
    within: str = "",
    skip: frozenset[str] = frozenset(),
) -> dict:
    """Run identification, relapse and exit for every village of the county (or only those whose code starts
    with `within`, leaving out the villages in `skip`; the quota and plan are the county's either way);
    returns counts and timings."""
    by = system_user()
    if not Region.objects.filter(code=county, level=RegionLevel.COUNTY).exists():
        raise ProcedureError(gettext("县代码不存在：%(county)s") % {"county": county})
    if not IncomeRecord.objects.filter(in_region("household__village_id", county), year=year).exists():
        raise ProcedureError(
            gettext("%(county)s没有%(year)s年的收入数据，请先完成年度收入调查")
            % {"county": county, "year": year}
        )
    line = selectors.poverty_line(year, county)
    start_at = timezone.make_aware(
        datetime.datetime.combine(start or datetime.date(year, 10, 8), datetime.time(9))
    )
    clock = Clock(start_at)
    timings, result = {}, {"county": county, "year": year, "poverty_line": str(line), "failures": []}

    t = time.perf_counter()
    result["profiles_written"] = write_village_profiles(county, year)
    applicants = defaultdict(list)
    for pk, village, size in Household.objects.filter(
        in_region("village_id", county), status=codes.HouseholdStatus.APPLICANT
    ).values_list("pk", "village_id", "size"):
        applicants[village].append((pk, size))
    quota = _allocate_quota(by, county, year, applicants)
    exits, relapses, plan = _exit_and_relapse_candidates(county, year, line)
    quotas.set_county_allocation(
        by=by, county_code=county, year=year, persons=plan, basis="registered", which="plan"
    )
    if within or skip:
        applicants, exits, relapses = (
            {v: c for v, c in d.items() if v.startswith(within) and v not in skip}  # type: ignore[misc]
            for d in (applicants, exits, relapses)
        )
    timings["quota_and_plan"] = time.perf_counter() - t

    counts = defaultdict(int)
    t = time.perf_counter()
    for village, members in sorted(applicants.items()):
        try:
            batch = services.open_batch(
                by=by, village_code=village, kind=Procedure.IDENTIFICATION, year=year, now=clock.day(0)
            )
            services.add_households(
                batch, by=by, household_ids=[pk for pk, _ in members], source="self", now=clock.day(0)
            )
            walk(batch, by=by, clock=clock)
            counts["identification_batches"] += 1
            counts["identified_households"] += batch.entries.filter(state="confirmed").count()
        except ProcedureError as e:
            result["failures"].append(f"{village} 识别：{e}")
        if progress:
            progress("识别", village)
    timings["identification"] = time.perf_counter() - t

    t = time.perf_counter()
    _relapse(by, year, relapses, clock, counts, result["failures"])
    timings["relapse"] = time.perf_counter() - t

    t = time.perf_counter()
    exit_clock = Clock(start_at + datetime.timedelta(days=30))
    _exit(by, year, exits, exit_clock, counts, result["failures"], progress)
    timings["exit"] = time.perf_counter() - t
    result.update(counts)
    result["quota_persons"], result["plan_persons"], result["timings"] = quota, plan, timings
    return result


def _allocate_quota(by, county: str, year: int, applicants: dict[str, list]) -> int:
    """The county's quota, the applicants' persons, split down to the villages; returns it."""
    quota = sum(size for v in applicants.values() for _, size in v)
    quotas.set_county_allocation(by=by, county_code=county, year=year, persons=quota, basis="estimated_poor")
    # The county then adjusts the split by hand to the applications actually received, township
    # by township (the totals stay equal at every level).
    wanted = {v: sum(size for _, size in members) for v, members in applicants.items()}
    townships = list(Region.objects.filter(parent_id=county).values_list("code", flat=True))
    quotas.adjust_allocation(
        by=by,
        parent_code=county,
        year=year,
        which="quota",
        values={tw: sum(n for v, n in wanted.items() if v.startswith(tw)) for tw in townships},
    )
    for township in townships:
        villages = Region.objects.filter(parent_id=township).values_list("code", flat=True)
        if villages:
            quotas.adjust_allocation(
                by=by,
                parent_code=township,
                year=year,
                which="quota",
                values={v: wanted.get(v, 0) for v in villages},
            )
    return quota


def _exit_and_relapse_candidates(county: str, year: int, line) -> tuple[dict, dict, int]:
    """(exit candidates per village, relapse candidates per village, the persons of the exit candidates),
    found in bulk for all villages at once."""
    incomes = dict(
        IncomeRecord.objects.filter(in_region("household__village_id", county), year=year).values_list(
            "household_id", "per_capita_net_income"
        )
    )
    unmet = set(
        GuaranteeCheck.objects.filter(in_region("household__village_id", county), year=year)
        .filter(rules.any_unmet())
        .values_list("household_id", flat=True)
    )
    checked = set(
        GuaranteeCheck.objects.filter(in_region("household__village_id", county), year=year).values_list(
            "household_id", flat=True
        )
    )
    exits, relapses = defaultdict(int), defaultdict(list)
    plan = 0
    for pk, village, status, size in Household.objects.filter(
        in_region("village_id", county),
        status__in=[
            codes.HouseholdStatus.POOR,
            codes.HouseholdStatus.MONITORED,
            codes.HouseholdStatus.EXITED,
        ],
    ).values_list("pk", "village_id", "status", "size"):
        income = incomes.get(pk)
        if income is None:
            continue
        met = (pk not in unmet) if pk in checked else None
        if status == codes.HouseholdStatus.POOR and rules.meets_exit_standard(
            income=income, line=line, guarantees_met=met
        ):
            exits[village] += 1
            plan += size
        elif status == codes.HouseholdStatus.MONITORED and income <= line:
            relapses[village].append(pk)
    return exits, relapses, plan


def _relapse(
    by, year: int, relapses: dict[str, list[int]], clock: Clock, counts: dict, failures: list
) -> None:
    for village, pks in sorted(relapses.items()):
        try:
            batch = services.open_batch(
                by=by, village_code=village, kind=Procedure.RELAPSE, year=year, now=clock.day(0)
            )
            for pk in pks:
                cause = (
                    Household.objects.filter(pk=pk).values_list("primary_cause", flat=True).first()
                    or codes.PovertyCause.ILLNESS
                )
                services.add_households(
                    batch,
                    by=by,
                    household_ids=[pk],
                    primary_cause=cause,
                    source="look_back",
                    now=clock.day(0),
                )
            walk(batch, by=by, clock=clock)
            counts["relapse_batches"] += 1
            counts["relapsed_households"] += batch.entries.filter(state="confirmed").count()
        except ProcedureError as e:
            failures.append(f"{village} 返贫：{e}")


def _exit(
    by, year: int, exits: dict[str, int], exit_clock: Clock, counts: dict, failures: list, progress
) -> None:
    for village in sorted(exits):
        try:
            batch = services.open_batch(
                by=by, village_code=village, kind=Procedure.EXIT, year=year, now=exit_clock.day(0)
            )
            services.propose_exit_candidates(batch, by=by, now=exit_clock.day(0))
            walk(batch, by=by, clock=exit_clock, helper_confirm=True)
            counts["exit_batches"] += 1
            counts["exited_households"] += batch.entries.filter(state="confirmed").count()
        except ProcedureError as e:
            failures.append(f"{village} 脱贫：{e}")
        if progress:
            progress("脱贫", village)
