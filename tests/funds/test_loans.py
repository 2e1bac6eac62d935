import datetime
from decimal import Decimal

import pytest

from fupin.accounts.scope import ScopeError
from fupin.audit.models import AuditEntry
from fupin.funds import risk_fund, selectors, services
from fupin.funds.models import BorrowerKind, Industry, LinkKind, Loan, LoanStatus, RiskFundAccount
from fupin.funds.services import FundsError
from fupin.registry import codes
from fupin.registry.services import add_member, apply_key_facts
from tests import factories

D = datetime.date
COUNTY = factories.VILLAGE[:6]


APPLIED_ON = D(2024, 12, 20)
DISBURSED_ON = D(2025, 1, 10)


def apply(users, household, *, by="clerk", amount=5_000_000, term=36, applied_on=APPLIED_ON, **kw):
    head = household.members.get(relation=codes.Relation.HEAD)
    values = dict(
        by=users[by],
        household=household,
        borrower=head,
        amount_fen=amount,
        term_months=term,
        industry=Industry.BREEDING,
        purpose="养殖生猪",
        bank="信丰农商银行",
        village_opinion="村委会、工作队论证同意",
        capacity_confirmed=True,
        applied_on=applied_on,
    )
    return services.apply_for_household_loan(**(values | kw))


def disbursed_loan(users, household=None, *, amount=5_000_000, disbursed_on=DISBURSED_ON, term=36):
    household = household or factories.make_household()
    loan = apply(
        users, household, amount=amount, term=term, applied_on=disbursed_on - datetime.timedelta(days=20)
    )
    services.approve_loan(
        loan,
        by=users["county"],
        amount_fen=amount,
        interest_rate=Decimal("4.75"),
        decided_on=disbursed_on - datetime.timedelta(days=5),
    )
    return services.disburse_loan(
        loan, by=users["county"], disbursed_on=disbursed_on, contract_no=f"JK-{loan.pk}"
    )


def test_household_loan_lifecycle_is_recorded_and_audited(users):
    loan = disbursed_loan(users)
    assert loan.status == LoanStatus.DISBURSED and loan.maturity_on == D(2028, 1, 10)
    assert loan.benchmark_rate == Decimal("4.75") and loan.subsidy_share == Decimal("100")
    actions = list(
        AuditEntry.objects.filter(target_type="loan", target_id=str(loan.pk))
        .order_by("at", "id")
        .values_list("action", "role")
    )
    assert actions == [
        ("apply_loan", "village_clerk"),
        ("approve_loan", "county"),
        ("disburse_loan", "county"),
    ]
    entry = AuditEntry.objects.get(action="approve_loan")
    assert entry.changes["status"] == ["applied", "approved"] and entry.changes["amount_fen"] == [
        0,
        5_000_000,
    ]


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"amount": 5_000_001}, "amount", "每户贷款总额不超过50,000.00元"),
        ({"term": 24}, "term_months", "贷款期限应为36到60个月"),
        ({"industry": "consumption"}, "industry", "必须用于产业发展"),
        ({"capacity_confirmed": False}, "capacity_confirmed", "完全民事行为能力"),
    ],
)
def test_loan_terms_follow_the_seed(users, change, field, message):
    household = factories.make_household()
    kwargs = {k: v for k, v in change.items() if k not in ("amount", "term")}
    with pytest.raises(FundsError) as e:
        apply(users, household, amount=change.get("amount", 5_000_000), term=change.get("term", 36), **kwargs)
    assert message in e.value.errors[field]


def test_borrower_must_be_18_to_60_and_the_household_registered_poor(users):
    # the father joins before the household is registered (afterwards only a change request adds a member)
    household = factories.make_household(status=codes.HouseholdStatus.APPLICANT)
    old = add_member(
        household,
        by=users["clerk"],
        name="张老汉",
        relation=codes.Relation.FATHER,
        id_number=factories.id_number(birth=D(1960, 1, 1)),
    )
    household = apply_key_facts(
        household,
        by=users["admin"],
        action="initial_load",
        status=codes.HouseholdStatus.POOR,
        household_type=codes.HouseholdType.GENERAL_POOR,
        registration_year=2016,
    )
    with pytest.raises(FundsError) as e:
        apply(users, household, borrower=old)
    assert e.value.errors["borrower"] == "借款人64周岁，须年满18周岁、不超过60周岁"
    exited = factories.make_household(status=codes.HouseholdStatus.EXITED, exit_year=2020)
    with pytest.raises(FundsError) as e:
        apply(users, exited)
    assert "只有建档立卡贫困户可以申请" in e.value.errors["household"]
    services.update_policy(by=users["county"], county_code=COUNTY, exited_households_eligible=True)
    assert apply(users, exited).status == LoanStatus.APPLIED


