"""A realistic, deterministic synthetic county for demonstration and benchmarks.

The county is 信丰县 (江西省赣州市, code 360722), whose townships and villages are
real; everything about the households is invented: valid ID numbers with plausible
ages and relations, incomes around the poverty line, national types and causes,
guarantees mostly met. The same seed gives the same county.
"""

import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from fupin.accounts.models import Role, User
from fupin.audit.services import entry as audit_entry
from fupin.audit.services import record_many
from fupin.core.idnumber import check_character
from fupin.regions.models import Region, RegionLevel, in_region
from fupin.regions.services import load_regions, read_divisions, select_divisions

from . import codes
from .models import (
    Consent,
    ConsentMethod,
    ConsentScope,
    GuaranteeCheck,
    Household,
    IncomeRecord,
    Member,
    per_capita_net_income,
)
from .services import initials

DEMO_COUNTY = "360722"
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余于杜叶程魏苏吕丁任沈"
    "姚卢钟姜崔谭陆范汪廖石金贾夏韦付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常汤康易乔赖文"
)
GIVEN_MALE = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欢阳建国庆春生福贵德荣根发水金长才兴"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀英华慧巧美玉兰凤洁琳素云莲真环雪荣爱妹香月莺媛红梅琴燕萍桂珍"
POVERTY_LINE = Decimal("4000")

STATUS_WEIGHTS = [
    (codes.HouseholdStatus.POOR, 40),
    (codes.HouseholdStatus.EXITED, 48),
    (codes.HouseholdStatus.MONITORED, 7),
    (codes.HouseholdStatus.APPLICANT, 3),
    (codes.HouseholdStatus.REMOVED, 2),
]
TYPE_WEIGHTS = [
    (codes.HouseholdType.GENERAL_POOR, 62),
    (codes.HouseholdType.DIBAO_POOR, 24),
    (codes.HouseholdType.WUBAO, 7),
    (codes.HouseholdType.DIBAO, 7),
]
CAUSE_WEIGHTS = [
    (codes.PovertyCause.ILLNESS, 30),
    (codes.PovertyCause.DISABILITY, 11),
    (codes.PovertyCause.SCHOOLING, 9),
    (codes.PovertyCause.DISASTER, 3),
    (codes.PovertyCause.LACK_LAND, 3),
    (codes.PovertyCause.LACK_WATER, 1),
    (codes.PovertyCause.LACK_SKILLS, 11),
    (codes.PovertyCause.LACK_LABOUR, 13),
    (codes.PovertyCause.LACK_FUNDS, 12),
    (codes.PovertyCause.POOR_TRANSPORT, 2),
    (codes.PovertyCause.LACK_MOTIVATION, 3),
    (codes.PovertyCause.OTHER, 2),
]
SIZE_WEIGHTS = [(1, 9), (2, 18), (3, 24), (4, 25), (5, 15), (6, 9)]


def _pick(rng: random.Random, weighted):
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


@dataclass
class DemoPerson:
    name: str
    id_number: str
    sex: str
    birth_date: datetime.date
    relation: str
    education: str
    schooling: str
    health: str
    labour_skill: str
    work_status: str
    work_months: int
    disability_category: str = ""
    disability_level: str = ""
    phone: str = ""


@dataclass
class DemoHousehold:
    village_code: str
    number: str
    status: str
    household_type: str
    primary_cause: str
    other_causes: list
    registration_year: int
    exit_year: int | None
    members: list[DemoPerson] = field(default_factory=list)
    incomes: dict = field(default_factory=dict)  # year -> dict of components
    guarantees: dict = field(default_factory=dict)  # item -> (met, note)
    farmland_area: Decimal = Decimal("0")
    housing_area: Decimal = Decimal("0")
    is_dangerous_house: bool = False
    phone: str = ""
    bank_account: str = ""


