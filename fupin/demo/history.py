"""A lived-in demo: several years of work in the demo county, done through the real services.

`fupin seed-demo` builds the households (`fupin.registry.demo`), then `build_history` gives the county what
its officers would have done with them: two yearly procedure cycles in the demo township (this year's batches
of the demo village left open at the township's review and at a running notice), helper units and helpers
paired to every poor and monitored household, help plans, measures and visits, projects, funds and
microloans, monitored households, a look-back, a department cross-check, problems open and closed,
declarations and change requests. Each step acts as the demo account whose job it is (`by=`), so the audit
trail, the statistics and the to-do lists read as they would in use. Dates run up to today.

This app sits on the top layer: it calls every app's services and no app imports it.
"""

import datetime
import math
import random
from collections import defaultdict

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from fupin.accounts.models import User
from fupin.assistance import bulk, roster
from fupin.assistance import services as assistance
from fupin.assistance.models import HelperKind, MeasureCatalogue, UnitKind
from fupin.procedures import cycle, notices, selection
from fupin.procedures import selectors as procedure_selectors
from fupin.procedures import services as procedures
from fupin.procedures.models import Procedure
from fupin.regions.models import in_region
from fupin.registry import codes
from fupin.registry.demo import DEMO_COUNTY, SURNAMES
from fupin.registry.models import Household

from . import casework, field

NEEDS_HELPER = (codes.HouseholdStatus.POOR, codes.HouseholdStatus.MONITORED)
UNITS = [
    ("信丰县农业农村局", UnitKind.PARTY_GOVERNMENT),
    ("信丰县人民医院", UnitKind.INSTITUTION),
    ("信丰县供电公司", UnitKind.STATE_ENTERPRISE),
    ("赣州市财政局", UnitKind.PARTY_GOVERNMENT),
]
DEMO_HELPER = "demo_helper"


def demo_users() -> dict[str, User]:
    """The demo accounts that `build_demo_county` made, by their role's short name."""
    users = {u.username.removeprefix("demo_"): u for u in User.objects.filter(username__startswith="demo_")}
    missing = {"county", "township", "clerk", "team", "admin"} - set(users)
    if missing:
        raise ValueError(
            gettext("演示账号缺失：%(names)s；请先运行 fupin seed-demo")
            % {"names": ", ".join(sorted(missing))}
        )
    return users


def _file(name: str, text: str) -> ContentFile:
    return ContentFile(text.encode("utf-8"), name=name)


def build_history(*, county: str = DEMO_COUNTY, seed: int = 2015, progress=None) -> dict:
    """Give the demo county its history; returns what was made, by kind."""
    users = demo_users()
    rng = random.Random(seed)
    today = timezone.localdate()
    village = users["clerk"].region_id
    township = users["township"].region_id
    made: dict[str, int] = defaultdict(int)

    def step(name: str) -> None:
        if progress:
            progress(name)

    step("识别与退出")
    waiting = _exit_village(county, township, village, today.year)
    for year in (today.year - 1, today.year):
        result = cycle.run_cycle(
            county=county,
            year=year,
            start=min(datetime.date(year, 10, 8), today - _days(60)),
            within=township,
            skip=frozenset({village, waiting} if year == today.year else ()),
        )
        made["batches"] += sum(result.get(k, 0) for k in ("identification_batches", "exit_batches"))
    with transaction.atomic():
        made["open_batches"] = open_village_batches(users, village, waiting, today)
    step("结对帮扶")
    with transaction.atomic():
        helpers = pair_everyone(users, county, rng, today, made)
        plan_and_visit(users, township, helpers, rng, today, made)
        give_helper_login(users, village, helpers)
    step("项目资金与小额信贷")
    with transaction.atomic():
        casework.funds_and_loans(users, county, township, village, rng, today, made)
    step("监测帮扶")
    with transaction.atomic():
        casework.monitoring_work(users, county, township, village, rng, today, made)
        casework.declarations_and_changes(users, village, rng, today, made)
    step("帮扶 App")
    with transaction.atomic():
        field.field_work(users, village, made)
    # The cross-check runs in the background (the worker `fupin serve` starts), as an upload would.
    casework.cross_check(users, county, village, made)
    return dict(made)


def _households(prefix: str, statuses=NEEDS_HELPER):
    return Household.objects.filter(in_region("village_id", prefix), status__in=statuses).order_by("number")


def _exit_village(county: str, township: str, village: str, year: int) -> str:
    """Another village of the township with households ready to exit this year (the demo village if none)."""
    exits, _, _ = cycle._exit_and_relapse_candidates(
        county, year, procedure_selectors.poverty_line(year, county)
    )
    return next((v for v in sorted(exits) if v.startswith(township) and v != village), village)


def open_village_batches(users: dict[str, User], village: str, waiting: str, today: datetime.date) -> int:
    """This year's work in progress: in another village of the township, an exit batch waiting for the
    township's review; in the demo village, an exit batch whose village notice ends in a few days, with an
    objection to answer."""
    clerk = users["clerk"]
    now = timezone.make_aware(datetime.datetime.combine(today, datetime.time(9)))
    opened = 0
    if waiting != village:
        by = cycle.system_user()
        batch, notice = _exit_to_notice(waiting, by, now - _days(16), today.year)
        if notice:
            notices.close_notice(batch, by=by, now=now - _days(2))
            opened += 1
    batch, notice = _exit_to_notice(village, clerk, now - _days(9), today.year)
    if notice:
        notices.record_objection(
            batch,
            by=clerk,
            entry=batch.entries.order_by("pk").first(),
            content="群众反映该户务工收入不稳定，脱贫后可能返贫",
            objector="村民（匿名）",
            raised_on=today - _days(1),
            now=now - _days(1),
        )
        opened += 1
    return opened


