import datetime
import threading

import pytest
from django.db import close_old_connections, connection

from fupin.accounts.scope import ScopeError
from fupin.audit.models import AuditEntry
from fupin.funds import funding, projects, selectors
from fupin.funds.models import Allocation, Fund, FundSource, Payment, ProjectCategory, ProjectStatus
from fupin.funds.services import FundsError
from tests import factories

D = datetime.date
COUNTY = factories.VILLAGE[:6]


def make_project(user, code="XF2025-001", budget=10_000_000, **kw):
    values = dict(
        by=user,
        county_code=COUNTY,
        year=2025,
        code=code,
        name="南山村产业路硬化",
        category=ProjectCategory.ROAD,
        budget_fen=budget,
        region_code=factories.VILLAGE,
        funding={FundSource.CENTRAL: budget},
        village_codes=[factories.VILLAGE],
    )
    return projects.create_project(**(values | kw))


def make_fund(user, amount=20_000_000, source=FundSource.CENTRAL):
    return funding.create_fund(
        by=user,
        county_code=COUNTY,
        year=2025,
        source=source,
        name="2025年中央财政专项扶贫资金",
        amount_fen=amount,
        document_no="赣财农指〔2025〕1号",
        received_on=D(2025, 1, 5),
    )


def test_allocation_and_payment_keep_balances_per_fund_and_project(users):
    county = users["county"]
    project = make_project(county)
    fund = make_fund(county)
    allocation = funding.allocate(
        by=county, fund=fund, project=project, amount_fen=8_000_000, allocated_on=D(2025, 2, 1)
    )
    funding.allocate(by=county, fund=fund, project=project, amount_fen=2_000_000, allocated_on=D(2025, 2, 2))
    funding.record_payment(
        by=county,
        allocation=allocation,
        amount_fen=6_000_000,
        paid_on=D(2025, 3, 1),
        payee="信丰县交通工程公司",
    )
    fund.refresh_from_db()
    assert (fund.amount_fen, fund.allocated_fen, fund.spent_fen, fund.balance_fen, fund.unallocated_fen) == (
        20_000_000,
        10_000_000,
        6_000_000,
        14_000_000,
        10_000_000,
    )
    p = selectors.project_for(county, project.pk)
    assert (p.allocated_fen, p.paid_fen) == (10_000_000, 6_000_000)
    entry = AuditEntry.objects.get(action="record_payment")
    assert entry.changes["allocation_spent_fen"] == [0, 6_000_000] and entry.role == "county"


def test_no_fund_can_be_overallocated_or_overspent(users):
    county = users["county"]
    project = make_project(county)
    fund = make_fund(county, amount=5_000_000)
    with pytest.raises(FundsError) as e:
        funding.allocate(
            by=county, fund=fund, project=project, amount_fen=5_000_001, allocated_on=D(2025, 2, 1)
        )
    assert e.value.errors["amount"] == "超出该笔资金的可安排余额50,000.00元"
    allocation = funding.allocate(
        by=county, fund=fund, project=project, amount_fen=5_000_000, allocated_on=D(2025, 2, 1)
    )
    funding.record_payment(by=county, allocation=allocation, amount_fen=4_000_000, paid_on=D(2025, 3, 1))
    with pytest.raises(FundsError) as e:
        funding.record_payment(by=county, allocation=allocation, amount_fen=1_000_001, paid_on=D(2025, 3, 2))
    assert e.value.errors["amount"] == "超出该项资金安排的余额10,000.00元，不能超支"
    with pytest.raises(FundsError):
        funding.adjust_fund(fund, by=county, amount_fen=4_999_999, reason="指标调减")
    assert Payment.objects.count() == 1


def test_database_constraints_refuse_an_overspend_that_bypasses_the_service(users):
    from django.db import IntegrityError, transaction
    from django.db.models import F

    county = users["county"]
    allocation = funding.allocate(
        by=county,
        fund=make_fund(county, amount=100),
        project=make_project(county),
        amount_fen=100,
        allocated_on=D(2025, 2, 1),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Allocation.objects.filter(pk=allocation.pk).update(spent_fen=F("spent_fen") + 101)
    with pytest.raises(IntegrityError), transaction.atomic():
        Fund.objects.filter(pk=allocation.fund_id).update(spent_fen=101)


def test_projects_and_funds_are_county_office_work_and_scoped(users):
    with pytest.raises(ScopeError):
        make_project(users["clerk"])
    with pytest.raises(ScopeError):
        make_fund(users["prefecture"])
    project = make_project(users["county"])
    fund = make_fund(users["county"])
    assert list(selectors.projects_for(users["clerk"])) == [project]  # it is in the clerk's village
    assert not selectors.projects_for(users["sibling_clerk"]).exists()
    assert list(selectors.funds_for(users["province"])) == [fund]
    assert not selectors.funds_for(users["clerk"]).exists()
    assert not selectors.funds_for(users["other_county"]).exists()


def test_project_progress_acceptance_and_publication(users):
    county = users["county"]
    project = make_project(county)
    with pytest.raises(FundsError, match="完工后才能验收"):
        projects.accept_project(project, by=county, accepted_on=D(2025, 6, 1), note="合格")
    projects.record_progress(
        project, by=county, status=ProjectStatus.IN_PROGRESS, progress=40, on=D(2025, 3, 1)
    )
    with pytest.raises(FundsError) as e:
        projects.record_progress(
            project, by=county, status=ProjectStatus.COMPLETED, progress=90, on=D(2025, 5, 1)
        )
    assert e.value.errors["progress"] == "完工项目的实施进度应为100%"
    projects.record_progress(
        project, by=county, status=ProjectStatus.COMPLETED, progress=100, on=D(2025, 5, 1)
    )
    project = projects.accept_project(project, by=county, accepted_on=D(2025, 6, 1), note="工程质量合格")
    assert project.status == ProjectStatus.ACCEPTED and project.started_on == D(2025, 3, 1)
    projects.publish_project(project, by=county, on=D(2025, 6, 2))
    assert list(selectors.published_projects(county=COUNTY)) == [project]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_payments_cannot_overspend_a_fund(users):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    county = users["county"]
    fund = make_fund(county, amount=10_000)
    allocation = funding.allocate(
        by=county, fund=fund, project=make_project(county), amount_fen=10_000, allocated_on=D(2025, 2, 1)
    )
    barrier = threading.Barrier(2)
    outcomes = []

    def spend():
        try:
            barrier.wait()
            funding.record_payment(by=county, allocation=allocation, amount_fen=6_000, paid_on=D(2025, 3, 1))
            outcomes.append("paid")
        except FundsError as e:
            outcomes.append(e.errors["amount"])
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=spend) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["paid", "超出该项资金安排的余额40.00元，不能超支"]
    fund.refresh_from_db()
    allocation.refresh_from_db()
    assert fund.spent_fen == allocation.spent_fen == 6_000
    assert Payment.objects.count() == 1