def test_household_cap_counts_open_loans_and_frees_repaid_principal(users):
    household = factories.make_household()
    loan = disbursed_loan(users, household, amount=3_000_000)
    with pytest.raises(FundsError) as e:
        apply(users, household, amount=2_000_001)
    assert "该户尚可申请20,000.00元" in e.value.errors["amount"]
    services.record_repayment(loan, by=users["county"], repaid_on=D(2025, 3, 1), principal_fen=1_000_000)
    assert apply(users, household, amount=3_000_000).amount_requested_fen == 3_000_000


def test_policy_parameters_per_county_override_the_defaults(users):
    services.update_policy(
        by=users["county"], county_code=COUNTY, household_cap_fen=8_000_000, max_term_months=72
    )
    household = factories.make_household()
    assert apply(users, household, amount=8_000_000, term=72).amount_requested_fen == 8_000_000
    other = selectors.policy_for(factories.OTHER_COUNTY_VILLAGE)
    assert other.household_cap_fen == 5_000_000 and other.benchmark_rate == Decimal("4.75")
    with pytest.raises(ScopeError):
        services.update_policy(
            by=users["county"], county_code=factories.OTHER_COUNTY_VILLAGE[:6], household_cap_fen=1
        )


def test_enterprise_cap_is_twice_the_investment_or_twice_the_household_cap_per_household_taken_in(users):
    h1, h2 = factories.make_household(), factories.make_household(head="李四")
    common = dict(
        by=users["county"],
        region_code=COUNTY,
        borrower_kind=BorrowerKind.COOPERATIVE,
        name="信丰脐橙合作社",
        term_months=36,
        industry=Industry.FRUIT_FOREST,
        purpose="扩建果园",
        bank="信丰农商银行",
        applied_on=D(2025, 1, 2),
    )
    with pytest.raises(FundsError) as e:
        services.apply_for_enterprise_loan(
            amount_fen=4_000_001, links=[(h1, LinkKind.INVESTMENT, 2_000_000)], **common
        )
    assert "不超过40,000.00元" in e.value.errors["amount"]
    loan = services.apply_for_enterprise_loan(
        amount_fen=20_000_000, links=[(h1, LinkKind.EMPLOYMENT, 0), (h2, LinkKind.AGREEMENT, 0)], **common
    )
    assert loan.links.count() == 2 and loan.region_id == COUNTY
    with pytest.raises(FundsError) as e:
        services.apply_for_enterprise_loan(amount_fen=1_000_000, links=[], **common)
    assert "须至少带动一户" in e.value.errors["links"]


def test_only_the_county_office_records_bank_decisions_and_village_roles_apply(users):
    household = factories.make_household()
    with pytest.raises(ScopeError):
        apply(users, household, by="township")
    with pytest.raises(ScopeError):
        apply(users, household, by="sibling_clerk")
    loan = apply(users, household, by="team")
    for who in ("clerk", "township", "prefecture", "other_county"):
        with pytest.raises(ScopeError):
            services.approve_loan(
                loan, by=users[who], amount_fen=1, interest_rate=Decimal("4.75"), decided_on=D(2025, 1, 5)
            )


def test_loan_states_cannot_be_skipped(users):
    loan = apply(users, factories.make_household())
    with pytest.raises(FundsError) as e:
        services.disburse_loan(loan, by=users["county"], disbursed_on=D(2025, 1, 10), contract_no="X")
    assert e.value.errors["status"] == "贷款当前为“已申请”，不能改为“已放款”"
    services.reject_loan(loan, by=users["county"], reason="信用记录不良", decided_on=D(2025, 1, 3))
    with pytest.raises(FundsError):
        services.approve_loan(
            loan, by=users["county"], amount_fen=1, interest_rate=Decimal("4.75"), decided_on=D(2025, 1, 5)
        )