class DemoGenerator:
    def __init__(self, seed: int, today: datetime.date | None = None):
        self.rng = random.Random(seed)
        self.today = today or datetime.date(2025, 12, 31)
        self.used_ids: set[str] = set()

    def id_number(self, birth: datetime.date, sex: str, area: str = DEMO_COUNTY) -> str:
        while True:
            seq = self.rng.randrange(0, 500) * 2 + (1 if sex == "M" else 0)
            first17 = f"{area}{birth:%Y%m%d}{seq:03d}"
            number = first17 + check_character(first17)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number

    def birth(self, age: int) -> datetime.date:
        year = self.today.year - age
        return datetime.date(year, self.rng.randint(1, 12), self.rng.randint(1, 28))

    def schooling(self, age: int) -> tuple[str, str]:
        """(education, schooling) likely at that age."""
        rng = self.rng
        if age < 6:
            education, schooling = (
                codes.Education.PRESCHOOL,
                (codes.SchoolingStatus.PRESCHOOL if age >= 3 else codes.SchoolingStatus.NOT_IN_SCHOOL),
            )
        elif age < 12:
            education, schooling = codes.Education.PRIMARY, codes.SchoolingStatus.PRIMARY
        elif age < 15:
            education = codes.Education.PRIMARY
            schooling = [
                codes.SchoolingStatus.GRADE7,
                codes.SchoolingStatus.GRADE8,
                codes.SchoolingStatus.GRADE9,
            ][age - 12]
        elif age < 18:
            education = codes.Education.JUNIOR
            schooling = rng.choice(
                [
                    codes.SchoolingStatus.SENIOR1,
                    codes.SchoolingStatus.SENIOR2,
                    codes.SchoolingStatus.VOCATIONAL1,
                    codes.SchoolingStatus.NOT_IN_SCHOOL,
                ]
            )
        elif age < 23 and rng.random() < 0.35:
            education, schooling = (
                codes.Education.SENIOR,
                rng.choice(
                    [
                        codes.SchoolingStatus.JUNIOR_COLLEGE,
                        codes.SchoolingStatus.UNIVERSITY,
                        codes.SchoolingStatus.HIGHER_VOCATIONAL,
                    ]
                ),
            )
        else:
            schooling = codes.SchoolingStatus.NOT_IN_SCHOOL
            education = _pick(
                rng,
                [
                    (codes.Education.ILLITERATE, 12 if age > 55 else 2),
                    (codes.Education.PRIMARY, 40 if age > 45 else 15),
                    (codes.Education.JUNIOR, 35),
                    (codes.Education.SENIOR, 10),
                    (codes.Education.SECONDARY_VOCATIONAL, 5),
                ],
            )
        return education, schooling

    def work(self, age: int, health: str, schooling: str) -> tuple[str, str, int]:
        """(labour skill, work status, months worked) likely at that age, health and schooling."""
        rng = self.rng
        if age < 16 or schooling != codes.SchoolingStatus.NOT_IN_SCHOOL:
            labour, work, months = codes.LabourSkill.NONE, codes.WorkStatus.NOT_WORKING, 0
        elif age > 65 or health in (codes.Health.SERIOUS, codes.Health.DISABLED):
            labour, work, months = (
                (codes.LabourSkill.LOST if age <= 75 else codes.LabourSkill.NONE),
                codes.WorkStatus.NOT_WORKING,
                0,
            )
        else:
            labour = _pick(rng, [(codes.LabourSkill.ORDINARY, 80), (codes.LabourSkill.SKILLED, 20)])
            work = _pick(
                rng,
                [
                    (codes.WorkStatus.IN_TOWNSHIP, 15),
                    (codes.WorkStatus.IN_COUNTY, 15),
                    (codes.WorkStatus.IN_PROVINCE, 15),
                    (codes.WorkStatus.OUT_OF_PROVINCE, 25),
                    (codes.WorkStatus.NOT_WORKING, 30),
                ],
            )
            months = 0 if work == codes.WorkStatus.NOT_WORKING else rng.randint(3, 12)
        return labour, work, months

    def person(self, surname: str, age: int, sex: str, relation: str) -> DemoPerson:
        rng = self.rng
        given = GIVEN_MALE if sex == "M" else GIVEN_FEMALE
        name = surname + "".join(rng.choice(given) for _ in range(rng.choice((1, 2, 2))))
        birth = self.birth(age)
        education, schooling = self.schooling(age)
        health = _pick(
            rng,
            [
                (codes.Health.HEALTHY, 70 if age < 60 else 40),
                (codes.Health.CHRONIC, 15 if age < 60 else 40),
                (codes.Health.SERIOUS, 6),
                (codes.Health.DISABLED, 6),
            ],
        )
        disability_category = disability_level = ""
        if health == codes.Health.DISABLED:
            disability_category = rng.choice([c for c in codes.DisabilityCategory.values if c])
            disability_level = rng.choice(["1", "2", "3", "4"])
        labour, work, months = self.work(age, health, schooling)
        phone = (
            f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
            if 18 <= age <= 70 and rng.random() < 0.6
            else ""
        )
        return DemoPerson(
            name,
            self.id_number(birth, sex),
            sex,
            birth,
            relation,
            education,
            schooling,
            health,
            labour,
            work,
            months,
            disability_category,
            disability_level,
            phone,
        )

    def household(self, village_code: str, number: str, years: list[int]) -> DemoHousehold:
        rng = self.rng
        status = _pick(rng, STATUS_WEIGHTS)
        htype = _pick(rng, TYPE_WEIGHTS)
        size = 1 if htype == codes.HouseholdType.WUBAO else _pick(rng, SIZE_WEIGHTS)
        primary = _pick(rng, CAUSE_WEIGHTS)
        others = sorted({_pick(rng, CAUSE_WEIGHTS) for _ in range(rng.choice((0, 0, 1, 2)))} - {primary})
        registration_year = rng.choice([2014, 2014, 2015, 2016, 2017, 2018, 2019])
        exit_year = (
            rng.randint(max(registration_year, 2016), 2020)
            if status in (codes.HouseholdStatus.EXITED, codes.HouseholdStatus.MONITORED)
            else None
        )
        surname = rng.choice(SURNAMES)
        head_age = rng.randint(62, 85) if htype == codes.HouseholdType.WUBAO else rng.randint(28, 78)
        head_sex = "M" if rng.random() < 0.85 else "F"
        members = [self.person(surname, head_age, head_sex, codes.Relation.HEAD)]
        remaining = size - 1
        if remaining and head_age < 80:
            spouse_sex = "F" if head_sex == "M" else "M"
            members.append(
                self.person(
                    rng.choice(SURNAMES),
                    max(20, head_age + rng.randint(-5, 3)),
                    spouse_sex,
                    codes.Relation.SPOUSE,
                )
            )
            remaining -= 1
        if remaining and head_age < 55 and rng.random() < 0.3:
            members.append(
                self.person(
                    surname,
                    min(95, head_age + rng.randint(22, 32)),
                    rng.choice("MF"),
                    codes.Relation.FATHER if rng.random() < 0.5 else codes.Relation.MOTHER,
                )
            )
            members[-1] = self._fix_parent_sex(members[-1])
            remaining -= 1
        while remaining:
            child_age = max(0, head_age - rng.randint(20, 38))
            sex = rng.choice("MF")
            if child_age > 40 and rng.random() < 0.5:
                # a grown child's own child: a grandchild of the head
                child_age = max(0, child_age - 25)
                relation = codes.Relation.GRANDSON if sex == "M" else codes.Relation.GRANDDAUGHTER
            else:
                relation = codes.Relation.SON if sex == "M" else codes.Relation.DAUGHTER
            members.append(self.person(surname, child_age, sex, relation))
            remaining -= 1
        h = DemoHousehold(
            village_code, number, status, htype, primary, others, registration_year, exit_year, members
        )
        h.farmland_area = Decimal(rng.randint(0, 80)) / 10
        h.housing_area = Decimal(rng.randint(30, 160))
        h.is_dangerous_house = status == codes.HouseholdStatus.POOR and rng.random() < 0.05
        h.phone = next((m.phone for m in members if m.phone), "")
        h.bank_account = f"6217{rng.randrange(10**15):015d}"
        for year in years:
            h.incomes[year] = self.income(h, year)
        unmet = (
            status in (codes.HouseholdStatus.POOR, codes.HouseholdStatus.MONITORED) and rng.random() < 0.12
        )
        h.guarantees = {
            g: (True, "") for g in ("food", "clothing", "education", "medical", "housing", "water")
        }
        if unmet:
            item = rng.choice(["housing", "medical", "water", "education"])
            note = {
                "housing": "住房为C级危房，待改造",
                "medical": "一名成员未参加医保",
                "water": "季节性缺水",
                "education": "一名适龄儿童辍学",
            }[item]
            h.guarantees[item] = (False, note)
        if h.is_dangerous_house:
            h.guarantees["housing"] = (False, "住房为C级危房，待改造")
        return h

    def _fix_parent_sex(self, person: DemoPerson) -> DemoPerson:
        want = "M" if person.relation == codes.Relation.FATHER else "F"
        if person.sex == want:
            return person
        return self.person(person.name[0], self.today.year - person.birth_date.year, want, person.relation)

    def income(self, h: DemoHousehold, year: int) -> dict:
        """Per-capita net income around the line: below it for poor households, above for exited ones."""
        rng = self.rng
        size = len(h.members)
        line = POVERTY_LINE + (year - 2020) * 150
        if h.status in (codes.HouseholdStatus.EXITED,):
            target = line * Decimal(rng.uniform(1.1, 2.6))
        elif h.status == codes.HouseholdStatus.MONITORED:
            target = line * Decimal(rng.uniform(0.9, 1.4))
        elif h.status == codes.HouseholdStatus.REMOVED:
            target = line * Decimal(rng.uniform(2.0, 4.0))
        else:
            target = line * Decimal(rng.uniform(0.55, 1.08))
        net = (target * size).quantize(Decimal("1"))
        workers = sum(1 for m in h.members if m.work_status != codes.WorkStatus.NOT_WORKING)
        dibao = (
            Decimal(rng.randint(250, 380) * 12 * size)
            if h.household_type in (codes.HouseholdType.DIBAO_POOR, codes.HouseholdType.DIBAO)
            else Decimal(0)
        )
        wubao = (
            Decimal(rng.randint(5000, 7000)) if h.household_type == codes.HouseholdType.WUBAO else Decimal(0)
        )
        pension = Decimal(
            sum(1 for m in h.members if (self.today.year - m.birth_date.year) >= 60)
            * 12
            * rng.randint(110, 160)
        )
        eco = Decimal(rng.choice([0, 0, 0, 120, 240, 360]))
        transfers = dibao + wubao + pension + eco
        expenditure = Decimal(rng.randint(0, 30) * 100)
        remaining = max(Decimal(0), net + expenditure - transfers)
        wages = (remaining * Decimal(rng.uniform(0.55, 0.85) if workers else 0)).quantize(Decimal("1"))
        production = (remaining - wages) * Decimal("0.9")
        production = production.quantize(Decimal("1"))
        property_income = remaining - wages - production
        return {
            "wages": wages,
            "production": production,
            "property_income": property_income,
            "dibao": dibao,
            "wubao": wubao,
            "pension": pension,
            "eco_compensation": eco,
            "family_planning": Decimal(0),
            "other_transfers": Decimal(0),
            "productive_expenditure": expenditure,
        }


