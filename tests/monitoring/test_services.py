"""Cross-checks, findings and their decisions, the problem ledger, sweeps, monitored households,
look-backs."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fupin.audit.models import AuditEntry
from fupin.monitoring import cross_checks, problems, services, sweeps
from fupin.monitoring.matching import DepartmentFileError
from fupin.monitoring.models import (
    CrossCheck,
    Decision,
    Finding,
    MonitoringStage,
    Problem,
    ProblemStatus,
    RiskSignal,
    Sweep,
)
from fupin.registry import codes
from tests import factories

S = codes.HouseholdStatus


def upload(name: str, text: str, encoding="utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding))


@pytest.fixture(autouse=True)
def thresholds(db):
    """The seeded national lines (a transactional test flushes data migrations' rows)."""
    from fupin.monitoring.models import MonitoringThreshold

    for year in (2019, 2020):
        MonitoringThreshold.objects.get_or_create(
            region_prefix="",
            year=year,
            defaults={"threshold": Decimal("5000"), "unregistered_line": Decimal("4500")},
        )


@pytest.fixture
def households(users):
    own = factories.make_household(head="车主甲", members=2)
    other = factories.make_household(factories.OTHER_COUNTY_VILLAGE, head="外县乙")
    return own, other


def run(check, user):
    cross_checks.start_cross_check(check, by=user)
    check.refresh_from_db()
    return check


@pytest.mark.django_db(transaction=True)
def test_vehicle_list_matched_by_id_and_by_name_and_birth(users, households):
    own, other = households
    head = own.members.get(relation="head")
    son = own.members.get(relation="son")
    foreign = other.members.get(relation="head")
    text = (
        "身份证号,姓名,出生日期,车牌号,车辆类型\n"
        f"{head.id_number},{head.name},,赣B12345,小型轿车\n"
        f",{son.name},{son.birth_date:%Y%m%d},赣B54321,二轮摩托车\n"
        f"{foreign.id_number},{foreign.name},,赣C00001,小型轿车\n"
        "110101199001011234,不相干,,京A1,小型轿车\n"
    )
    check = cross_checks.upload_cross_check(
        by=users["liaison"],
        department="vehicle",
        upload=upload("车辆.csv", text),
        county=factories.VILLAGE[:6],
    )
    assert check.rows == 4 and check.scope_code == factories.VILLAGE[:6]
    check = run(check, users["county"])
    assert check.status == CrossCheck.Status.DONE, check.message
    findings = {f.member_id: f for f in Finding.objects.filter(cross_check=check)}
    assert set(findings) == {head.pk, son.pk}  # the other county's member is outside the county office's run
    assert findings[head.pk].severity == 3 and findings[head.pk].rule == "owns_vehicle"
    assert findings[son.pk].severity == 1  # a motorcycle
    assert "赣B12345" in findings[head.pk].evidence.values() and head.name in findings[head.pk].detail


@pytest.mark.django_db(transaction=True)
def test_death_list_in_gbk_and_xlsx(users, households):
    own, _ = households
    head = own.members.get(relation="head")
    gbk = cross_checks.upload_cross_check(
        by=users["county"],
        department="death",
        upload=upload(
            "死亡.csv", f"公民身份号码,姓名,死亡日期\n{head.id_number},{head.name},2024-01-02\n", "gbk"
        ),
    )
    assert run(gbk, users["county"]).findings_count == 1
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["身份证号", "姓名"])
    wb.active.append([head.id_number, head.name])
    buf = io.BytesIO()
    wb.save(buf)
    xlsx = cross_checks.upload_cross_check(
        by=users["county"], department="tax", upload=SimpleUploadedFile("税务.xlsx", buf.getvalue())
    )
    assert run(xlsx, users["county"]).findings_count == 1
    assert Finding.objects.get(cross_check=xlsx).rule == "pays_income_tax"


@pytest.mark.django_db(transaction=True)
def test_missing_from_school_list_is_a_finding(users):
    household = factories.make_household(head="学生家")
    child = household.members.get(relation="son")
    from fupin.registry.models import Member

    Member.objects.filter(pk=child.pk).update(schooling=codes.SchoolingStatus.GRADE8)
    check = cross_checks.upload_cross_check(
        by=users["county"],
        department="school",
        upload=upload("学籍.csv", "身份证号,学校\n110101199001011234,某校\n"),
    )
    check = run(check, users["county"])
    assert [f.rule for f in Finding.objects.filter(cross_check=check)] == ["no_school_record"]