def _exit_to_notice(village: str, by: User, start: datetime.datetime, year: int):
    """An exit batch of the village taken to its village notice, posted a day after `start`: (batch,
    notice)."""
    batch = procedures.open_batch(by=by, village_code=village, kind=Procedure.EXIT, year=year, now=start)
    if not procedures.propose_exit_candidates(batch, by=by, now=start):
        return batch, None
    procedures.confirm_by_helper(
        list(batch.entries.select_related("batch")), by=by, helper_name="帮扶责任人", now=start
    )
    return batch, _to_notice(batch, by, start + _days(1))


def _days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def _to_notice(batch, by: User, start: datetime.datetime):
    """Application, survey and appraisal done; the village notice posted at `start` + 1 day."""
    procedures.complete_application(batch, by=by, now=start)
    batch.refresh_from_db()
    selection.complete_survey(batch, by=by, now=start + _days(1))
    batch.refresh_from_db()
    selected = {e.pk: (27, 3) for e in batch.entries.filter(state="selected")}
    if not selected:
        return None
    selection.record_appraisal(
        batch,
        by=by,
        held_on=(start + _days(1)).date(),
        representatives=33,
        present=30,
        votes=selected,
        minutes=_file("评议会议记录.txt", f"{batch} 村民代表会议记录（演示数据）"),
        chaired_by="村党支部书记",
        now=start + _days(1),
    )
    return notices.post_notice(
        batch,
        by=by,
        photo=_file("公示照片.txt", "公示张贴记录（演示数据）"),
        now=start + _days(1) + datetime.timedelta(hours=6),
    )


def pair_everyone(users: dict[str, User], county: str, rng: random.Random, today, made) -> dict[str, list]:
    """Helper units, a township's worth of helpers each, every poor and monitored household paired."""
    county_user, township_user = users["county"], users["township"]
    units = [
        roster.create_unit(
            by=county_user,
            name=name,
            region_code=county,
            kind=kind,
            contact_person="办公室",
            contact_phone=f"0797-33{i:05d}",
        )
        for i, (name, kind) in enumerate(UNITS, start=1)
    ]
    by_township: dict[str, list[int]] = defaultdict(list)
    for pk, code in _households(county).values_list("pk", "village_id"):
        by_township[code[:9]].append(pk)
    helpers: dict[str, list] = {}
    phone = 0
    for township, pks in sorted(by_township.items()):
        helpers[township] = []
        for _ in range(math.ceil(len(pks) / 4)):
            phone += 1
            helpers[township].append(
                roster.create_helper(
                    by=county_user,
                    unit=units[(phone - 1) % len(units)],
                    name=rng.choice(SURNAMES) + rng.choice("建国志强红梅晓燕海涛文华"),
                    phone=f"139{phone:08d}",
                    region_code=township,
                    kind=HelperKind.CADRE,
                    position="科员",
                )
            )
        by = township_user if township == township_user.region_id else county_user
        for n in range(0, len(pks), 40):  # a township's officer pairs a page of the unpaired list at a time
            bulk.pair_many(
                [(pk, helpers[township][(n + i) // 4].pk) for i, pk in enumerate(pks[n : n + 40])],
                by=by,
                # the demo township paired long ago and visits (plan_and_visit); the others this autumn
                started_on=today
                - _days(rng.randint(200, 700) if township == township_user.region_id else 40),
                reason="县扶贫办统一安排结对",
            )
    made["helper_units"], made["helpers"] = len(units), phone
    made["pairings"] = sum(len(p) for p in by_township.values())
    return helpers


def plan_and_visit(users: dict[str, User], township: str, helpers: dict[str, list], rng, today, made) -> None:
    """The demo township's households: a plan, a measure or two and visits, a few of them overdue."""
    team, county_user = users["team"], users["county"]
    catalogue = list(MeasureCatalogue.objects.order_by("order")[:12])
    for household in _households(township).prefetch_related("pairings__helper"):
        pairing = next((p for p in household.pairings.all() if p.ended_on is None), None)
        helper = pairing.helper if pairing else None
        by = team if household.village_id == team.region_id else county_user
        assistance.save_plan(
            household,
            by=by,
            target_exit_year=max(today.year, household.registration_year or 0),
            goals="稳定增收，两不愁三保障全部达标",
        )
        made["plans"] += 1
        for item in rng.sample(catalogue, k=min(len(catalogue), rng.choice((1, 2)))):
            assistance.add_measure(
                household,
                by=by,
                catalogue=item,
                content=f"{item.name}（演示）",
                year=today.year,
                deadline=datetime.date(today.year, 12, 31),
                planned_amount=rng.choice((0, 500, 1000, 2000)),
                helper=helper,
            )
            made["measures"] += 1
        overdue = rng.random() < 0.15
        for ago in (rng.randint(100, 160), rng.randint(70, 95) if overdue else rng.randint(5, 50)):
            assistance.record_visit(
                household,
                by=by,
                helper=helper,
                visited_on=today - _days(ago),
                findings="宣讲政策，了解收入和两不愁三保障情况",
                guarantees={
                    k: True for k in ("food", "clothing", "education", "medical", "housing", "water")
                },
            )
            made["visits"] += 1


def give_helper_login(users: dict[str, User], village: str, helpers: dict[str, list]) -> None:
    """A sign-in for the helper paired to the demo village's first poor household (demo_helper)."""
    household = _households(village).first()
    if household is None or User.objects.filter(username=DEMO_HELPER).exists():
        return
    helper = household.pairings.filter(ended_on__isnull=True).select_related("helper").get().helper
    from fupin.registry.demo import DEMO_PASSWORD

    roster.give_helper_login(helper, by=users["county"], username=DEMO_HELPER, password=DEMO_PASSWORD)