DEMO_PASSWORD = "fupin-demo-2025"


def income_years(today: datetime.date | None = None) -> list[int]:
    """The demo's survey years: this year and the two before it, so the pages' default year has data."""
    year = (today or timezone.localdate()).year
    return [year - 2, year - 1, year]


def rural_villages(county: str = DEMO_COUNTY) -> list[str]:
    """The county's village committees (村委会: statistical type codes 2xx), not urban 居委会."""
    return list(
        Region.objects.filter(
            in_region("code", county), level=RegionLevel.VILLAGE, code__regex=r"^\d{9}2\d\d$"
        )
        .order_by("code")
        .values_list("code", flat=True)
    )


# One household in UNSIGNED_EVERY has not signed the authorisation for checking its economic situation
# (电子授权书): the demo's cross-checks count its members as 未授权 and match the rest.
UNSIGNED_EVERY = 10
APPLYING = {codes.HouseholdStatus.APPLICANT, codes.HouseholdStatus.UNREGISTERED}
CONSENT_DAY = datetime.date(2025, 3, 15)


def _give_consents(households: list[Household]) -> None:
    """Every member of these households authorises every department's check, in person with the clerk."""
    if not households:
        return
    rows = Member.objects.filter(household_id__in=[h.pk for h in households]).values_list(
        "pk", "household_id"
    )
    Consent.objects.bulk_create(
        [
            Consent(
                member_id=m,
                household_id=h,
                given_on=CONSENT_DAY,
                method=ConsentMethod.IN_PERSON,
                **{scope: True for scope in ConsentScope.values},
            )
            for m, h in rows
        ],
        batch_size=5000,
    )