@pytest.mark.django_db(transaction=True)
def test_medical_list_both_ways_on_and_off_the_list(users):
    household = factories.make_household(head="参保家", members=3)
    head, son, other = household.members.order_by("id")
    from fupin.registry.models import Member

    Member.objects.filter(pk=head.pk).update(
        has_medical_insurance=False
    )  # insured by the list, not in the registry
    # son: insured in both (no finding); other: insured in the registry but missing from the list
    check = cross_checks.upload_cross_check(
        by=users["county"],
        department="medical",
        upload=upload(
            "医保.csv", f"身份证号,参保类型\n{head.id_number},城乡居民\n{son.id_number},城乡居民\n"
        ),
    )
    check = run(check, users["county"])
    found = {(f.member_id, f.rule, f.severity) for f in Finding.objects.filter(cross_check=check)}
    assert found == {(head.pk, "insurance_mismatch", 1), (other.pk, "not_insured", 2)}
    assert check.matched_members == 2 and check.findings_count == 2
    assert Finding.objects.get(member=head, cross_check=check).evidence == {"参保类型": "城乡居民"}


@pytest.mark.django_db(transaction=True)
def test_disability_list_against_the_registered_category(users):
    household = factories.make_household(head="残疾家", members=3)
    head, son, other = household.members.order_by("id")
    from fupin.registry.models import Member

    Member.objects.filter(pk__in=[son.pk, other.pk]).update(
        disability_category=codes.DisabilityCategory.VISUAL
    )
    check = cross_checks.upload_cross_check(
        by=users["county"],
        department="disability",
        upload=upload("残联.csv", f"身份证号,残疾类别\n{head.id_number},肢体\n{son.id_number},肢体\n"),
    )
    check = run(check, users["county"])
    found = {(f.member_id, f.rule) for f in Finding.objects.filter(cross_check=check)}
    assert found == {(head.pk, "unregistered_disability"), (other.pk, "disability_without_certificate")}
    assert f"成员{other.name}登记为残疾" in Finding.objects.get(member=other).detail


@pytest.mark.django_db(transaction=True)
def test_id_numbers_match_with_spaces_and_a_lower_case_x(users):
    household = factories.make_household(head="带X户", members=1)
    head = household.members.get()
    from fupin.registry.models import Member

    Member.objects.filter(pk=head.pk).update(id_number=head.id_number[:17] + "X")
    lower = head.id_number[:17] + "x"
    check = cross_checks.upload_cross_check(
        by=users["county"],
        department="tax",
        upload=upload(
            "税务.csv",
            f"身份证号,税额\n {lower} ,100\n{head.id_number[:17]}Y,200\n\u3000{head.id_number[:17]}X,300\n",
        ),
    )
    check = run(check, users["county"])
    assert sorted(f.evidence["税额"] for f in Finding.objects.filter(cross_check=check)) == ["100", "300"]
    assert check.matched_members == 1


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("a.csv", "姓名,电话\n张三,1\n".encode(), "缺少“身份证号”列"),
        ("a.csv", b"", "文件为空"),
        ("a.csv", "身份证号\n".encode(), "没有数据行"),
        ("a.csv", b"\xff\xfe\x00\x00garbage\x00\x81", "CSV"),
        ("a.csv", "身份证号,姓名\n".encode() + b"\x81\x30\xff\xff\n", "编码"),
        ("a.xls", b"\xd0\xcf\x11\xe0" + b"0" * 100, "旧版 Excel"),
        ("a.xlsx", b"PK\x03\x04broken", "无法读取 Excel"),
        ("a.csv", "身份证号,身份证号\n1,2\n".encode(), "列名重复"),
    ],
)
def test_bad_uploads_are_refused_in_chinese_and_leave_nothing(users, name, content, message):
    with pytest.raises(DepartmentFileError, match=message):
        cross_checks.upload_cross_check(
            by=users["liaison"],
            department="tax",
            upload=SimpleUploadedFile(name, content),
            county=factories.VILLAGE[:6],
        )
    assert not CrossCheck.objects.exists()