def test_loan_terms_only_for_a_loan_approved_and_disbursed(users):
    """The interest arithmetic reads the dates and rates set by approval and disbursement; a loan without them
    is refused rather than given terms of nulls (issue 15: found by mypy)."""
    applied = apply(users, factories.make_household())
    with pytest.raises(ValueError):
        selectors.loan_terms(applied)
    terms = selectors.loan_terms(disbursed_loan(users))
    assert (terms.disbursed_on, terms.annual_rate) == (DISBURSED_ON, Decimal("4.75"))


def test_scope_village_sees_its_loans_only(users):
    loan = apply(users, factories.make_household())
    assert list(selectors.loans_for(users["clerk"])) == [loan]
    assert list(selectors.loans_for(users["township"])) == [loan]
    assert list(selectors.loans_for(users["province"])) == [loan]
    for who in ("sibling_clerk", "other_county", "liaison"):
        assert not selectors.loans_for(users[who]).exists()
        with pytest.raises(Loan.DoesNotExist):
            selectors.loan_for(users[who], loan.pk)


def test_quarterly_subsidy_list_with_partial_quarter_early_repayment_and_unpaid_interest(users):
    a = disbursed_loan(users)  # 50,000 from 2025-01-10
    b = disbursed_loan(
        users, factories.make_household(head="李四"), amount=3_000_000, disbursed_on=D(2025, 2, 1)
    )
    services.record_repayment(b, by=users["county"], repaid_on=D(2025, 3, 1), principal_fen=1_000_000)
    county = users["county"]
    services.record_interest_payment(
        a, by=county, year=2025, quarter=1, amount_fen=46181, paid_on=D(2025, 3, 20)
    )
    lines = {
        line.loan.pk: line
        for line in selectors.subsidy_lines(county, county_code=COUNTY, year=2025, quarter=1)
    }
    assert lines[a.pk].subsidy_fen == 46181 and lines[a.pk].payable_fen == 46181 and lines[a.pk].days == 70
    # b: 30,000 × 28 days (2-1 … 2-28) + 20,000 × 20 days (3-1 … 3-20) = 1,240,000 yuan-days × 4.75 % / 360 =
    # 163.61
    assert (
        lines[b.pk].subsidy_fen == 16361
        and lines[b.pk].interest_paid_fen is None
        and lines[b.pk].payable_fen == 0
    )
    paid = services.pay_subsidies(by=county, county_code=COUNTY, year=2025, quarter=1, paid_on=D(2025, 3, 30))
    assert [(p.loan_id, p.amount_fen) for p in paid] == [(a.pk, 46181)]
    services.record_interest_payment(
        b, by=county, year=2025, quarter=1, amount_fen=16000, paid_on=D(2025, 3, 25)
    )
    paid = services.pay_subsidies(by=county, county_code=COUNTY, year=2025, quarter=1, paid_on=D(2025, 3, 30))
    assert [(p.loan_id, p.amount_fen) for p in paid] == [(b.pk, 16000)]  # capped at interest paid
    with pytest.raises(FundsError):
        services.pay_subsidies(by=county, county_code=COUNTY, year=2025, quarter=1, paid_on=D(2025, 3, 30))
    with pytest.raises(FundsError, match="已拨付"):
        services.record_interest_payment(
            a, by=county, year=2025, quarter=1, amount_fen=1, paid_on=D(2025, 3, 20)
        )
    assert AuditEntry.objects.filter(action="pay_subsidy").count() == 2


def test_enterprise_subsidy_is_settled_for_the_year_at_half_the_benchmark(users):
    h = factories.make_household()
    loan = services.apply_for_enterprise_loan(
        by=users["county"],
        region_code=COUNTY,
        borrower_kind=BorrowerKind.ENTERPRISE,
        name="信丰农业公司",
        amount_fen=5_000_000,
        term_months=36,
        industry=Industry.PROCESSING,
        purpose="加工车间",
        bank="信丰农商银行",
        links=[(h, LinkKind.EMPLOYMENT, 0)],
        applied_on=D(2025, 1, 2),
    )
    services.approve_loan(
        loan,
        by=users["county"],
        amount_fen=5_000_000,
        interest_rate=Decimal("4.75"),
        decided_on=D(2025, 1, 5),
    )
    services.disburse_loan(loan, by=users["county"], disbursed_on=D(2025, 1, 10), contract_no="QY-1")
    for q, amount in [(1, 46181), (2, 60694), (3, 60694), (4, 60035)]:
        services.record_interest_payment(
            loan, by=users["county"], year=2025, quarter=q, amount_fen=amount, paid_on=D(2025, 12, 21)
        )
    assert selectors.subsidy_lines(users["county"], county_code=COUNTY, year=2025, quarter=1) == []
    [line] = selectors.subsidy_lines(users["county"], county_code=COUNTY, year=2025, quarter=0)
    assert line.subsidy_fen == 23090 + 30347 + 30347 + 30017 == line.payable_fen