def build_demo_county(*, persons: int, seed: int, reset: bool = False, progress=None) -> dict:
    """Create about `persons` people in households across the demo county's villages, in bulk."""
    if not Region.objects.filter(code__startswith=DEMO_COUNTY, level=RegionLevel.VILLAGE).exists():
        load_regions(select_divisions(read_divisions(), depth=RegionLevel.COUNTY, under=[DEMO_COUNTY]))
    villages = rural_villages()
    existing = Household.objects.filter(in_region("village_id", DEMO_COUNTY))
    if existing.exists():
        if not reset:
            raise ValueError(gettext("演示县已有数据；如需重建请加 --reset"))
        # the audit trail stays: it is hash-chained (fupin.audit.chain), and its entries keep the old
        # households' ids
        with transaction.atomic():
            existing.delete()
    years = income_years()
    gen = DemoGenerator(seed, today=datetime.date(years[-1], 12, 31))
    rng = gen.rng
    # Bigger villages get more households, deterministically.
    weights = [rng.uniform(0.4, 1.6) for _ in villages]
    made_persons = made_households = 0
    seq_by_village: dict[str, int] = {}
    batch: list[DemoHousehold] = []
    with transaction.atomic():
        while made_persons < persons:
            village = rng.choices(villages, weights=weights)[0]
            seq_by_village[village] = seq_by_village.get(village, 0) + 1
            h = gen.household(village, f"{village}{seq_by_village[village]:04d}", years)
            batch.append(h)
            made_persons += len(h.members)
            made_households += 1
            if len(batch) >= 2000:
                _write(batch)
                batch.clear()
                if progress:
                    progress(made_persons)
        if batch:
            _write(batch)
    if progress:
        progress(made_persons)

    demo_users = {
        "demo_admin": ("", None, "系统管理员"),
        "demo_province": (Role.PROVINCE, DEMO_COUNTY[:2], "省扶贫办"),
        "demo_prefecture": (Role.PREFECTURE, DEMO_COUNTY[:4], "市扶贫办"),
        "demo_county": (Role.COUNTY, DEMO_COUNTY, "县扶贫办 刘主任"),
        "demo_township": (Role.TOWNSHIP, villages[0][:9], "乡镇扶贫办 陈干事"),
        "demo_clerk": (Role.VILLAGE_CLERK, villages[0], "村扶贫专干 李专干"),
        "demo_team": (Role.VILLAGE_TEAM, villages[0], "第一书记 王书记"),
    }
    for username, (role, region, full_name) in demo_users.items():
        user, _ = User.objects.get_or_create(username=username)
        user.role, user.region_id, user.full_name = role, region, full_name
        user.is_superuser = user.is_staff = username == "demo_admin"
        user.set_password(DEMO_PASSWORD)
        user.save()
    return {
        "persons": made_persons,
        "households": made_households,
        "villages": len(villages),
        "users": list(demo_users),
    }