def test_liaison_sees_only_own_uploads_status_never_findings(client, users, households):
    check = cross_checks.upload_cross_check(
        by=users["county"], department="tax", upload=upload("t.csv", "身份证号\n110101199001011234\n")
    )
    client.force_login(users["liaison"])
    assert client.get(f"/monitoring/checks/{check.pk}/").status_code == 404
    assert client.get("/monitoring/findings/").status_code == 403
    mine = cross_checks.upload_cross_check(
        by=users["liaison"],
        department="tax",
        upload=upload("m.csv", "身份证号\n110101199001011234\n"),
        county=factories.VILLAGE[:6],
    )
    page = client.get(f"/monitoring/checks/{mine.pk}/")
    assert page.status_code == 200 and "已上传，待比对" in page.content.decode()
    assert client.post(f"/monitoring/checks/{mine.pk}/run/").status_code == 302
    mine.refresh_from_db()
    assert mine.status == CrossCheck.Status.UPLOADED  # a liaison cannot run a check


def test_purge_deletes_the_file_after_retention(users):
    check = cross_checks.upload_cross_check(
        by=users["county"], department="tax", upload=upload("t.csv", "身份证号\n1\n")
    )
    assert cross_checks.purge_cross_checks(today=check.retain_until) == 0
    assert cross_checks.purge_cross_checks(today=check.retain_until + datetime.timedelta(days=1)) == 1
    check.refresh_from_db()
    assert check.purged_at and not check.file
    with pytest.raises(services.MonitoringError, match="已按保留期限删除"):
        cross_checks.start_cross_check(check, by=users["county"])


def _finding(household, **kw):
    values = dict(
        household=household,
        village_code=household.village_id,
        department="vehicle",
        rule="owns_vehicle",
        severity=3,
        detail="成员名下有登记车辆",
    )
    return Finding.objects.create(**values | kw)


def test_township_decision_closes_the_problem(users, households):
    own, _ = households
    finding = _finding(own)
    cross_checks.decide_finding(
        finding, by=users["township"], decision=Decision.EXPLAINED, note="车辆为借用，已核实"
    )
    problem = Problem.objects.get(finding=finding)
    assert problem.status == ProblemStatus.CLOSED and problem.closed_by == users["township"]
    assert AuditEntry.objects.filter(action="decide_finding", household=own).exists()
    with pytest.raises(services.MonitoringError, match="已核实处理"):
        cross_checks.decide_finding(finding, by=users["township"], decision=Decision.EXPLAINED, note="再来")


def test_excluding_clears_the_household_out_through_the_registry(users, households):
    own, _ = households
    cross_checks.decide_finding(
        _finding(own), by=users["county"], decision=Decision.EXCLUDED, note="有车有房，不符合条件"
    )
    own.refresh_from_db()
    assert own.status == S.REMOVED
    assert AuditEntry.objects.filter(
        action="monitoring_exclude", household=own, changes__has_key="status"
    ).exists()


def test_village_clerk_and_other_townships_cannot_decide(users, households):
    own, _ = households
    finding = _finding(own)
    with pytest.raises(PermissionDenied):
        cross_checks.decide_finding(finding, by=users["clerk"], decision=Decision.EXPLAINED, note="x")
    with pytest.raises(PermissionDenied):
        cross_checks.decide_finding(
            finding, by=users["other_township"], decision=Decision.EXPLAINED, note="x"
        )
    finding.refresh_from_db()
    assert finding.decision == Decision.PENDING


def test_rectify_needs_person_and_deadline_then_the_level_above_closes(users, households):
    own, _ = households
    finding = _finding(own)
    with pytest.raises(services.MonitoringError, match="责任人"):
        cross_checks.decide_finding(finding, by=users["township"], decision=Decision.RECTIFY, note="属实")
    cross_checks.decide_finding(
        finding,
        by=users["township"],
        decision=Decision.RECTIFY,
        note="属实",
        responsible_person="李专干",
        deadline=timezone.localdate() + datetime.timedelta(days=10),
    )
    problem = Problem.objects.get(finding=finding)
    assert problem.status == ProblemStatus.OPEN
    with pytest.raises(services.MonitoringError, match="佐证"):
        problems.rectify_problem(problem, by=users["clerk"], rectification="已更正")
    problems.rectify_problem(
        problem,
        by=users["clerk"],
        rectification="已更正",
        evidence=SimpleUploadedFile("z.pdf", b"%PDF-1.4\n%%EOF\n"),
    )
    with pytest.raises(services.MonitoringError, match="上一级"):
        problems.close_problem(problem, by=users["team"], note="同级不能销号")
    problems.close_problem(problem, by=users["township"], note="核实到位，同意销号")
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.CLOSED