def test_risk_fund_deposit_default_payout_shares_and_recovery(users):
    county = users["county"]
    loan = disbursed_loan(users, amount=3_000_000)
    risk_fund.record_deposit(
        by=county,
        county_code=COUNTY,
        bank="信丰农商银行",
        year=2025,
        quarter=1,
        amount_fen=4_000_000,
        deposited_on=D(2025, 4, 10),
    )
    [row] = selectors.deposit_schedule(county, county_code=COUNTY, year=2025)
    assert (
        row["issued_fen"] == 3_000_000
        and row["due_fen"] == 375_000
        and row["shortfall_fen"] == 375_000 - 4_000_000
    )
    entry = risk_fund.record_default(
        loan, by=county, defaulted_on=D(2025, 6, 1), loss_principal_fen=3_000_000, loss_interest_fen=35_625
    )
    assert (entry.amount_fen, entry.city_share_fen, entry.county_share_fen) == (
        3_035_625,
        1_517_813,
        1_517_812,
    )
    account = RiskFundAccount.objects.get(bank="信丰农商银行")
    assert account.balance_fen == 4_000_000 - 3_035_625
    risk_fund.record_recovery(loan, by=county, recovered_on=D(2025, 9, 1), amount_fen=1_000_000)
    with pytest.raises(FundsError) as e:
        risk_fund.record_recovery(loan, by=county, recovered_on=D(2025, 9, 2), amount_fen=2_035_626)
    assert "20,356.25元" in e.value.errors["amount"]
    account.refresh_from_db()
    assert account.balance_fen == 4_000_000 - 3_035_625 + 1_000_000
    totals = selectors.risk_totals(county, COUNTY)
    assert totals["city_net"] == 1_517_813 - 500_000 and totals["county_net"] == 1_517_812 - 500_000
    assert [x.pk for x in selectors.defaulted_loans(county, county_code=COUNTY)] == [loan.pk]
    assert (
        AuditEntry.objects.filter(
            action__in=["risk_fund_deposit", "record_default", "risk_fund_recovery"]
        ).count()
        == 3
    )


def test_payout_never_exceeds_the_fund(users):
    county = users["county"]
    loan = disbursed_loan(users, amount=3_000_000)
    risk_fund.record_deposit(
        by=county,
        county_code=COUNTY,
        bank="信丰农商银行",
        year=2025,
        quarter=1,
        amount_fen=375_000,
        deposited_on=D(2025, 4, 10),
    )
    entry = risk_fund.record_default(
        loan, by=county, defaulted_on=D(2025, 6, 1), loss_principal_fen=3_000_000
    )
    assert entry.amount_fen == 375_000 and entry.loss_fen == 3_000_000
    assert RiskFundAccount.objects.get().balance_fen == 0


def test_reminders_30_days_before_maturity_and_overdue_report(users):
    county = users["county"]
    loan = disbursed_loan(users, disbursed_on=D(2022, 3, 1))  # matures 2025-03-01
    assert list(selectors.loans_due_for_reminder(county, county_code=COUNTY, today=D(2025, 1, 29))) == []
    assert list(selectors.loans_due_for_reminder(county, county_code=COUNTY, today=D(2025, 1, 30))) == [loan]
    reminded = services.issue_repayment_reminders(by=county, county_code=COUNTY, today=D(2025, 1, 30))
    assert reminded == [loan]
    assert services.issue_repayment_reminders(by=county, county_code=COUNTY, today=D(2025, 2, 1)) == []
    [overdue] = selectors.overdue_loans(county, county_code=COUNTY, today=D(2025, 3, 1))
    assert overdue.pk == loan.pk and overdue.repaid_fen == 0
    services.record_repayment(loan, by=county, repaid_on=D(2025, 3, 5), principal_fen=5_000_000)
    assert not selectors.overdue_loans(county, county_code=COUNTY, today=D(2025, 3, 6)).exists()
    loan.refresh_from_db()
    assert loan.status == LoanStatus.REPAID and loan.repaid_on == D(2025, 3, 5)