SEEDER = SimpleNamespace(
    pk=None, username="seed-demo"
)  # whom the audit trail names for the demo's households


def _per_capita(inc: dict, size: int):
    return per_capita_net_income(
        incomes=[v for k, v in inc.items() if k != "productive_expenditure"],
        productive_expenditure=inc["productive_expenditure"],
        household_size=size,
    )


def _household_row(h) -> Household:
    head = h.members[0]
    return Household(
        number=h.number,
        village_id=h.village_code,
        status=h.status,
        household_type=h.household_type,
        primary_cause=h.primary_cause,
        other_causes=h.other_causes,
        head_name=head.name,
        head_initials=initials(head.name),
        size=len(h.members),
        latest_income=_per_capita(h.incomes[max(h.incomes)], len(h.members)),
        phone=h.phone,
        bank_name="信丰县农村商业银行",
        bank_account=h.bank_account,
        farmland_area=h.farmland_area,
        housing_area=h.housing_area,
        is_dangerous_house=h.is_dangerous_house,
        registration_year=h.registration_year,
        exit_year=h.exit_year,
        address=f"{h.village_code} {head.name}家",
        road_type="cement",
        fuel_type="firewood",
    )


def _member_row(household_id: int, village_code: str, m) -> Member:
    return Member(
        household_id=household_id,
        village_code=village_code,
        name=m.name,
        name_initials=initials(m.name),
        id_number=m.id_number,
        sex=m.sex,
        birth_date=m.birth_date,
        relation=m.relation,
        education=m.education,
        schooling=m.schooling,
        health=m.health,
        labour_skill=m.labour_skill,
        work_status=m.work_status,
        work_months=m.work_months,
        disability_category=m.disability_category,
        disability_level=m.disability_level,
        phone=m.phone,
    )