def test_a_township_rectification_is_closed_by_the_county(users):
    problem = problems.create_problem(
        by=users["township"],
        source="inspection",
        region_code=factories.VILLAGE[:9],
        description="乡镇帮扶台账不全",
        deadline=timezone.localdate(),
    )
    assert problem.responsible_level == 4
    problems.rectify_problem(
        problem,
        by=users["township"],
        rectification="已补全",
        evidence=SimpleUploadedFile("a.pdf", b"%PDF-1.4\n%%EOF\n"),
    )
    with pytest.raises(services.MonitoringError):
        problems.close_problem(problem, by=users["township"], note="自己销号")
    problems.return_problem(problem, by=users["county"], reason="不完整")
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.OPEN


def test_overdue_problems_by_region(users):
    from fupin.monitoring import selectors

    problems.create_problem(
        by=users["clerk"],
        source="manual",
        region_code=factories.VILLAGE,
        description="超期",
        deadline=timezone.localdate() - datetime.timedelta(days=1),
    )
    problems.create_problem(
        by=users["sibling_clerk"],
        source="manual",
        region_code=factories.SIBLING_VILLAGE,
        description="未到期",
        deadline=timezone.localdate() + datetime.timedelta(days=9),
    )
    rows = {r["area"]: r for r in selectors.overdue_by_region(users["township"], length=12)}
    assert rows[factories.VILLAGE]["overdue"] == 1 and rows[factories.SIBLING_VILLAGE]["overdue"] == 0
    assert selectors.overdue_by_region(users["other_township"], length=12) == []


@pytest.mark.django_db(transaction=True)
def test_sweep_produces_candidates_never_a_status_change(users):
    poorish = factories.make_household(
        head="边缘户", status=S.EXITED, exit_year=2020, income="3000.00", year=2024
    )
    sweep = sweeps.start_sweep(by=users["county"], kind=Sweep.Kind.SIGNALS, year=2024)
    sweep.refresh_from_db()
    assert sweep.status == Sweep.Status.DONE and sweep.results == 1
    poorish.refresh_from_db()
    assert poorish.status == S.EXITED
    signal = RiskSignal.objects.get(household=poorish)
    assert "3000" in signal.explanation and "5000" in signal.explanation
    sweeps.dismiss_candidate(poorish, by=users["clerk"], year=2024, reason="务工收入未计入，已核实")
    sweeps.start_sweep(by=users["county"], kind=Sweep.Kind.SIGNALS, year=2024)
    assert RiskSignal.objects.get(household=poorish).state == "dismissed"  # a re-run keeps the decision


@pytest.mark.django_db(transaction=True)
def test_sweep_writes_exactly_the_rules_rows_and_a_rerun_changes_nothing(users):
    from fupin.monitoring import rules
    from fupin.registry import services as registry
    from fupin.registry.models import GuaranteeCheck

    low = factories.make_household(
        head="低收入", status=S.EXITED, exit_year=2020, income="3000.00", year=2024
    )
    dropped = factories.make_household(
        head="收入骤降", status=S.EXITED, exit_year=2020, income="6000.00", year=2024
    )
    registry.record_income(dropped, by=users["admin"], year=2023, wages=Decimal("40000"))
    unmet = factories.make_household(head="住房不安全", status=S.MONITORED, income="9000.00", year=2024)
    GuaranteeCheck.objects.create(
        household=unmet, year=2024, checked_on=datetime.date(2024, 6, 1), housing=False
    )
    factories.make_household(head="稳定", status=S.EXITED, exit_year=2020, income="9000.00", year=2024)

    expected = {
        (r["s_household"], str(rule.key), r["s_type"], r["s_source"])
        for rule in rules.SIGNAL_RULES
        for r in rules.evaluate(rule, 2024)
    }
    assert {h for h, *_ in expected} == {low.pk, dropped.pk, unmet.pk}

    def written():
        return set(
            RiskSignal.objects.filter(year=2024).values_list(
                "household_id", "kind", "source_type", "source_id"
            )
        )

    sweeps.start_sweep(by=users["county"], kind=Sweep.Kind.SIGNALS, year=2024)
    assert written() == expected
    first = dict(RiskSignal.objects.values_list("pk", "sweep_id"))
    again = sweeps.start_sweep(by=users["county"], kind=Sweep.Kind.SIGNALS, year=2024)
    again.refresh_from_db()
    assert again.status == Sweep.Status.DONE and again.results == len(expected)
    assert (
        dict(RiskSignal.objects.values_list("pk", "sweep_id")) == first
    )  # unchanged signals are not rewritten


