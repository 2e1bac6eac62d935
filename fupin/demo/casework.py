"""The demo county's case work beyond the procedures and pairing (see `fupin.demo.history`): projects and
funds, microloans with repayments, monitored households, a look-back, a cross-check, problems, declarations
and change requests, each done through its app's services by the demo account whose job it is."""

import datetime
import io
import random
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from fupin.accounts.models import User
from fupin.changes import services as changes
from fupin.changes.models import ChangeKind
from fupin.declarations import services as declarations
from fupin.declarations.models import Channel, Hardship
from fupin.funds import funding, projects
from fupin.funds import services as funds
from fupin.funds.models import FundSource, Industry, ProjectCategory, ProjectStatus
from fupin.monitoring import cross_checks, problems
from fupin.monitoring import services as monitoring
from fupin.monitoring.models import CHECK_ITEMS, Department, ProblemSource
from fupin.regions.models import in_region
from fupin.registry import codes
from fupin.registry.models import Household, Member

S = codes.HouseholdStatus
WAN = 1_000_000  # fen in ten thousand yuan


def _photo(name: str) -> SimpleUploadedFile:
    """A small picture standing in for a photographed document."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (210, 220, 200)).save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def _days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def _households(prefix: str, *statuses: str):
    return Household.objects.filter(in_region("village_id", prefix), status__in=statuses).order_by("number")


def funds_and_loans(
    users: dict[str, User], county: str, township: str, village: str, rng, today, made
) -> None:
    county_user = users["county"]
    villages = sorted({h.village_id for h in _households(township, S.POOR, S.EXITED)})[:6] or [village]
    year = today.year
    fund_specs = [
        (FundSource.CENTRAL, f"{year}年中央财政专项扶贫资金", 600 * WAN),
        (FundSource.PROVINCIAL, f"{year}年省级财政专项扶贫资金", 300 * WAN),
        (FundSource.INTEGRATED, f"{year}年统筹整合涉农资金", 400 * WAN),
    ]
    fund_list = [
        funding.create_fund(
            by=county_user,
            county_code=county,
            year=year,
            source=source,
            name=name,
            amount_fen=amount,
            document_no=f"赣财农指〔{year}〕{i}号",
            received_on=datetime.date(year, 1, 10 + i),
        )
        for i, (source, name, amount) in enumerate(fund_specs, start=1)
    ]
    specs = [
        ("产业路硬化", ProjectCategory.ROAD, 80),
        ("蔬菜大棚基地", ProjectCategory.INDUSTRY, 120),
        ("安全饮水巩固提升", ProjectCategory.WATER, 60),
        ("脐橙种植示范园", ProjectCategory.INDUSTRY, 150),
        ("危旧房改造", ProjectCategory.HOUSING, 40),
        ("光伏扶贫电站", ProjectCategory.POWER, 90),
    ]
    for i, (name, category, wan) in enumerate(specs):
        code = villages[i % len(villages)]
        fund = fund_list[i % len(fund_list)]
        project = projects.create_project(
            by=county_user,
            county_code=county,
            year=year,
            code=f"XF{year}-{i + 1:03d}",
            name=f"{name}项目",
            category=category,
            budget_fen=wan * WAN,
            region_code=code,
            content=f"{name}，惠及建档立卡贫困户",
            implementer="乡镇人民政府",
            manager="项目负责人",
            funding={fund.source: wan * WAN},
            village_codes=[code],
        )
        start = datetime.date(year, 2, 1) + _days(7 * i)
        allocation = funding.allocate(
            by=county_user, fund=fund, project=project, amount_fen=wan * WAN, allocated_on=start
        )
        if i < 4:
            projects.record_progress(
                project, by=county_user, status=ProjectStatus.IN_PROGRESS, progress=40, on=start + _days(30)
            )
            funding.record_payment(
                by=county_user,
                allocation=allocation,
                amount_fen=wan * WAN * 6 // 10,
                paid_on=start + _days(45),
                payee="施工单位",
                voucher_no=f"记-{i + 1:04d}",
            )
        if i < 2:
            projects.record_progress(
                project, by=county_user, status=ProjectStatus.COMPLETED, progress=100, on=start + _days(120)
            )
            projects.accept_project(project, by=county_user, accepted_on=start + _days(130), note="验收合格")
        for household in _households(code, S.POOR, S.EXITED)[:5]:
            projects.add_beneficiary(project, by=county_user, household=household, benefit="务工增收")
            made["beneficiaries"] += 1
        made["projects"] += 1
    made["funds"] = len(fund_list)
    loans(users, township, rng, today, made)


def loans(users: dict[str, User], township: str, rng, today, made) -> None:
    """Microloans (扶贫小额信贷): repaid in part, one maturing within the month, one waiting for approval."""
    clerk, county_user = users["clerk"], users["county"]
    borrowers = []
    for household in _households(township, S.POOR)[:40]:
        head = household.members.filter(relation=codes.Relation.HEAD).first()
        if head and 20 <= (today - head.birth_date).days // 365 <= 60:
            borrowers.append((household, head))
        if len(borrowers) == 8:
            break
    for i, (household, head) in enumerate(borrowers):
        by = clerk if household.village_id == clerk.region_id else county_user
        term = 36
        disbursed = today - _days(term * 30 + 1 - 20) if i == 0 else today - _days(rng.randint(120, 700))
        loan = funds.apply_for_household_loan(
            by=by,
            household=household,
            borrower=head,
            amount_fen=5 * WAN,
            term_months=term,
            industry=rng.choice([Industry.BREEDING, Industry.PLANTING, Industry.FRUIT_FOREST]),
            purpose=rng.choice(["养殖生猪", "种植脐橙", "养殖肉牛", "种植蔬菜"]),
            bank="信丰农商银行",
            village_opinion="村委会、工作队论证同意",
            capacity_confirmed=True,
            applied_on=disbursed - _days(20),
        )
        made["loans"] += 1
        if i == len(borrowers) - 1:
            continue  # waiting for the county's approval
        funds.approve_loan(
            loan,
            by=county_user,
            amount_fen=5 * WAN,
            interest_rate=Decimal("4.35"),
            decided_on=disbursed - _days(5),
        )
        funds.disburse_loan(loan, by=county_user, disbursed_on=disbursed, contract_no=f"XD-{loan.pk:05d}")
        if (today - disbursed).days > 100:
            funds.record_repayment(loan, by=county_user, repaid_on=disbursed + _days(90), principal_fen=WAN)
            made["repayments"] += 1


def monitoring_work(
    users: dict[str, User], county: str, township: str, village: str, rng, today, made
) -> None:
    clerk, township_user, county_user = users["clerk"], users["township"], users["county"]
    year = today.year - 1
    for i, household in enumerate(_households(village, S.EXITED)[:4]):
        case = monitoring.report_monitored(
            household,
            by=clerk,
            kind="unstable_exited",
            source="village_survey",
            year=year,
            risk_description=[
                "户主突发疾病，医疗支出大",
                "家庭主要劳动力务工受伤",
                "洪灾损毁农作物",
                "子女上学支出增加",
            ][i],
        )
        made["monitored"] += 1
        if i == 3:
            continue  # waiting for the villagers' appraisal
        monitoring.appraise_monitored(case, by=clerk, note="应到32人，实到30人，同意30票")
        if i == 2:
            continue  # waiting for the township's review
        monitoring.review_monitored(case, by=township_user, note="情况属实")
        case = monitoring.include_monitored(case, by=township_user, note="纳入监测对象")
        monitoring.add_measure(
            case,
            by=clerk,
            kind="employment",
            description="安排公益性岗位",
            responsible="村委会",
            planned_on=today + _days(20),
        )
    lookback(users, township, village, today, made)
    for i, (text, days) in enumerate(
        [("危房改造进度滞后", 10), ("一户适龄儿童未入学，需劝返", -5), ("两户医保未参保", 25)]
    ):
        problem = problems.create_problem(
            by=township_user,
            source=ProblemSource.INSPECTION,
            region_code=village,
            description=text,
            deadline=today + _days(days),
            responsible_person="村扶贫专干",
            measure="限期整改",
        )
        made["problems"] += 1
        if i == 2:
            problems.rectify_problem(
                problem, by=clerk, rectification="已为两户办理参保", evidence=_photo("参保凭证.png")
            )
            problems.close_problem(problem, by=township_user, note="核实到位，同意销号")
            made["problems_closed"] += 1
    del county_user


def lookback(users: dict[str, User], township: str, village: str, today, made) -> None:
    """A look-back (回头看) over the demo township, its first households checked, one with a problem."""
    clerk = users["clerk"]
    campaign = monitoring.open_lookback(
        by=users["township"],
        region_code=township,
        name=f"{today.year}年脱贫成果“回头看”",
        year=today.year - 1,
        starts_on=today - _days(20),
        ends_on=today + _days(20),
        income_line=Decimal("4500"),
    )
    made["lookbacks"] = 1
    for n, item in enumerate(campaign.items.filter(household__village_id=village).order_by("pk")[:6]):
        results = {i: True for i in CHECK_ITEMS}
        notes = {}
        if n == 0:
            results["housing"], notes["housing"] = False, "住房为C级危房，需改造"
        monitoring.record_lookback_item(
            item,
            by=clerk,
            results=results,
            notes=notes,
            checked_on=today - _days(10 - n),
            responsible_person="村扶贫专干",
        )
        made["lookback_items"] += 1


def cross_check(users: dict[str, User], county: str, village: str, made) -> None:
    """A vehicle list naming three members of the demo village, queued to run (the worker matches it)."""
    heads = Member.objects.filter(
        household__village_id=village, relation=codes.Relation.HEAD, household__status=S.POOR
    ).order_by("household__number")[:3]
    text = "身份证号,姓名,出生日期,车牌号,车辆类型\n" + "".join(
        f"{m.id_number},{m.name},,赣B{10000 + i},小型轿车\n" for i, m in enumerate(heads)
    )
    check = cross_checks.upload_cross_check(
        by=users["county"],
        department=Department.VEHICLE,
        upload=SimpleUploadedFile("车辆登记.csv", text.encode("utf-8")),
    )
    cross_checks.start_cross_check(check, by=users["county"])
    made["cross_checks"] = 1


def declarations_and_changes(users: dict[str, User], village: str, rng: random.Random, today, made) -> None:
    clerk, township_user = users["clerk"], users["township"]
    people = Member.objects.filter(
        household__village_id=village, household__status=S.EXITED, relation=codes.Relation.HEAD
    )
    for i, member in enumerate(people.order_by("household__number")[4:7]):
        declarations.intake(
            by=clerk,
            channel=[Channel.HOTLINE, Channel.WALK_IN, Channel.CADRE][i],
            village_code=village,
            name=member.name,
            id_number=member.id_number,
            phone=member.phone or "",
            hardship=[Hardship.ILLNESS, Hardship.JOB_LOSS, Hardship.DISASTER][i],
            description=["家中老人住院，自付费用较高", "返乡后没有找到工作", "暴雨冲毁了房屋一角"][i],
            consent=True,
        )
        made["declarations"] += 1
    wanted = {S.POOR: codes.HouseholdType.DIBAO_POOR}
    for i, household in enumerate(
        _households(village, S.POOR).filter(household_type=codes.HouseholdType.GENERAL_POOR)[:3]
    ):
        request = changes.propose(
            household,
            by=clerk,
            kind=ChangeKind.TYPE_CHANGE,
            payload={"household_type": wanted[S.POOR]},
            reason="经民政部门认定纳入农村低保",
            evidence_reference="低保认定审批表",
        )
        made["change_requests"] += 1
        if i == 0:
            changes.approve(request, by=township_user, comment="材料齐全，同意")
    del rng