def _write(batch):
    households = [_household_row(h) for h in batch]
    Household.objects.bulk_create(households)
    if households[0].pk is None:  # back ends that do not return keys from bulk inserts
        ids = dict(
            Household.objects.filter(number__in=[h.number for h in households]).values_list("number", "pk")
        )
        for obj in households:
            obj.pk = ids[obj.number]
    members, incomes, checks, audits = [], [], [], []
    for obj, h in zip(households, batch, strict=True):
        members.extend(_member_row(obj.pk, h.village_code, m) for m in h.members)
        for year, inc in h.incomes.items():
            incomes.append(
                IncomeRecord(
                    household_id=obj.pk,
                    year=year,
                    household_size=len(h.members),
                    **inc,
                    per_capita_net_income=_per_capita(inc, len(h.members)),
                )
            )
        checks.append(
            GuaranteeCheck(
                household_id=obj.pk,
                year=max(h.incomes),
                checked_on=min(datetime.date(max(h.incomes), 11, 20), timezone.localdate()),
                notes={k: note for k, (met, note) in h.guarantees.items() if note},
                **{k: met for k, (met, _) in h.guarantees.items()},
            )
        )
        audits.append(
            audit_entry(
                by=SEEDER,
                action="seed_demo",
                target_type="household",
                target_id=obj.pk,
                target_label=str(obj),
                household_id=obj.pk,
                scope_code=h.village_code,
                changes={"members": [None, len(h.members)]},
            )
        )
    Member.objects.bulk_create(members, batch_size=5000)
    _give_consents(
        [
            obj
            for i, obj in enumerate(households)
            # applicants sign when they apply: the identification procedure refuses an application without it
            if i % UNSIGNED_EVERY != UNSIGNED_EVERY - 1 or obj.status in APPLYING
        ]
    )
    IncomeRecord.objects.bulk_create(incomes, batch_size=5000)
    GuaranteeCheck.objects.bulk_create(checks, batch_size=5000)
    record_many(audits, batch_size=5000)