@pytest.mark.django_db(transaction=True)
def test_suspect_sweep_does_not_raise_the_same_finding_twice(users):
    household = factories.make_household(head="无户主")
    from fupin.registry.models import Member

    Member.objects.filter(household=household, relation="head").update(relation="sibling")
    sweeps.start_sweep(by=users["county"], kind=Sweep.Kind.SUSPECT, year=2025)
    sweeps.start_sweep(by=users["county"], kind=Sweep.Kind.SUSPECT, year=2025)
    assert Finding.objects.filter(household=household, rule="head_missing").count() == 1


def test_monitored_household_from_report_to_risk_elimination(users):
    household = factories.make_household(
        head="脱贫户", status=S.EXITED, exit_year=2020, income="4200.00", year=2025
    )
    case = services.report_monitored(
        household,
        by=users["clerk"],
        kind="unstable_exited",
        source="village_survey",
        year=2025,
        risk_description="户主突发脑梗，收入下降",
    )
    with pytest.raises(services.MonitoringError, match="民主评议"):
        services.include_monitored(case, by=users["township"])
    services.appraise_monitored(case, by=users["clerk"], note="应到32人，实到30人，同意30票")
    with pytest.raises(services.MonitoringError, match="乡镇审核"):
        services.include_monitored(case, by=users["township"])
    services.review_monitored(case, by=users["township"], note="情况属实")
    case = services.include_monitored(case, by=users["township"], note="纳入")
    household.refresh_from_db()
    assert household.status == S.MONITORED and case.stage == MonitoringStage.MEASURES
    measure = services.add_measure(
        case,
        by=users["clerk"],
        kind="medical",
        description="大病救助",
        responsible="李",
        planned_on=timezone.localdate(),
    )
    with pytest.raises(services.MonitoringError, match="未落实"):
        services.eliminate_risk(
            case, by=users["township"], note="x", evidence=SimpleUploadedFile("e.pdf", b"%PDF-1.4\n%%EOF\n")
        )
    services.complete_measure(measure, by=users["clerk"], done_on=timezone.localdate())
    with pytest.raises(services.MonitoringError, match="未达到监测线"):
        services.eliminate_risk(
            case, by=users["township"], note="x", evidence=SimpleUploadedFile("e.pdf", b"%PDF-1.4\n%%EOF\n")
        )
    from fupin.registry import services as registry

    registry.record_income(household, by=users["clerk"], year=2025, wages=Decimal("14000"))
    with pytest.raises(services.MonitoringError, match="佐证"):
        services.eliminate_risk(case, by=users["township"], note="收入稳定", evidence=None)
    case = services.eliminate_risk(
        case,
        by=users["township"],
        note="收入稳定超过监测线",
        evidence=SimpleUploadedFile("e.pdf", b"%PDF-1.4\n%%EOF\n"),
    )
    household.refresh_from_db()
    assert case.stage == MonitoringStage.ELIMINATED and household.status == S.EXITED
    assert list(case.steps.values_list("stage", flat=True)) == [
        "reported",
        "appraised",
        "reviewed",
        "measures",
        "eliminated",
    ]


def test_marginal_household_without_a_poverty_type_becomes_monitored(users):
    household = factories.make_household(
        head="边缘户",
        status=S.UNREGISTERED,
        household_type="",
        primary_cause="",
        registration_year=None,
        income="5200.00",
        year=2025,
    )
    case = services.report_monitored(
        household,
        by=users["clerk"],
        kind="marginal",
        source="household_report",
        year=2025,
        risk_description="收入略高于监测线，因病支出大",
    )
    services.appraise_monitored(case, by=users["clerk"], note="同意")
    services.review_monitored(case, by=users["township"], note="属实")
    case = services.include_monitored(case, by=users["township"], note="纳入")
    household.refresh_from_db()
    assert (
        household.status == S.MONITORED
        and household.household_type == ""
        and case.stage == MonitoringStage.MEASURES
    )


def test_marginal_household_must_not_be_registered(users):
    poor = factories.make_household(head="贫困户")
    with pytest.raises(services.MonitoringError, match="未建档"):
        services.report_monitored(
            poor,
            by=users["clerk"],
            kind="marginal",
            source="household_report",
            year=2025,
            risk_description="x",
        )


def test_lookback_covers_registered_monitored_and_low_income_unregistered(users):
    poor = factories.make_household(head="贫困户")
    low = factories.make_household(
        head="档外低收入", status=S.UNREGISTERED, household_type="", primary_cause="", income="4000.00"
    )
    factories.make_household(
        head="档外高收入", status=S.UNREGISTERED, household_type="", primary_cause="", income="9000.00"
    )
    campaign = services.open_lookback(
        by=users["township"],
        region_code=factories.VILLAGE[:9],
        name="2025年回头看",
        year=2025,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
        income_line=Decimal("4500"),
    )
    groups = dict(campaign.items.values_list("household_id", "group"))
    assert groups == {poor.pk: "registered", low.pk: "unregistered"}
    item = campaign.items.get(household=poor)
    results = {i: True for i in ("income", "food_clothing", "education", "medical", "housing", "water")} | {
        "housing": False
    }
    with pytest.raises(services.MonitoringError, match="说明"):
        services.record_lookback_item(
            item, by=users["clerk"], results=results, notes={}, checked_on=timezone.localdate()
        )
    problems = services.record_lookback_item(
        item,
        by=users["clerk"],
        results=results,
        notes={"housing": "C级危房"},
        checked_on=timezone.localdate(),
        responsible_person="王",
    )
    assert len(problems) == 1 and problems[0].source == "lookback" and "C级危房" in problems[0].description
    from fupin.monitoring import selectors

    progress = selectors.lookback_progress(users["township"], campaign)
    assert progress[0]["total"] == 2 and progress[0]["done"] == 1 and progress[0]["unmet"] == 1


def test_pages_render_for_a_township_officer(client, users, households):
    own, _ = households
    finding = _finding(own)
    client.force_login(users["township"])
    for url in [
        "/monitoring/",
        "/monitoring/signals/",
        "/monitoring/cases/",
        "/monitoring/lookbacks/",
        "/monitoring/checks/",
        "/monitoring/findings/",
        f"/monitoring/findings/{finding.pk}/",
        "/monitoring/problems/",
        "/monitoring/problems/new/",
        f"/monitoring/households/{own.pk}/report/",
        f"/monitoring/households/{own.pk}/events/new/",
    ]:
        assert client.get(url).status_code == 200, url
    response = client.post(f"/monitoring/findings/{finding.pk}/", {"decision": "explained", "note": "已核实"})
    assert response.status_code == 302
    assert "已销号" in client.get("/monitoring/problems/").content.decode()


def test_problem_and_case_lists_narrow_to_a_region_inside_scope(client, users):
    """The dashboard links its problem figures to the ledger narrowed to the region it shows."""
    from fupin.monitoring import selectors

    here = factories.make_household(factories.VILLAGE)
    there = factories.make_household(factories.SIBLING_VILLAGE, head="李四")
    for household in (here, there):
        problems.create_problem(
            by=users["township"],
            source="manual",
            region_code=household.village_id,
            household=household,
            description="住房待核实",
            responsible_person="村支书",
            deadline=timezone.localdate() + datetime.timedelta(days=30),
        )
    township = users["township"]
    assert selectors.problems_for(township).count() == 2
    assert [p.household_id for p in selectors.problems_for(township, region=factories.VILLAGE)] == [here.pk]
    assert not selectors.problems_for(users["clerk"], region=factories.SIBLING_VILLAGE).exists()
    client.force_login(township)
    page = client.get("/monitoring/problems/", {"region": factories.SIBLING_VILLAGE}).content.decode()
    assert "李四" in page and "张三丰" not in page


@pytest.mark.django_db(transaction=True)
def test_a_lookback_checklist_saves_in_its_own_transaction(client, users):
    """The checklist's page saves outside any request transaction (no ATOMIC_REQUESTS): the service's row
    lock needs its own (its @transaction.atomic had slipped onto lookback_messages, and a real save failed
    on PostgreSQL with TransactionManagementError, which the tests' own transaction hid). The page's date
    input is given the date as the input reads it (2025-10-01, not the locale's 2025/10/01, which a browser
    shows empty)."""
    household = factories.make_household()
    item = factories.lookback_item(users["township"], household)
    results = dict.fromkeys(("income", "food_clothing", "education", "medical", "housing", "water"), True)
    services.record_lookback_item(
        item, by=users["clerk"], results=results, notes={}, checked_on=datetime.date(2025, 10, 1)
    )
    item.refresh_from_db()
    assert item.checked_on == datetime.date(2025, 10, 1) and item.housing is True
    client.force_login(users["clerk"])
    page = client.get(f"/monitoring/lookback-items/{item.pk}/").content.decode()
    assert 'value="2025-10-01"' in page
